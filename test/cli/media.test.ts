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
import { cliProcs, run } from './helpers.js';
import { decodeWav } from '../../src/media/wav.js';
import { containsTone } from '../../src/media/analyse.js';

const cli = cliProcs();

test('phone: tones both ways, recordings hold the other side, DTMF and stats', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-media-'));
  const bob = cli([
    'phone',
    '--aor',
    'sip:bob@127.0.0.1',
    '--listen',
    'udp:127.0.0.1:0',
    '--auto-answer',
    '0',
    '--play',
    'tone:1000',
    '--record',
    join(dir, 'bob.wav'),
    '--json',
  ]);
  const alice = cli([
    'phone',
    '--aor',
    'sip:alice@127.0.0.1',
    '--listen',
    'udp:127.0.0.1:0',
    '--play',
    'tone:440',
    '--record',
    join(dir, 'alice.wav'),
    '--json',
  ]);
  const ready = await bob.event('ready', undefined, 20_000);
  await alice.event('ready', undefined, 20_000);
  alice.send(`call ${String(ready.contact)}`);
  await alice.event('established');
  alice.send('dtmf 4#');
  await bob.event('dtmf', (o) => o.digit === '4');
  await bob.event('dtmf', (o) => o.digit === '#');
  // stats until a second of audio has crossed both ways (event-driven: one answer per request)
  let stats: Record<string, unknown> = {};
  // the phone has no event for "a second of audio has crossed", so ask every 100 ms (bounded)
  for (let i = 0; i < 200; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const seen = alice.lines.length;
    alice.send('stats');
    const line = await alice.waitFor((l) => alice.lines.indexOf(l, seen) >= seen && l.includes('"stats"'));
    stats = JSON.parse(line) as Record<string, unknown>;
    const rtp = stats.rtp as { sent: number; received: number };
    if (rtp.sent >= 75 && rtp.received >= 75) break;
  }
  assert.equal(stats.codec, 'PCMU');
  assert.equal(stats.direction, 'sendrecv');
  alice.send('hangup');
  await bob.event('terminated');
  alice.send('quit');
  bob.send('quit');
  assert.equal(await alice.exited, 0);
  assert.equal(await bob.exited, 0);
  const heardByAlice = decodeWav(readFileSync(join(dir, 'alice.wav'))).samples;
  const heardByBob = decodeWav(readFileSync(join(dir, 'bob.wav'))).samples;
  assert.ok(heardByAlice.length >= 8000 * 0.5, 'Alice recorded at least half a second');
  assert.ok(containsTone(heardByAlice, 1000), "Alice's recording holds Bob's 1000 Hz tone");
  assert.ok(containsTone(heardByBob, 440), "Bob's recording holds Alice's 440 Hz tone");
});

test('phone: --codecs with opus negotiates opus (offerer first), tones cross both ways', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-opus-'));
  const phone = (name: string, tone: number, codecs: string, extra: string[] = []) =>
    cli([
      'phone',
      '--aor',
      `sip:${name}@127.0.0.1`,
      '--listen',
      'udp:127.0.0.1:0',
      '--codecs',
      codecs,
      '--play',
      `tone:${tone}`,
      '--record',
      join(dir, `${name}.wav`),
      '--json',
      ...extra,
    ]);
  const bob = phone('bob', 1000, 'PCMU,PCMA,opus', ['--auto-answer', '0']);
  const alice = phone('alice', 440, 'opus,PCMU');
  const ready = await bob.event('ready', undefined, 20_000);
  await alice.event('ready', undefined, 20_000);
  alice.send(`call ${String(ready.contact)}`);
  await alice.event('established');
  let stats: Record<string, unknown> = {};
  // no event for "a second of audio has crossed": ask every 100 ms (bounded), as above
  for (let i = 0; i < 200; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const seen = alice.lines.length;
    alice.send('stats');
    const line = await alice.waitFor((l) => alice.lines.indexOf(l, seen) >= seen && l.includes('"stats"'));
    stats = JSON.parse(line) as Record<string, unknown>;
    const rtp = stats.rtp as { sent: number; received: number };
    if (rtp.sent >= 75 && rtp.received >= 75) break;
  }
  assert.equal(stats.codec, 'opus');
  alice.send('hangup');
  await bob.event('terminated');
  alice.send('quit');
  bob.send('quit');
  assert.equal(await alice.exited, 0);
  assert.equal(await bob.exited, 0);
  const heardByAlice = decodeWav(readFileSync(join(dir, 'alice.wav'))).samples;
  const heardByBob = decodeWav(readFileSync(join(dir, 'bob.wav'))).samples;
  assert.ok(containsTone(heardByAlice, 1000), "Alice's recording holds Bob's 1000 Hz tone (opus)");
  assert.ok(containsTone(heardByBob, 440), "Bob's recording holds Alice's 440 Hz tone (opus)");
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
