import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue } from '../../src/util/timer-queue.js';

/** Resolves when `q` fires a timer set for `ms`, with the value it fired with. */
function after<T>(q: TimerQueue, ms: number, value: T): Promise<T> {
  return new Promise((r) => q.setTimeout(() => r(value), ms));
}

test('TimerQueue fires timers of several durations in deadline order, each after its delay', async () => {
  const q = new TimerQueue({ unref: false });
  const fired: string[] = [];
  const t0 = q.now();
  const at: Record<string, number> = {};
  const mark = (name: string) => () => {
    fired.push(name);
    at[name] = q.now() - t0;
  };
  q.setTimeout(mark('c30'), 30);
  q.setTimeout(mark('a0'), 0);
  q.setTimeout(mark('b10'), 10);
  q.setTimeout(mark('c30-second'), 30);
  q.setTimeout(mark('b20'), 20);
  assert.equal(q.pending, 5);
  await after(q, 45, undefined);
  assert.deepEqual(fired, ['a0', 'b10', 'b20', 'c30', 'c30-second']);
  // never before its delay (the 1 ms tolerance of a Node timer firing early)
  for (const [name, ms] of Object.entries({ b10: 10, b20: 20, c30: 30 }))
    assert.ok(at[name]! >= ms - 1, `${name} at ${at[name]}`);
  assert.equal(q.pending, 0);
});

test('TimerQueue: a cleared timer never fires and lets go of its callback; clearing twice is harmless', async () => {
  const q = new TimerQueue({ unref: false });
  let ran = false;
  const h = q.setTimeout(() => (ran = true), 5);
  const other = q.setTimeout(() => undefined, 5);
  q.clearTimeout(h);
  q.clearTimeout(h);
  q.clearTimeout(undefined);
  assert.equal(q.pending, 1);
  await after(q, 15, undefined);
  assert.equal(ran, false);
  q.clearTimeout(other); // already fired: nothing happens
  assert.equal(q.pending, 0);
});

test('TimerQueue: a timer set from a firing callback, and an earlier one set later, both fire', async () => {
  const q = new TimerQueue({ unref: false });
  const order: string[] = [];
  const done = new Promise<void>((resolve) => {
    q.setTimeout(() => {
      order.push('long');
      resolve();
    }, 40);
    q.setTimeout(() => {
      order.push('short');
      q.setTimeout(() => order.push('chained'), 0);
    }, 5);
  });
  await done;
  assert.deepEqual(order, ['short', 'chained', 'long']);
});

test('TimerQueue.clear cancels everything', async () => {
  const q = new TimerQueue({ unref: false });
  let ran = 0;
  for (const ms of [1, 2, 3, 500]) q.setTimeout(() => ran++, ms);
  q.clear();
  assert.equal(q.pending, 0);
  const other = new TimerQueue({ unref: false });
  await after(other, 10, undefined);
  assert.equal(ran, 0);
});
