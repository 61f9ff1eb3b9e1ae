/**
 * Audio between Switchboard (a UserAgent on the RTP engine, rtpMediaFactory) and baresip 1.0
 * (headless: `ausine` as source, `sndfile` recording what it receives, `srtp` for SDES), issue 14 §6:
 * - calls both ways, plain RTP and SRTP, from a UserAgent and from `switchboard phone` (the CLI): each side's recording holds the other side's tone
 *   (ours checked with src/media/analyse.ts, baresip's WAV with sox and our analyser);
 * - DTMF we send (RFC 4733) is reported by baresip (CALL_DTMF_START);
 * - hold by either side stops exactly the stream RFC 3264 §8.4 says: the held side stops sending,
 *   the holder keeps sending; resume restarts it. Counted with our RtpMedia stats while the other
 *   stream keeps flowing (no fixed sleeps: we wait for frames sent or played out).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaresip, type Baresip, type BaresipMediaOptions } from '../helpers/baresip.js';
import { CollectSink, CountingSource } from '../helpers/media-probe.js';
import { requireTool } from '../helpers/tools.js';
import { Proc } from '../cli/helpers.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { PortAllocator } from '../../src/media/ports.js';
import { RtpMedia, rtpMediaFactory } from '../../src/media/rtp-media.js';
import { ToneSource } from '../../src/media/sources.js';
import { WavRecorderSink } from '../../src/media/sinks.js';
import { containsTone, dominantFrequency } from '../../src/media/analyse.js';
import { readWavFile } from '../../src/media/wav.js';
import type { SrtpPolicy } from '../../src/sdp/index.js';

const OUR_HZ = 1000;
const BARESIP_HZ = 440;

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `media-${name}-`));
  cleanup.push(() => Promise.resolve(rmSync(d, { recursive: true, force: true })));
  return d;
}

async function baresip(name: string, accountParams: string, media: BaresipMediaOptions): Promise<Baresip> {
  const b = await startBaresip(name, { accountParams, media: { audioSource: `ausine,${BARESIP_HZ}`, ...media } });
  cleanup.push(() => b.stop());
  return b;
}

interface Phone {
  ua: UserAgent;
  uri: string;
  sink: CollectSink;
  source: CountingSource;
  allocator: PortAllocator;
  wavPath: string;
}

async function phone(name: string, srtp: SrtpPolicy): Promise<Phone> {
  const dir = tempDir(name);
  const wavPath = join(dir, 'heard.wav');
  const sink = new CollectSink(await WavRecorderSink.create(wavPath));
  const source = new CountingSource(new ToneSource({ frequency: OUR_HZ, amplitude: 0.25 }));
  const allocator = new PortAllocator({ min: 40000 + Math.floor(Math.random() * 500) * 20, max: 60000 });
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    mediaFactory: rtpMediaFactory({ allocator, srtp, source: () => source, sink: () => sink }),
  });
  await ua.start();
  cleanup.push(() => ua.stop());
  return { ua, uri: `sip:${name}@127.0.0.1:${ua.transport.address('udp')!.port}`, sink, source, allocator, wavPath };
}

const media = (c: Call): RtpMedia => {
  assert.ok(c.media instanceof RtpMedia, 'the call runs on the RTP engine');
  return c.media;
};

const waitCall = (c: Call, ev: 'established' | 'terminated' | 'remote-held' | 'remote-resumed', ms = 8000) =>
  new Promise<void>((r, j) => {
    if ((ev === 'established' || ev === 'terminated') && c.state === ev) return r();
    const t = setTimeout(() => j(new Error(`call ${c.id}: no ${ev}`)), ms);
    c.once(ev as 'established', () => (clearTimeout(t), r()));
  });

/** sox's "Rough frequency" of a WAV file (sox writes `stat` to stderr). */
function soxFrequency(path: string): number {
  const sox = requireTool('sox', 'sox');
  const r = spawnSync(sox, [path, '-n', 'stat'], { encoding: 'utf8', timeout: 10_000 });
  const err = r.stderr;
  const m = /Rough\s+frequency:\s+(\d+)/.exec(err);
  assert.ok(m, `sox stat printed no frequency:\n${err}`);
  return Number(m[1]);
}

