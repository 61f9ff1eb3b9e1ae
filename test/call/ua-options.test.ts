/**
 * UserAgentOptions reach the calls (issue 13 §6): `transferTimeout` (the transferor's wait for the
 * final NOTIFY) and `transfereeByeDelay` (the transferee's wait for the transferor's BYE) on a fake
 * clock; and transport errors reach the UA's `error` event, or go nowhere without a listener.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { UserAgent, type UserAgentOptions } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { TransferFailedError } from '../../src/call/errors.js';
import { FakeClock } from '../../src/util/clock.js';
import { once } from './helpers.js';

const uas: UserAgent[] = [];
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
});

/** A UA on TCP loopback (no UDP retransmission timers, so a fake clock only moves what we test). */
async function tcpUa(name: string, opts: Partial<UserAgentOptions> = {}): Promise<{ ua: UserAgent; uri: string }> {
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }],
    ...opts,
  });
  await ua.start();
  uas.push(ua);
  return { ua, uri: `sip:${name}@127.0.0.1:${ua.transport.address('tcp')!.port};transport=tcp` };
}

function established(c: Call): Promise<void> {
  return c.state === 'established' ? Promise.resolve() : once(c, 'established').then(() => undefined);
}

test('transferTimeout from UserAgentOptions: no final NOTIFY within 5 s → 408, the call is kept (fake time)', async () => {
  const clock = new FakeClock();
  const alice = await tcpUa('alice', { clock, transferTimeout: 5000 });
  const bob = await tcpUa('bob', { autoAnswer: 0 });
  const carol = await tcpUa('carol', { autoAnswer: false }); // rings for ever: no final NOTIFY
  const call = alice.ua.dial(bob.uri);
  await established(call);
  const ringing = once(carol.ua, 'incoming');
  const trying = once(call, 'transfer-progress');
  const outcome = call.transfer(carol.ua.contact.uri);
  outcome.catch(() => undefined); // asserted below, once the clock has moved
  await ringing;
  await trying;
  const failed = once<[number, string]>(call, 'transfer-failed');
  clock.advance(4_900);
  assert.equal(call.state, 'established', 'still waiting at 4.9 s (the default would be 32 s)');
  clock.advance(200);
  assert.equal((await failed)[0], 408);
  await assert.rejects(outcome, (e: unknown) => e instanceof TransferFailedError && e.status === 408);
  assert.equal(call.state, 'established', 'the original call is kept');
  await call.hangup();
});

test('transfereeByeDelay from UserAgentOptions: the transferee ends the original call 3 s after success (fake time)', async () => {
  const clock = new FakeClock();
  const alice = await tcpUa('alice');
  const bob = await tcpUa('bob', { clock, transfereeByeDelay: 3000, autoAnswer: false });
  const carol = await tcpUa('carol', { autoAnswer: 0 });
  bob.ua.on('incoming', (c: Call) => void c.answer().catch(() => undefined));
  const bobCall = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(bob.uri);
  await established(call);
  const [bc] = await bobCall;
  await established(bc);
  // Alice refers without a subscription (RFC 4488) and never sends BYE herself: Bob must
  const transferred = once(bc, 'transferred');
  const refer = call.dialog!.createRequest('REFER', {
    headers: [
      ['Refer-To', `<${carol.uri}>`],
      ['Refer-Sub', 'false'],
    ],
  });
  assert.equal((await alice.ua.core.send(refer)).status, 202);
  await transferred;
  clock.advance(2_900);
  assert.equal(bc.sessionState, 'connected', 'Bob still leaves the BYE to Alice at 2.9 s');
  const gone = once<[{ reason: string }]>(call, 'terminated');
  clock.advance(200);
  assert.equal((await gone)[0].reason, 'remote-bye');
  assert.equal(bc.state, 'terminated');
});

/** The UA's UDP socket (test access to the transport's internals). */
function udpSocket(ua: UserAgent): Socket {
  return (ua.transport as unknown as { udp: Map<number, { sock: Socket }> }).udp.get(4)!.sock;
}

test('transport errors reach the UA error event; without a listener nothing crashes and calls go on', async () => {
  const udp = (name: string, opts: Partial<UserAgentOptions> = {}) =>
    new UserAgent({ aor: `sip:${name}@127.0.0.1`, listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], ...opts });
  const alice = udp('alice');
  const bob = udp('bob', { autoAnswer: 0 });
  for (const u of [alice, bob]) {
    await u.start();
    uas.push(u);
  }
  const bobUri = `sip:bob@127.0.0.1:${bob.transport.address('udp')!.port}`;
  // a socket error (what a failed sendto or an ICMP error gives) goes to the UA's listener
  const errors: Error[] = [];
  alice.on('error', (e) => errors.push(e));
  udpSocket(alice).emit('error', new Error('simulated EHOSTUNREACH'));
  assert.deepEqual(
    errors.map((e) => e.message),
    ['simulated EHOSTUNREACH'],
  );
  // a handler that throws on a received message is a transport error too: reported, serving goes on
  const choke = () => {
    throw new Error('listener choked');
  };
  alice.transport.on('message', choke);
  const first = await alice.call(bobUri);
  alice.transport.off('message', choke);
  assert.ok(errors.some((e) => e.message === 'listener choked'));
  await first.hangup();
  // nobody listens to bob's error event: the same errors are dropped, not thrown
  assert.equal(bob.listenerCount('error'), 0);
  assert.doesNotThrow(() => udpSocket(bob).emit('error', new Error('simulated, unheard')));
  bob.transport.on('message', choke);
  const second = await alice.call(bobUri);
  bob.transport.off('message', choke);
  assert.equal(second.state, 'established');
  await second.hangup();
});
