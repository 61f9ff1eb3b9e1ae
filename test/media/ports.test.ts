import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { PortAllocator, PortsExhaustedError, type PortPair } from '../../src/media/ports.js';

/** A free even base for a small range: bind port 0 and take its neighbourhood (best effort, verified by binding). */
async function freeBase(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return Math.max(20000, p - (p % 2) - 40);
}

test('pairs are even/odd, bound on loopback; exhaustion gives PortsExhaustedError; close frees them', async () => {
  const base = await freeBase();
  const alloc = new PortAllocator({ min: base + 1, max: base + 9 });
  assert.equal(alloc.range.min, base + 2, 'rounded up to even');
  assert.equal(alloc.capacity, 4);
  const pairs: PortPair[] = [];
  for (;;) {
    try {
      pairs.push(await alloc.allocate('127.0.0.1'));
    } catch (e) {
      assert.ok(e instanceof PortsExhaustedError, String(e));
      assert.match(e.message, /no free RTP port pair/);
      break;
    }
  }
  assert.ok(pairs.length >= 1 && pairs.length <= 4);
  for (const p of pairs) {
    assert.equal(p.rtpPort % 2, 0);
    assert.equal(p.rtcpPort, p.rtpPort + 1);
    assert.equal(p.rtp.address().port, p.rtpPort);
    assert.equal(p.rtcp.address().port, p.rtcpPort);
  }
  assert.equal(alloc.inUse, pairs.length);
  await pairs[0]!.close();
  await pairs[0]!.close(); // idempotent
  assert.equal(alloc.inUse, pairs.length - 1);
  const again = await alloc.allocate('127.0.0.1');
  assert.equal(again.rtpPort, pairs[0]!.rtpPort, 'the freed pair is the only one left');
  await Promise.all([again, ...pairs.slice(1)].map((p) => p.close()));
  assert.equal(alloc.inUse, 0);
});

test('a pair held by another socket is skipped', async () => {
  const base = await freeBase();
  const squatter = createSocket('udp4');
  await new Promise<void>((r) => squatter.bind(base + 1, '127.0.0.1', () => r()));
  try {
    const alloc = new PortAllocator({ min: base, max: base + 5 });
    const p = await alloc.allocate('127.0.0.1');
    assert.notEqual(p.rtpPort, base, 'RTCP port of the first pair is taken');
    assert.equal(alloc.inUse, 1);
    await p.close();
    assert.equal(alloc.inUse, 0);
  } finally {
    await new Promise<void>((r) => squatter.close(() => r()));
  }
});

test('no leak: 300 allocate/free cycles leave nothing in use and every pair bindable again', async () => {
  const base = await freeBase();
  const alloc = new PortAllocator({ min: base, max: base + 7 });
  for (let i = 0; i < 300; i++) {
    const a = await alloc.allocate('127.0.0.1');
    const b = await alloc.allocate('127.0.0.1');
    assert.equal(alloc.inUse, 2);
    await Promise.all([a.close(), b.close()]);
  }
  assert.equal(alloc.inUse, 0);
  const all = [];
  for (let i = 0; i < alloc.capacity; i++) all.push(await alloc.allocate('127.0.0.1'));
  assert.equal(alloc.inUse, alloc.capacity, 'every pair of the range is free again');
  await Promise.all(all.map((p) => p.close()));
});

test('ranges outside 1024-65535 or without a pair are refused', () => {
  assert.throws(() => new PortAllocator({ min: 80, max: 100 }), RangeError);
  assert.throws(() => new PortAllocator({ min: 30001, max: 30002 }), RangeError);
  assert.throws(() => new PortAllocator({ min: 65534, max: 70000 }), RangeError);
});