/** baresip's sndfile recording of what it decoded (received) in its last call. */
async function baresipHeard(dir: string): Promise<string> {
  const wavs = readdirSync(dir).filter((f) => f.endsWith('.wav'));
  const dec = wavs.find((f) => /dec/.test(f));
  assert.ok(dec, `baresip's sndfile wrote no decoder recording in ${dir}: ${wavs.join(', ')}`);
  const path = join(dir, dec);
  assert.ok(statSync(path).size > 8000, `${path} holds audio`);
  return path;
}

/** Both directions carry the right tone, both recordings prove it. */
async function checkAudio(us: Phone, call: Call): Promise<void> {
  const heard = await us.sink.more(50);
  assert.ok(containsTone(heard, BARESIP_HZ, { toleranceHz: 10 }), `we hear baresip's ${BARESIP_HZ} Hz`);
  await us.source.more(50);
  const st = media(call).stats();
  assert.ok(st.rtp.sent > 50 && st.rtp.received > 50, `packets both ways: ${JSON.stringify(st.rtp)}`);
}

async function hangupAndCheckRecordings(us: Phone, bs: Baresip, call: Call, recordDir: string): Promise<void> {
  const closed = bs.waitEvent('CALL_CLOSED');
  await call.hangup();
  await closed;
  await media(call).close();
  assert.equal(us.allocator.inUse, 0, 'our RTP ports are freed after BYE');
  // our WAV: baresip's tone
  const ours = await readWavFile(us.wavPath);
  const d = dominantFrequency(ours.samples.subarray(4000));
  assert.ok(Math.abs(d.frequency - BARESIP_HZ) <= 10, `our recording: ${d.frequency} Hz (purity ${d.purity})`);
  // baresip's WAV: our tone, measured by sox and by our analyser (the file may be at 8 or 48 kHz)
  const theirs = await baresipHeard(recordDir);
  const soxHz = soxFrequency(theirs);
  assert.ok(Math.abs(soxHz - OUR_HZ) <= 30, `sox measures ${soxHz} Hz in baresip's recording`);
  const wav = await readWavFile(theirs, { sampleRate: null });
  const f = dominantFrequency(wav.samples, { sampleRate: wav.sampleRate, maxHz: 4000 });
  assert.ok(Math.abs(f.frequency - OUR_HZ) <= 10, `our analyser: ${f.frequency} Hz in baresip's recording`);
}

