import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../../src/media/pacer.js';
import { FrameTicker } from '../../src/media/ticker.js';
import { ToneGenerator } from '../../src/media/tone.js';
import { allocFrame } from '../../src/media/pcm.js';
import { FakeClock, type Clock } from '../../src/util/clock.js';

test('pacers on one ticker share one timer and tick on a common 20 ms grid, without drift', () => {
  const clock = new FakeClock();
  const ticker = new FrameTicker(clock);
  const seen: string[] = [];
  const a = new Pacer({ clock, intervalMs: 20, ticker }, (t) => seen.push(`a${t}@${clock.now()}`));
  const b = new Pacer({ clock, intervalMs: 20, ticker }, (t) => seen.push(`b${t}@${clock.now()}`));
  a.start();
  clock.advance(7);
  // b joins between grid points: its tick 0 is on the next one (20 ms)
  b.start();
  assert.equal(clock.pending, 1, 'one timer for both pacers');
  clock.advance(1000 - 7);
  assert.deepEqual(seen.slice(0, 5), ['a0@0', 'a1@20', 'b0@20', 'a2@40', 'b1@40']);
  assert.equal(seen.filter((s) => s.startsWith('a')).length, 51, 'ticks 0 … 50 in 1000 ms');
  assert.equal(seen.at(-1), 'b49@1000');
  a.stop();
  b.stop();
  assert.equal(clock.pending, 0, 'the timer goes with the last pacer');
  assert.equal(ticker.size, 0);
});

test('a ticker pacer behind schedule catches up, and skips (counted) past maxLagTicks', () => {
  const clock = new FakeClock();
  // timers that fire `lag` ms late, as on a busy event loop
  let lag = 0;
  const late: Clock = {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms + lag),
    clearTimeout: (h) => clock.clearTimeout(h),
  };
  const ticker = new FrameTicker(late);
  const ticks: number[] = [];
  const p = new Pacer({ clock: late, intervalMs: 20, ticker, maxLagTicks: 5 }, (t) => ticks.push(t));
  p.start();
  clock.advance(0);
  assert.deepEqual(ticks, [0]);
  lag = 50;
  clock.advance(20);
  assert.deepEqual(ticks, [0, 1], 'the timer for tick 1 was already set');
  // the next grid timer fires at 90 ms instead of 40: ticks 2-4 are all due and come at once
  clock.advance(70);
  assert.deepEqual(ticks, [0, 1, 2, 3, 4]);
  // the timer for 100 ms, set 50 ms late, fires at 150: ticks 5-7
  lag = 200;
  clock.advance(90);
  assert.deepEqual(ticks.slice(5), [5, 6, 7]);
  // the one for 160 ms now fires at 360 (10 ticks behind, more than 5): skip ahead to the due tick
  clock.advance(200);
  assert.deepEqual(ticks.slice(8), [18]);
  assert.equal(p.skipped, 10);
  p.stop();
});

test('a pacer stopped or restarted from a tick callback gets no further ticks from that round', () => {
  const clock = new FakeClock();
  const ticker = new FrameTicker(clock);
  const ticks: number[] = [];
  let restarted = false;
  const p = new Pacer({ clock, intervalMs: 20, ticker }, (t) => {
    ticks.push(t);
    if (t === 2 && !restarted) {
      restarted = true;
      p.start();
    }
  });
  p.start();
  clock.advance(100);
  // ticks 0-2, then the restart begins again at 0 on the next grid point (60 ms)
  assert.deepEqual(ticks, [0, 1, 2, 0, 1, 2]);
  p.stop();
  assert.equal(p.running, false);
  clock.advance(100);
  assert.equal(ticks.length, 6);
});

test('pacers of different intervals on one ticker keep separate grids', () => {
  const clock = new FakeClock();
  const ticker = new FrameTicker(clock);
  let n20 = 0;
  let n30 = 0;
  const a = new Pacer({ clock, intervalMs: 20, ticker }, () => n20++);
  const b = new Pacer({ clock, intervalMs: 30, ticker }, () => n30++);
  a.start();
  b.start();
  clock.advance(600);
  assert.deepEqual([n20, n30], [31, 21]);
  a.stop();
  b.stop();
});

test('a whole-hertz tone comes from its period table: same samples as computing each one, within 1 LSB', () => {
  for (const frequency of [440, 1000, [350, 440], 697] as const) {
    const fast = new ToneGenerator({ frequency, amplitude: 0.5 });
    const slow = new ToneGenerator({ frequency: typeof frequency === 'number' ? frequency + 1e-9 : [350, 440 + 1e-9] });
    for (let f = 0; f < 120; f++) {
      const x = fast.next(160);
      const y = slow.next(160);
      for (let i = 0; i < 160; i++)
        assert.ok(Math.abs(x[i]! - y[i]!) <= 1, `${String(frequency)} Hz frame ${f} sample ${i}`);
    }
  }
});

test('allocFrame gives distinct, aligned frames on shared memory', () => {
  const a = allocFrame(160).fill(1);
  const b = allocFrame(160).fill(2);
  assert.equal(a.length, 160);
  assert.equal(a.byteOffset % 2, 0);
  assert.ok(a.every((v) => v === 1) && b.every((v) => v === 2));
});
