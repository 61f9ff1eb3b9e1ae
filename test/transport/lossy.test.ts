/** LossyTransport: drop patterns on the UDP send path, checked on a real loopback socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createVia, parseMessage, type SipMessage, type SipRequest } from '../../src/message/index.js';
import {
  LossyTransport,
  dropFirstCopies,
  dropRandomly,
  seededRandom,
  type Inbound,
} from '../../src/transport/index.js';
import { manager, nextMessage, sleep, udpPeer } from './helpers.js';

const request = (n: number) =>
  createRequest({
    method: 'MESSAGE',
    uri: 'sip:bob@127.0.0.1',
    from: 'sip:a@x',
    to: 'sip:b@x',
    callId: `c${n}`,
    via: createVia('UDP', '127.0.0.1', 5999),
  });

async function lossy(rule: ConstructorParameters<typeof LossyTransport>[1]) {
  const inner = manager();
  await inner.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await udpPeer();
  return { inner, peer, wire: new LossyTransport(inner, rule) };
}

async function drain(peer: Awaited<ReturnType<typeof udpPeer>>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const b = await peer.next(80).catch(() => undefined);
    if (!b) return out;
    out.push((parseMessage(b) as SipRequest).callId!);
  }
}

test('a predicate sees each UDP datagram with its index; streams are never dropped', async () => {
  const calls: [string, number][] = [];
  const { inner, peer, wire } = await lossy((m: SipMessage, i) => {
    calls.push([(m as SipRequest).callId!, i]);
    return i % 2 === 0;
  });
  for (let i = 0; i < 6; i++) await wire.send(request(i), { protocol: 'udp', host: '127.0.0.1', port: peer.port });
  assert.deepEqual(await drain(peer), ['c1', 'c3', 'c5']);
  assert.deepEqual(
    calls.map((c) => c[1]),
    [0, 1, 2, 3, 4, 5],
  );
  assert.equal(wire.dropped, 3);
  assert.equal(wire.passed, 3);
  assert.deepEqual(
    wire.lost.map((m) => (m as SipRequest).callId),
    ['c0', 'c2', 'c4'],
  );
  assert.equal(wire.isReliable('udp'), false);
  assert.deepEqual(wire.viaFor('udp'), inner.viaFor('udp'));
  // TCP through the wrapper: the rule is not even asked
  const tcp = manager();
  const t = await tcp.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const got = nextMessage(tcp);
  await wire.send(request(9), { protocol: 'tcp', host: '127.0.0.1', port: t.port });
  assert.equal(((await got).message as SipRequest).callId, 'c9');
  assert.equal(calls.length, 6);
});

test('dropFirstCopies: the first copy of each distinct message is lost, retransmissions pass', async () => {
  const { peer, wire } = await lossy(dropFirstCopies());
  const a = request(1);
  const b = request(2);
  for (const m of [a, b, a, a, b]) await wire.send(m, { protocol: 'udp', host: '127.0.0.1', port: peer.port });
  assert.deepEqual(await drain(peer), ['c1', 'c1', 'c2']);
  assert.equal(wire.dropped, 2);
});

test('dropRandomly: p% with a fixed seed, the same datagrams every run', () => {
  const run = (seed: number) => {
    const rule = dropRandomly(0.3, seed);
    return Array.from({ length: 2000 }, (_, i) => rule(request(0), i));
  };
  const a = run(42);
  assert.deepEqual(run(42), a, 'same seed, same losses');
  assert.notDeepEqual(run(43), a, 'another seed, other losses');
  const lost = a.filter(Boolean).length / a.length;
  assert.ok(lost > 0.25 && lost < 0.35, `about 30 % lost, got ${lost}`);
  assert.equal(dropRandomly(0, 1)(request(0), 0), false);
  assert.equal(dropRandomly(1, 1)(request(0), 0), true);
  assert.throws(() => dropRandomly(30, 1), RangeError);
  const r = seededRandom(1);
  const xs = Array.from({ length: 1000 }, r);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.deepEqual(Array.from({ length: 1000 }, seededRandom(1)), xs);
});

test('inbound messages are relayed until detach()', async () => {
  const { inner, wire } = await lossy(() => true);
  const seen: Inbound[] = [];
  wire.on('message', (m: Inbound) => seen.push(m));
  const sender = manager();
  await sender.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const port = inner.address('udp')!.port;
  await sender.send(request(1), { protocol: 'udp', host: '127.0.0.1', port });
  for (let i = 0; i < 50 && !seen.length; i++) await sleep(5);
  assert.equal(seen.length, 1);
  wire.detach();
  const direct = nextMessage(inner);
  await sender.send(request(2), { protocol: 'udp', host: '127.0.0.1', port });
  await direct;
  assert.equal(seen.length, 1);
});

test('an inbound rule loses received UDP datagrams (a full socket buffer), counted apart from sent ones', async () => {
  const inner = manager();
  const port = (await inner.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const wire = new LossyTransport(
    inner,
    () => false,
    (m, i) => (m as SipRequest).callId === 'c1' && i === 0,
  );
  const seen: string[] = [];
  wire.on('message', (m: Inbound) => seen.push((m.message as SipRequest).callId!));
  const sender = manager();
  await sender.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  for (const n of [1, 1, 2]) await sender.send(request(n), { protocol: 'udp', host: '127.0.0.1', port });
  for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(5);
  assert.deepEqual(seen, ['c1', 'c2']);
  assert.equal(wire.droppedIn, 1);
  assert.equal(wire.dropped, 0);
  assert.equal((wire.lost[0] as SipRequest).callId, 'c1');
  assert.deepEqual(wire.address('udp'), inner.address('udp'));
});
