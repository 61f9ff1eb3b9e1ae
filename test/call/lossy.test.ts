/** A lossy link: every first copy of each datagram (or 30% at random) is lost, and calls still complete. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LossyTransport, dropFirstCopies, dropRandomly, type DropRule } from '../../src/transport/index.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, parseUri, type SipRequest } from '../../src/message/index.js';
import { EventEmitter } from 'node:events';

const uas: UserAgent[] = [];
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
});

interface LossyPhone {
  ua: UserAgent;
  /** Emits 'ack' for each ACK that reached this phone (the lossy link dropped none of its copies). */
  wire: EventEmitter;
}

async function lossyPhone(name: string, rule: () => DropRule, counter: { dropped: number }): Promise<LossyPhone> {
  const wire = new EventEmitter();
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    timers: { T1: 40, T2: 320, T4: 400 }, // scaled-down RFC 3261 timers keep the test short
    tap: (e) => {
      const m = e.direction === 'in' ? parseMessage(e.bytes) : undefined;
      // after this datagram is handled
      if (m?.isRequest && (m as SipRequest).method === 'ACK') setImmediate(() => wire.emit('ack'));
    },
    wrapTransport: (t) => {
      const l = new LossyTransport(t, rule());
      const orig = l.send.bind(l);
      l.send = (m, target, o) => {
        const before = l.dropped;
        return orig(m, target, o).finally(() => (counter.dropped += l.dropped - before));
      };
      return l;
    },
  });
  await ua.start();
  uas.push(ua);
  return { ua, wire };
}

async function fullCall({ ua: a }: LossyPhone, { ua: b, wire }: LossyPhone): Promise<void> {
  // the INVITE's 2xx is retransmitted until the (possibly lost) ACK arrives: wait for that ACK
  let guard: NodeJS.Timeout | undefined;
  const acked = new Promise<void>((r, j) => {
    guard = setTimeout(() => j(new Error('the ACK never reached the callee')), 10_000);
    wire.once('ack', () => r());
  }).finally(() => clearTimeout(guard));
  acked.catch(() => undefined); // awaited below, unless the call fails first
  const bobUri = `sip:bob@127.0.0.1:${b.transport.address('udp')!.port}`;
  const inc = new Promise<Call>((r) => b.once('incoming', r));
  const call = a.dial(parseUri(bobUri));
  const remote = await inc;
  await new Promise<void>((r, j) => {
    call.once('established', () => r());
    call.once('terminated', (i) => j(new Error(`call failed: ${i.reason} ${i.code}`)));
  });
  await acked;
  const ended = new Promise<void>((r) => remote.once('terminated', () => r()));
  void call.hangup();
  await ended;
  assert.equal(remote.state, 'terminated');
}

test('INVITE/ACK/BYE completes when the first copy of every datagram is lost', async () => {
  const counter = { dropped: 0 };
  const alice = await lossyPhone('alice', dropFirstCopies, counter);
  const bob = await lossyPhone('bob', dropFirstCopies, counter);
  await fullCall(alice, bob);
  assert.ok(counter.dropped >= 4, `${counter.dropped} datagrams dropped`);
});

test('five calls complete with 30% random loss (seeded)', async () => {
  const counter = { dropped: 0 };
  let seed = 7;
  const alice = await lossyPhone('alice', () => dropRandomly(0.3, seed++), counter);
  const bob = await lossyPhone('bob', () => dropRandomly(0.3, seed++), counter);
  for (let i = 0; i < 5; i++) await fullCall(alice, bob);
  assert.ok(counter.dropped > 0, `${counter.dropped} datagrams dropped`);
});
