/** Batched CLI event output (issue 16 §1) and --quiet. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineWriter, eventEmitter, formatEvent } from '../../src/cli/output.js';
import { FakeClock } from '../../src/util/clock.js';
import { cliProcs, run, startPhone, startProxy } from './helpers.js';

/** A sink that records writes and pushes back when told to. */
class FakeSink extends EventEmitter {
  chunks: string[] = [];
  full = false;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
}
/** A schedule run by hand: the test says when the turn ends. */
function manualTurns(): { schedule: (fn: () => void) => void; endTurn(): void } {
  let queue: (() => void)[] = [];
  return {
    schedule: (fn) => queue.push(fn),
    endTurn: () => {
      const q = queue;
      queue = [];
      q.forEach((f) => f());
    },
  };
}

test('LineWriter: the lines of one turn go out in one write, in order', () => {
  const sink = new FakeSink();
  const turns = manualTurns();
  const w = new LineWriter(sink, { schedule: turns.schedule });
  for (let i = 0; i < 100; i++) w.write(`line ${i}\n`);
  assert.equal(sink.chunks.length, 0, 'nothing written within the turn');
  turns.endTurn();
  assert.equal(sink.chunks.length, 1);
  assert.equal(w.writes, 1);
  assert.equal(sink.chunks[0], Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  w.write('next\n');
  turns.endTurn();
  assert.deepEqual(sink.chunks.slice(1), ['next\n']);
});

test('LineWriter: by default, what arrives within 10 ms (on the clock) shares one write', () => {
  const sink = new FakeSink();
  const clock = new FakeClock();
  const w = new LineWriter(sink, { clock });
  w.write('a\n');
  clock.advance(9);
  w.write('b\n');
  assert.equal(sink.chunks.length, 0);
  clock.advance(1);
  assert.deepEqual(sink.chunks, ['a\nb\n']);
  w.write('c\n');
  clock.advance(10);
  assert.deepEqual(sink.chunks, ['a\nb\n', 'c\n']);
});

test('LineWriter: a large buffer is written at once, without waiting for the turn to end', () => {
  const sink = new FakeSink();
  const turns = manualTurns();
  const w = new LineWriter(sink, { schedule: turns.schedule, flushBytes: 100 });
  for (let i = 0; i < 25; i++) w.write('0123456789\n');
  assert.equal(sink.chunks.length, 2, '10 lines of 11 bytes reach 100 twice');
  turns.endTurn();
  assert.equal(sink.chunks.join(''), '0123456789\n'.repeat(25));
});

test('LineWriter: backpressure holds lines until drain, caps them (oldest dropped, counted), end() waits', async () => {
  const sink = new FakeSink();
  const turns = manualTurns();
  const w = new LineWriter(sink, { schedule: turns.schedule, maxPendingBytes: 50 });
  sink.full = true;
  w.write('first\n');
  turns.endTurn();
  assert.equal(sink.chunks.length, 1, 'written, and the sink pushed back');
  for (let i = 0; i < 20; i++) w.write(`held ${String(i).padStart(2, '0')}\n`);
  turns.endTurn();
  assert.equal(sink.chunks.length, 1, 'nothing written while the sink pushes back');
  assert.ok(w.pending <= 6, `held within the cap (${w.pending} lines)`);
  assert.equal(w.droppedTotal, 20 - w.pending);
  let ended = false;
  const end = w.end().then(() => (ended = true));
  await Promise.resolve();
  assert.equal(ended, false, 'end() waits for the drain');
  sink.full = false;
  sink.emit('drain');
  await end;
  assert.equal(sink.chunks.length, 2);
  const resumed = sink.chunks[1]!;
  assert.match(resumed, new RegExp(`^\\{"event":"dropped","lines":${w.droppedTotal}\\}\\n`));
  assert.ok(resumed.endsWith('held 19\n'), 'the newest lines are kept');
});

test('LineWriter: flushSync writes what is left to the descriptor (process exit)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-out-'));
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  const sink = Object.assign(new FakeSink(), { fd });
  const w = new LineWriter(sink, { schedule: () => undefined });
  w.write('a\n');
  w.write('b\n');
  w.flushSync();
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8'), 'a\nb\n');
  assert.equal(w.pending, 0);
});

test('eventEmitter: --quiet keeps only the events it is told to; both formats', () => {
  const sink = new FakeSink();
  const w = new LineWriter(sink, { schedule: () => undefined });
  const emit = eventEmitter(w, { json: true, quiet: true, always: new Set(['error']) });
  emit('established', { call: 'c1' });
  emit('error', { message: 'boom', call: undefined });
  w.flush();
  assert.deepEqual(sink.chunks, ['{"event":"error","message":"boom"}\n']);
  assert.equal(formatEvent(false, 'held', { call: 'c1', why: 'a b' }), 'held call=c1 why="a b"\n');
});

const cli = cliProcs();

test('switchboard phone: events written before quitting are all flushed at exit', async () => {
  const r = await run(
    ['phone', '--aor', 'sip:x@127.0.0.1', '--listen', 'udp:127.0.0.1:0', '--json'],
    'calls\nbogus one\nbogus two\nquit\n',
  );
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { event: string }).event);
  assert.deepEqual(events, ['ready', 'error', 'error']);
});

test('switchboard phone --quiet: no per-call events, errors still shown; the caller sees the call', async () => {
  const [{ proc: bob, contact }, { proc: alice }] = await Promise.all([
    startPhone(cli, 'bob', { autoAnswer: 0, extra: ['--quiet'] }),
    startPhone(cli, 'alice'),
  ]);
  alice.send(`call ${contact}`);
  await alice.event('established');
  alice.send('hangup');
  await alice.event('terminated');
  bob.send('bogus');
  await bob.event('error', (o) => /unknown command/.test(String(o.message)));
  bob.send('quit');
  alice.send('quit');
  assert.equal(await bob.exited, 0);
  const events = bob.lines.map((l) => (JSON.parse(l) as { event: string }).event);
  assert.deepEqual(events, ['ready', 'error'], 'nothing per call');
});

test('switchboard proxy --quiet --verbose: no per-request lines', async () => {
  const { freePort } = await import('../interop/ports.js');
  const port = await freePort();
  for (const quiet of [false, true]) {
    const { proc: proxy } = await startProxy(cli, ['--verbose', ...(quiet ? ['--quiet'] : [])], { port });
    // a phone registers through it: one per-request line unless quiet
    const phone = await run(
      ['phone', '--aor', 'sip:carol@example.com', '--registrar', `sip:127.0.0.1:${port}`, '--json'],
      '',
    );
    assert.equal(phone.code, 0);
    proxy.child.kill('SIGTERM');
    assert.equal(await proxy.exited, 0);
    assert.match(proxy.stderr, /proxy stopped/);
    if (quiet) assert.doesNotMatch(proxy.stderr, /REGISTER/);
    else assert.match(proxy.stderr, /REGISTER sip:\S+ -> /);
  }
});