test('we call baresip over plain RTP: tones both ways, DTMF reported, hold/resume in both roles', async () => {
  const recordDir = tempDir('bs-rec');
  const bs = await baresip('bsm1', '', { recordDir });
  const us = await phone('alice', 'off');
  const dialing = us.ua.call(`sip:bsm1@127.0.0.1:${bs.sipPort}`);
  await bs.waitEvent('CALL_INCOMING');
  await bs.command('accept');
  const call = await dialing;
  await bs.waitEvent('CALL_ESTABLISHED');
  assert.equal(media(call).stats().codec, 'PCMU');
  assert.equal(media(call).stats().srtp, false);
  await checkAudio(us, call);

  // DTMF: baresip reports each digit it receives (RFC 4733 telephone-event)
  await media(call).sendDtmf('19#');
  for (const digit of ['1', '9', '#']) {
    const e = await bs.waitEvent('CALL_DTMF_START', 5000);
    assert.equal(e.param, digit, `baresip reports digit ${digit}`);
  }

  // we hold baresip (a=sendonly, it answers recvonly): it stops sending, we keep sending (RFC 3264 §8.4)
  assert.equal((await call.hold()).localHold, true);
  assert.equal(media(call).stats().direction, 'sendonly');
  await us.source.more(10); // packets in flight at the switch
  let rx = media(call).stats().rtp.received;
  await us.source.more(50);
  assert.ok(media(call).stats().rtp.received - rx <= 2, 'baresip (held) stopped sending');
  await call.resume();
  rx = media(call).stats().rtp.received;
  assert.ok(containsTone(await us.sink.more(50), BARESIP_HZ, { toleranceHz: 10 }), 'baresip sends again after resume');
  assert.ok(media(call).stats().rtp.received - rx >= 40);

  // baresip holds us (a=sendonly): we stop sending. baresip, the holder, mutes its own stream on
  // hold too (sendonly allows that), so the clock here is its once-a-second status line.
  assert.match(await bs.waitStatusSeconds(1), /audio=[1-9]\d*\/[1-9]\d*/, 'baresip measures audio both ways');
  const held = waitCall(call, 'remote-held');
  await bs.command('hold');
  await held;
  assert.equal(media(call).stats().direction, 'recvonly');
  await bs.waitStatusSeconds(1);
  let tx = media(call).stats().rtp.sent;
  await bs.waitStatusSeconds(2);
  assert.ok(media(call).stats().rtp.sent - tx <= 1, 'we (held) stopped sending');
  const resumed = waitCall(call, 'remote-resumed');
  await bs.command('resume');
  await resumed;
  tx = media(call).stats().rtp.sent;
  await us.source.more(50);
  assert.ok(media(call).stats().rtp.sent - tx >= 45, 'we send again after resume');

  await hangupAndCheckRecordings(us, bs, call, recordDir);
});

test('baresip calls us with SRTP mandatory (SDES): tones both ways, recordings prove it', async () => {
  const recordDir = tempDir('bs-rec-srtp');
  const bs = await baresip('bsm2', ';mediaenc=srtp-mand', { recordDir, srtp: true });
  const us = await phone('bob', 'require');
  const incoming = new Promise<Call>((r) => us.ua.once('incoming', r));
  await bs.command('dial', us.uri);
  const call = await incoming;
  await waitCall(call, 'established');
  await bs.waitEvent('CALL_ESTABLISHED');
  assert.equal(media(call).stats().srtp, true, 'the call runs SRTP');
  await checkAudio(us, call);
  // at most a stray packet at the switch to SRTP fails authentication
  const st = media(call).stats().rtp;
  assert.ok(st.srtpFailures <= st.received / 100, `SRTP failures ${st.srtpFailures} of ${st.received}`);
  await hangupAndCheckRecordings(us, bs, call, recordDir);
});

test('we call baresip with SRTP required; baresip answers with SDES', async () => {
  const recordDir = tempDir('bs-rec-srtp2');
  const bs = await baresip('bsm3', ';mediaenc=srtp-mand', { recordDir, srtp: true });
  const us = await phone('carol', 'require');
  const dialing = us.ua.call(`sip:bsm3@127.0.0.1:${bs.sipPort}`);
  await bs.waitEvent('CALL_INCOMING');
  await bs.command('accept');
  const call = await dialing;
  await bs.waitEvent('CALL_ESTABLISHED');
  assert.equal(media(call).stats().srtp, true);
  await checkAudio(us, call);
  await hangupAndCheckRecordings(us, bs, call, recordDir);
});

test('baresip calls us over plain RTP: tones both ways, recordings prove it', async () => {
  const recordDir = tempDir('bs-rec-plain');
  const bs = await baresip('bsm4', '', { recordDir });
  const us = await phone('dave', 'off');
  const incoming = new Promise<Call>((r) => us.ua.once('incoming', r));
  await bs.command('dial', us.uri);
  const call = await incoming;
  await waitCall(call, 'established');
  await bs.waitEvent('CALL_ESTABLISHED');
  assert.equal(media(call).stats().srtp, false);
  await checkAudio(us, call);
  await hangupAndCheckRecordings(us, bs, call, recordDir);
});

