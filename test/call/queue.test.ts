/**
 * The INVITE session's request queue and glare handling on a fake clock (TCP, so that no
 * retransmission timer runs): a second hold waits for the first without any timer, and a 491
 * is retried only after the RFC 3261 §14.1 delay.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { FakeClock } from '../../src/util/clock.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import type { WireEvent } from '../../src/transport/index.js';
import { sdpDirection } from './helpers.js';

const uas: UserAgent[] = [];
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
});

interface Peer {
  ua: UserAgent;
  wire: WireEvent[];
  uri: string;
}

async function peer(
  name: string,
  clock: FakeClock,
  onWire?: (e: WireEvent) => void,
  protocol: 'udp' | 'tcp' = 'tcp',
): Promise<Peer> {
  const wire: WireEvent[] = [];
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol, host: '127.0.0.1', port: 0 }],
    clock,
    autoAnswer: false,
    tap: (e) => {
      wire.push(e);
      onWire?.(e);
    },
  });
  await ua.start();
  uas.push(ua);
  const port = ua.transport.address(protocol)!.port;
  return { ua, wire, uri: `sip:${name}@127.0.0.1:${port}${protocol === 'tcp' ? ';transport=tcp' : ''}` };
}

const parsed = (p: Peer, dir: 'in' | 'out') =>
  p.wire.filter((e) => e.direction === dir).map((e) => parseMessage(e.bytes));
const reInvites = (p: Peer) =>
  parsed(p, 'out').filter((m): m is SipRequest => m.isRequest && (m as SipRequest).method === 'INVITE');

/** Alice calls Bob, Bob answers by hand (autoAnswer would need the fake clock to move). */
async function connect(a: Peer, b: Peer): Promise<[Call, Call]> {
  const incoming = new Promise<Call>((r) => b.ua.once('incoming', r));
  const calling = a.ua.call(b.uri);
  const bc = await incoming;
  await bc.answer();
  const ac = await calling;
  return [ac, bc];
}

test('a second hold waits for the first: one re-INVITE at a time, and no timer is involved', async () => {
  const clock = new FakeClock();
  const alice = await peer('alice', clock);
  const bob = await peer('bob', clock);
  const [ac, bc] = await connect(alice, bob);
  const before = reInvites(alice).length; // the initial INVITE
  const first = ac.hold();
  const second = ac.resume();
  assert.equal(ac.session.queued, 2, 'both requests are in the queue');
  let sentWhenFirstDone = -1;
  const firstDone = first.then((s) => {
    sentWhenFirstDone = reInvites(alice).length - before;
    return s;
  });
  const held = await firstDone;
  assert.equal(held.localHold, true);
  assert.equal(sentWhenFirstDone, 1, 'the resume was not sent before the hold was answered');
  const resumed = await second;
  assert.equal(resumed.localHold, false);
  assert.equal(reInvites(alice).length - before, 2);
  // the resume went out only after the hold's 200 came in
  const order = alice.wire.map((e) => parseMessage(e.bytes));
  const holdOk = order.findIndex(
    (m) => !m.isRequest && (m as SipResponse).status === 200 && sdpDirection(m.body) === 'recvonly',
  );
  const resumeInvite = order.findIndex(
    (m) => m.isRequest && (m as SipRequest).method === 'INVITE' && sdpDirection(m.body) === 'sendrecv' && m.to?.tag,
  );
  assert.ok(holdOk >= 0 && resumeInvite > holdOk, `hold's 200 at ${holdOk}, resume INVITE at ${resumeInvite}`);
  assert.equal(clock.now(), 0, 'no time had to pass: the queue waits on the first promise, not a timer');
  assert.equal(bc.remoteHold, false);
  assert.equal(ac.signallingState, 'stable');
  await ac.hangup();
});

test('glare (UDP): both hold at once, both get 491, the non-owner retries within 2 s and the owner only after 2.1 s (§14.1)', async () => {
  const clock = new FakeClock();
  // UDP: no connection to set up, so that both re-INVITEs are on the wire before either arrives
  const alice = await peer('alice', clock, undefined, 'udp');
  const bob = await peer('bob', clock, undefined, 'udp');
  const [ac, bc] = await connect(alice, bob); // Alice owns the Call-ID (RFC 3261 §14.1)
  // distinct re-INVITEs (a retransmission has the same CSeq)
  const sent = (p: Peer) =>
    new Set(
      reInvites(p)
        .filter((m) => m.to?.tag)
        .map((m) => m.cseq!.seq),
    ).size;
  // both get 491 and put their retry to sleep on the clock
  const delays = Promise.all([ac, bc].map((c) => new Promise<number>((r) => c.once('glare', r))));
  const aliceHold = ac.hold();
  const bobHold = bc.hold();
  const [aliceDelay, bobDelay] = await delays;
  assert.ok(aliceDelay! >= 2100 && aliceDelay! <= 4000, `owner's delay ${aliceDelay}`);
  assert.ok(bobDelay! >= 0 && bobDelay! < 2000, `non-owner's delay ${bobDelay}`);
  assert.equal(sent(alice), 1);
  assert.equal(sent(bob), 1);
  assert.equal(ac.localHold || bc.localHold, false, 'a failed offer changes nothing');
  // 2.0 s: Bob (0–2 s) has retried, Alice (2.1–4 s) has not
  clock.advance(2000);
  const bobState = await bobHold;
  assert.equal(bobState.localHold, true);
  assert.equal(sent(alice), 1, 'the owner of the Call-ID waits at least 2.1 s');
  assert.equal(sent(bob), 2);
  assert.equal(ac.remoteHold, true);
  clock.advance(2000);
  const aliceState = await aliceHold;
  assert.equal(aliceState.localHold, true);
  assert.equal(sent(alice), 2);
  // Alice holds a peer that holds her: a=inactive (RFC 6337 §5.3)
  assert.equal(sdpDirection(reInvites(alice).at(-1)!.body), 'inactive');
  assert.equal(ac.remoteHold && bc.remoteHold, true);
  await ac.hangup();
});
