/** A lossy link: every first copy of each datagram (or 30% at random) is lost, and calls still complete. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LossyTransport, dropFirstCopies, dropRandomly, type DropRule } from '../../src/transport/index.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseUri } from '../../src/message/index.js';

const uas: UserAgent[] = [];
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
});

async function lossyPhone(name: string, rule: () => DropRule, counter: { dropped: number }): Promise<UserAgent> {
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    timers: { T1: 40, T2: 320, T4: 400 }, // scaled-down RFC 3261 timers keep the test short
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
  return ua;
}

async function fullCall(a: UserAgent, b: UserAgent): Promise<void> {
  const bobUri = `sip:bob@127.0.0.1:${b.transport.address('udp')!.port}`;
  const inc = new Promise<Call>((r) => b.once('incoming', r));
  const call = a.dial(parseUri(bobUri));
  const remote = await inc;
  await new Promise<void>((r, j) => {
    call.once('established', () => r());
    call.once('terminated', (i) => j(new Error(`call failed: ${i.reason} ${i.code}`)));
  });
  // the INVITE's 2xx is retransmitted until the (possibly lost) ACK arrives
  await new Promise((r) => setTimeout(r, 600));
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
