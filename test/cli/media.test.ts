/**
 * `switchboard phone` with audio (issue 14 §5): two phones play tones to each other and record; the
 * recordings hold the other side's frequency; DTMF typed on one is reported by the other; `stats`
 * answers with codec and RTP counts; bad media flags are refused with a clear message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliProcs, run, startPhone, type Proc } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';
import { decodeWav } from '../../src/media/wav.js';
import { containsTone } from '../../src/media/analyse.js';

const cli = cliProcs();

/**
 * Bob (auto-answer, playing 1000 Hz) and Alice (playing 440 Hz), each recording to `dir`/<name>.wav
 * with `extra` flags; Alice calls Bob and the call is established.
 */
async function tonesCall(
  dir: string,
  extra: { bob?: string[]; alice?: string[] } = {},
): Promise<{ alice: Proc; bob: Proc }> {
  const media = (name: string, tone: number) => ['--play', `tone:${tone}`, '--record', join(dir, `${name}.wav`)];
  const [bob, alice] = await Promise.all([
    startPhone(cli, 'bob', { autoAnswer: 0, extra: [...media('bob', 1000), ...(extra.bob ?? [])] }),
    startPhone(cli, 'alice', { extra: [...media('alice', 440), ...(extra.alice ?? [])] }),
  ]);
  alice.proc.send(`call ${bob.contact}`);
  await alice.proc.event('established');
  return { alice: alice.proc, bob: bob.proc };
}

/** `p`'s answer to `stats` once `packets` RTP packets have crossed both ways. */
async function statsOnceCrossed(p: Proc, packets = 75): Promise<Record<string, unknown>> {
  let stats: Record<string, unknown> = {};
  // the phone has no event for "so much audio has crossed": ask (one answer per request), bounded
  await waitUntil(
    async () => {
      const seen = p.lines.length;
      p.send('stats');
      const line = await p.waitFor((l) => p.lines.indexOf(l, seen) >= seen && l.includes('"stats"'));
      stats = JSON.parse(line) as Record<string, unknown>;
      const rtp = stats.rtp as { sent: number; received: number };
      return rtp.sent >= packets && rtp.received >= packets;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `${packets} RTP packets each way` },
  );
  return stats;
}

/** Alice hangs up, both quit (exit 0); each recording holds the other side's tone. */
async function hangUpAndCheckTones(dir: string, alice: Proc, bob: Proc, codec: string): Promise<void> {
  alice.send('hangup');
  await bob.event('terminated');
  alice.send('quit');
  bob.send('quit');
  assert.equal(await alice.exited, 0);
  assert.equal(await bob.exited, 0);
  const heardByAlice = decodeWav(readFileSync(join(dir, 'alice.wav'))).samples;
  const heardByBob = decodeWav(readFileSync(join(dir, 'bob.wav'))).samples;
  assert.ok(heardByAlice.length >= 8000 * 0.5, 'Alice recorded at least half a second');
  assert.ok(containsTone(heardByAlice, 1000), `Alice's recording holds Bob's 1000 Hz tone (${codec})`);
  assert.ok(containsTone(heardByBob, 440), `Bob's recording holds Alice's 440 Hz tone (${codec})`);
}

test('phone: tones both ways, recordings hold the other side, DTMF and stats', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-media-'));
  const { alice, bob } = await tonesCall(dir);
  alice.send('dtmf 4#');
  await bob.event('dtmf', (o) => o.digit === '4');
  await bob.event('dtmf', (o) => o.digit === '#');
  const stats = await statsOnceCrossed(alice);
  assert.equal(stats.codec, 'PCMU');
  assert.equal(stats.direction, 'sendrecv');
  await hangUpAndCheckTones(dir, alice, bob, 'PCMU');
});

test('phone: --codecs with opus negotiates opus (offerer first), tones cross both ways', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-opus-'));
  const { alice, bob } = await tonesCall(dir, {
    bob: ['--codecs', 'PCMU,PCMA,opus'],
    alice: ['--codecs', 'opus,PCMU'],
  });
  const stats = await statsOnceCrossed(alice);
  assert.equal(stats.codec, 'opus');
  await hangUpAndCheckTones(dir, alice, bob, 'opus');
});

test('phone: --codecs opus without the optional opusscript package fails at start, saying so', async () => {
  // a resolve hook hides opusscript from the child, as on an install without optional packages
  const hook =
    'export async function resolve(s, c, next) { if (s === "opusscript") throw new Error("Cannot find package opusscript"); return next(s, c); }';
  const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;
  const p = cli(['phone', '--aor', 'sip:a@127.0.0.1', '--listen', 'udp:127.0.0.1:0', '--codecs', 'PCMU,opus'], {
    NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(register)}`,
  });
  assert.notEqual(await p.exited, 0);
  assert.match(p.stderr, /codec "opus" needs the optional package opusscript/);
});

test('phone: bad media flags are refused with a clear message', async () => {
  const r1 = await run(['phone', '--aor', 'sip:a@127.0.0.1', '--codecs', 'G729']);
  assert.notEqual(r1.code, 0);
  assert.match(r1.stderr, /codec "G729" is not supported/);
  const r2 = await run(['phone', '--aor', 'sip:a@127.0.0.1', '--rtp-ports', '10-5']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /MIN-MAX|range/);
  const r3 = await run(['phone', '--aor', 'sip:a@127.0.0.1', '--play', '/nonexistent.wav'], 'quit\n');
  assert.notEqual(r3.code, 0);
  assert.match(r3.stderr, /nonexistent\.wav/);
});