/** `switchboard phone` (the CLI) with a tone, a recording and the given SRTP policy. */
function cliPhone(name: string, srtp: SrtpPolicy, wav: string): Proc {
  const p = new Proc([
    'phone',
    '--aor',
    `sip:${name}@127.0.0.1`,
    '--listen',
    'udp:127.0.0.1:0',
    '--auto-answer',
    '0',
    '--play',
    `tone:${OUR_HZ}`,
    '--record',
    wav,
    '--srtp',
    srtp,
    '--json',
  ]);
  cleanup.push(() => Promise.resolve(p.kill()));
  return p;
}

/** The phone's `stats` answer (one per call). */
async function cliStats(p: Proc): Promise<{ srtp: boolean; codec: string; rtp: { sent: number; received: number } }> {
  const seen = p.lines.length;
  p.send('stats');
  const line = await p.waitFor((l) => p.lines.indexOf(l, seen) >= seen && l.includes('"stats"'));
  return JSON.parse(line) as { srtp: boolean; codec: string; rtp: { sent: number; received: number } };
}

async function cliCallChecks(p: Proc, bs: Baresip, ourWav: string, recordDir: string, srtp: boolean) {
  // two to three seconds of audio by baresip's own clock (its status line, whole seconds), then DTMF typed on our stdin
  await bs.waitStatusSeconds(3);
  p.send('dtmf 7');
  assert.equal((await bs.waitEvent('CALL_DTMF_START', 5000)).param, '7', 'baresip reports the digit typed');
  const st = await cliStats(p);
  assert.equal(st.srtp, srtp);
  assert.equal(st.codec, 'PCMU');
  assert.ok(st.rtp.sent >= 50 && st.rtp.received >= 50, `RTP both ways: ${JSON.stringify(st.rtp)}`);
  const closed = bs.waitEvent('CALL_CLOSED');
  p.send('hangup');
  await closed;
  p.send('quit');
  assert.equal(await p.exited, 0);
  const ours = await readWavFile(ourWav);
  assert.ok(containsTone(ours.samples.subarray(4000), BARESIP_HZ, { toleranceHz: 10 }), 'phone recorded 440 Hz');
  const soxHz = soxFrequency(await baresipHeard(recordDir));
  assert.ok(Math.abs(soxHz - OUR_HZ) <= 30, `sox measures ${soxHz} Hz in baresip's recording`);
}

test('switchboard phone --srtp require calls baresip (srtp-mand): tones, DTMF, stats, both recordings', async () => {
  const recordDir = tempDir('bs-cli-srtp');
  const bs = await baresip('bsm5', ';mediaenc=srtp-mand', { recordDir, srtp: true });
  const ourWav = join(tempDir('cli-srtp'), 'heard.wav');
  const p = cliPhone('erin', 'require', ourWav);
  await p.event('ready', undefined, 20_000);
  p.send(`call sip:bsm5@127.0.0.1:${bs.sipPort}`);
  await bs.waitEvent('CALL_INCOMING');
  await bs.command('accept');
  await p.event('established');
  await cliCallChecks(p, bs, ourWav, recordDir, true);
});

test('baresip calls switchboard phone over plain RTP: tones, DTMF, stats, both recordings', async () => {
  const recordDir = tempDir('bs-cli-plain');
  const bs = await baresip('bsm6', '', { recordDir });
  const ourWav = join(tempDir('cli-plain'), 'heard.wav');
  const p = cliPhone('frank', 'off', ourWav);
  const ready = await p.event('ready', undefined, 20_000);
  await bs.command('dial', String(ready.contact));
  await p.event('established');
  await bs.waitEvent('CALL_ESTABLISHED');
  await cliCallChecks(p, bs, ourWav, recordDir, false);
});
