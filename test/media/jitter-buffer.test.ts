import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JitterBuffer, type JitterPacket, type PullResult } from '../../src/media/jitter-buffer.js';
import { Pacer } from '../../src/media/pacer.js';
import { FakeClock } from '../../src/util/clock.js';

/** Packet i of a stream: samples hold i + 1 so the output shows which packet played. */
function packet(i: number, seq0 = 1000, ts0 = 50000, len = 160): JitterPacket {
  return {
    sequence: (seq0 + i) & 0xffff,
    timestamp: (ts0 + i * len) >>> 0,
    samples: new Int16Array(len).fill(i + 1),
  };
}
const ids = (r: PullResult) => [...new Set(r.samples)];

test('plays in order after the target depth (60 ms = 3 pulls of buffering)', () => {
  const jb = new JitterBuffer({ depthMs: 60 });
  const out: PullResult[] = [];
  for (let i = 0; i < 10; i++) {
    jb.push(packet(i));
    out.push(jb.pull());
  }
  assert.deepEqual(
    out.map((r) => r.status),
    ['buffering', 'buffering', 'buffering', 'audio', 'audio', 'audio', 'audio', 'audio', 'audio', 'audio'],
  );
  assert.deepEqual(
    out.slice(3).map((r) => r.samples[0]),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(out[3]!.timestamp, 50000);
  assert.equal(jb.stats.depthMs, 60);
  assert.deepEqual([jb.stats.lost, jb.stats.late, jb.stats.duplicates], [0, 0, 0]);
});

test('reorders packets within the depth; duplicates dropped and counted', () => {
  const jb = new JitterBuffer({ depthMs: 60 });
  for (const i of [1, 0, 3, 2, 2, 0]) jb.push(packet(i));
  const played = Array.from({ length: 7 }, () => jb.pull()).filter((r) => r.status === 'audio');
  assert.deepEqual(
    played.map((r) => r.samples[0]),
    [1, 2, 3, 4],
  );
  assert.equal(jb.stats.duplicates, 2);
  jb.push(packet(1)); // after it was played
  assert.equal(jb.stats.duplicates, 3);
  assert.equal(jb.stats.late, 0);
});

test('a packet after its playout point is dropped as late; the gap is concealed by a fading repeat', () => {
  const jb = new JitterBuffer({ depthMs: 40 });
  for (const i of [0, 1, 3, 4, 5, 6]) jb.push(packet(i));
  const r = Array.from({ length: 8 }, () => jb.pull());
  assert.deepEqual(
    r.map((x) => x.status),
    ['buffering', 'buffering', 'audio', 'audio', 'lost', 'audio', 'audio', 'audio'],
  );
  assert.deepEqual(ids(r[4]!), [1]); // packet 2 (value 2) repeated at half level: 2 >> 1
  assert.equal(r[4]!.timestamp, 50000 + 2 * 160);
  assert.equal(jb.push(packet(2)), false);
  assert.deepEqual([jb.stats.late, jb.stats.lost, jb.stats.concealedFrames], [1, 1, 1]);
});

test('concealment fades to silence after 3 repeats, or is silence when configured', () => {
  const loud = (i: number) => ({ ...packet(i), samples: new Int16Array(160).fill(800) });
  for (const [concealment, expect] of [
    ['repeat', [400, 200, 100, 0, 0]],
    ['silence', [0, 0, 0, 0, 0]],
  ] as const) {
    const jb = new JitterBuffer({ depthMs: 0, concealment });
    jb.push(loud(0));
    jb.push(loud(6));
    jb.pull();
    const gaps = Array.from({ length: 5 }, () => jb.pull());
    assert.ok(gaps.every((g) => g.status === 'lost'));
    assert.deepEqual(
      gaps.map((g) => g.samples[0]),
      [...expect],
    );
  }
});

test('16-bit sequence and 32-bit timestamp wrap: no loss counted, order kept', () => {
  const jb = new JitterBuffer({ depthMs: 20 });
  const out: number[] = [];
  for (let i = 0; i < 20; i++) {
    jb.push(packet(i, 65530, 0xffffffff - 800));
    const r = jb.pull();
    if (r.status === 'audio') out.push(r.samples[0]!);
  }
  assert.deepEqual(
    out,
    Array.from({ length: 19 }, (_, i) => i + 1),
  );
  assert.equal(jb.stats.lost, 0);
});

test('30 ms packets play contiguously as 20 ms frames', () => {
  const jb = new JitterBuffer({ depthMs: 60 });
  const samples: number[] = [];
  for (let i = 0; i < 16; i++) {
    if (i < 8) jb.push(packet(i, 0, 0, 240));
    const r = jb.pull();
    if (r.status !== 'buffering') samples.push(...r.samples);
  }
  const expected = Array.from({ length: 8 }, (_, i) => new Array<number>(240).fill(i + 1)).flat();
  assert.deepEqual(samples.slice(0, expected.length), expected);
  assert.equal(jb.stats.played, 8);
});

test('underrun: status underrun, then buffering again for the depth after the next packet', () => {
  const jb = new JitterBuffer({ depthMs: 40, concealment: 'silence' });
  jb.push(packet(0));
  const r = Array.from({ length: 4 }, () => jb.pull().status);
  assert.deepEqual(r, ['buffering', 'buffering', 'audio', 'underrun']);
  jb.pull();
  jb.push(packet(5));
  assert.deepEqual(
    Array.from({ length: 4 }, () => jb.pull().status),
    ['buffering', 'buffering', 'audio', 'underrun'],
  );
  assert.equal(jb.stats.underruns, 2);
  assert.equal(jb.stats.lost, 4);
});

test('limits: maxPackets and maxDepthMs drop the oldest; a timestamp jump beyond resyncMs restarts', () => {
  const jb = new JitterBuffer({ depthMs: 60, maxPackets: 5 });
  for (let i = 0; i < 8; i++) jb.push(packet(i));
  assert.equal(jb.stats.overflow, 3);
  const jb2 = new JitterBuffer({ depthMs: 60, maxDepthMs: 100 });
  for (let i = 0; i < 8; i++) jb2.push(packet(i));
  assert.equal(jb2.stats.overflow, 3);
  assert.equal(jb2.stats.depthMs, 100);
  const jb3 = new JitterBuffer({ depthMs: 20, resyncMs: 1000 });
  jb3.push(packet(0));
  jb3.pull();
  jb3.pull();
  jb3.push(packet(0, 7, 50000 + 8000 * 5));
  assert.equal(jb3.stats.resyncs, 1);
  assert.deepEqual([jb3.pull().status, jb3.pull().samples[0]], ['buffering', 1]);
});

test('never emits out of order, never twice, and plays everything that came in time (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 20, max: 200 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.infiniteStream(fc.integer({ min: 0, max: 99 })),
      (count, seq0, ts0, rnd) => {
        const depthMs = 60;
        const jb = new JitterBuffer({ depthMs, concealment: 'silence' });
        // packet i is sent at tick i and arrives after a delay of 0 … 5 ticks, or is lost/duplicated
        const arrivals = new Map<number, number[]>();
        for (let i = 0; i < count; i++) {
          const r = rnd.next().value;
          if (r < 10) continue;
          const at = i + (rnd.next().value % 6);
          arrivals.set(at, [...(arrivals.get(at) ?? []), i]);
          if (r > 90) arrivals.set(at + 1, [...(arrivals.get(at + 1) ?? []), i]);
        }
        const played: number[] = [];
        let lastTs: number | undefined;
        for (let tick = 0; tick < count + 20; tick++) {
          for (const i of arrivals.get(tick) ?? []) jb.push(packet(i, seq0, ts0));
          const r = jb.pull();
          if (r.status === 'buffering') continue;
          if (lastTs !== undefined) assert.ok(((r.timestamp! - lastTs) | 0) >= 160, 'timestamps advance');
          lastTs = r.timestamp!;
          for (const v of new Set(r.samples)) if (v !== 0) played.push(v - 1);
        }
        for (let k = 1; k < played.length; k++) assert.ok(played[k]! > played[k - 1]!, `order: ${played.join()}`);
        const s = jb.stats;
        assert.equal(s.played, played.length);
        // every packet that arrived at most 3 ticks (the depth) after it was sent was played
        for (const [at, list] of arrivals)
          for (const i of list)
            if (at - i <= depthMs / 20 && s.underruns === 0) assert.ok(played.includes(i), `packet ${i}`);
      },
    ),
    { numRuns: 200 },
  );
});

test('driven by a Pacer on a fake clock: 50 packets with jitter play out 60 ms behind, none lost', () => {
  const clock = new FakeClock();
  const jb = new JitterBuffer({ depthMs: 60 });
  const out: PullResult[] = [];
  // network: packet i sent at 20·i ms, delayed 0 … 35 ms
  for (let i = 0; i < 50; i++) clock.setTimeout(() => jb.push(packet(i)), 20 * i + ((i * 37) % 36));
  const pacer = new Pacer({ clock, intervalMs: 20 }, () => out.push(jb.pull()));
  clock.advance(5);
  pacer.start();
  clock.advance(20 * 56);
  pacer.stop();
  const audio = out.filter((r) => r.status === 'audio');
  assert.deepEqual(
    audio.map((r) => r.samples[0]),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.deepEqual([jb.stats.lost, jb.stats.late], [0, 0]);
});
