/** Call edge cases: CANCEL, re-INVITE without an offer, Refer-Sub: false, forked 2xx. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAck, once, onWire, phoneMaker, responses, sent } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, parseUri, type SipRequest, type SipResponse } from '../../src/message/index.js';

const make = phoneMaker();

test('CANCEL of a ringing call: 200 to the CANCEL, 487 to the INVITE, both sides terminated', async () => {
  const alice = await make('alice');
  const bob = await make('bob', { autoAnswer: false });
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(parseUri(bob.uri));
  await once(call, 'ringing');
  const [bc] = await inc;
  const ended = once<[{ reason: string; code?: number }]>(call, 'terminated');
  const bobEnded = once<[{ reason: string }]>(bc, 'terminated');
  void call.hangup();
  const [info] = await ended;
  assert.equal(info.code, 487);
  assert.equal((await bobEnded)[0].reason, 'cancelled');
  assert.equal(sent(alice, 'CANCEL').length, 1);
  const bobOut = responses(bob, 'out');
  assert.ok(bobOut.some((r) => r.status === 200 && r.cseq!.method === 'CANCEL'));
  assert.ok(bobOut.some((r) => r.status === 487 && r.cseq!.method === 'INVITE'));
  // the 487 is ACKed by Alice's INVITE client transaction (on the wire once its send has gone out)
  await onWire(alice, 'out', isAck);
});

test('re-INVITE without an offer: our offer goes in the 200, the answer comes in the ACK (RFC 3261 §14.2)', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(parseUri(bob.uri));
  const [bc] = await inc;
  await once(call, 'established');
  // Bob has the ACK of his 2xx: a re-INVITE before it would get 500 (RFC 3261 §14.2)
  await onWire(bob, 'in', isAck);
  // Alice's core sends an empty re-INVITE by hand; Bob must offer in the 200
  const req = call.dialog!.createRequest('INVITE');
  let ok: SipResponse | undefined;
  const res = await alice.ua.core.send(req, { onResponse: (r) => (r.status === 200 ? (ok = r) : undefined) });
  assert.equal(res.status, 200);
  assert.match(ok!.body.toString(), /^v=0/);
  const answer = call.media.answerOffer(ok!.body);
  await alice.ua.core.sendStateless(call.dialog!.createAck(req, { body: answer, contentType: 'application/sdp' }));
  // the ACK with the answer has reached Bob (and been handled)
  await onWire(bob, 'in', (m) => isAck(m) && m.body.length > 0);
  assert.equal(bc.state, 'established');
  const acks = bob.wire
    .filter((e) => e.direction === 'in')
    .map((e) => parseMessage(e.bytes))
    .filter((m) => m.isRequest && (m as SipRequest).method === 'ACK');
  assert.ok(
    acks.some((a) => a.body.length > 0),
    'the ACK carried the answer',
  );
  void call.hangup();
});

test('a re-INVITE before the ACK of the previous 2xx gets 500 with Retry-After', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(parseUri(bob.uri));
  await inc;
  await once(call, 'established');
  await onWire(bob, 'in', isAck);
  // a re-INVITE that we never ACK, then another one
  const first = call.dialog!.createRequest('INVITE', {
    body: call.media.createOffer(),
    contentType: 'application/sdp',
  });
  const r1 = await alice.ua.core.send(first);
  assert.equal(r1.status, 200);
  call.media.rollback();
  const second = call.dialog!.createRequest('INVITE', {
    body: call.media.createOffer(),
    contentType: 'application/sdp',
  });
  const r2 = await alice.ua.core.send(second);
  call.media.rollback();
  assert.equal(r2.status, 500);
  assert.ok(r2.retryAfter !== undefined);
  await alice.ua.core.sendStateless(call.dialog!.createAck(first));
  void call.hangup();
});

test(
  'our re-INVITE answered 500 with Retry-After (the peer still waits for a lost ACK) is tried again after it',
  { timeout: 20_000 },
  async () => {
    const alice = await make('alice');
    const bob = await make('bob');
    const inc = once<[Call]>(bob.ua, 'incoming');
    const call = alice.ua.dial(parseUri(bob.uri));
    const [bc] = await inc;
    await once(call, 'established');
    await onWire(bob, 'in', isAck); // Bob has the ACK of the INVITE's 2xx
    // a re-INVITE whose ACK "the network lost": Bob retransmits his 2xx and answers the next INVITE 500
    const first = call.dialog!.createRequest('INVITE', {
      body: call.media.createOffer(),
      contentType: 'application/sdp',
    });
    const r1 = await alice.ua.core.send(first);
    assert.equal(r1.status, 200);
    call.media.rollback();
    // the hold's first try meets Bob's 500; the session sleeps for its Retry-After (emitting 'glare')
    const retrying = once<[number]>(call, 'glare');
    const held = call.hold();
    const [delay] = await retrying;
    const refused = responses(alice, 'in').find((m) => m.status === 500 && m.cseq!.method === 'INVITE');
    assert.ok(refused?.retryAfter !== undefined, 'Bob answered 500 with Retry-After');
    assert.equal(delay, Math.max(refused.retryAfter.seconds * 1000, 500));
    // the lost ACK arrives meanwhile; the retry then succeeds
    await alice.ua.core.sendStateless(call.dialog!.createAck(first));
    await held;
    assert.equal(call.localHold, true);
    await once(bc, 'remote-held', 1000).catch(() => undefined);
    assert.equal(bc.remoteHold, true);
    void call.hangup();
  },
);

test('Refer-Sub: false (RFC 4488): 202 without a subscription, no NOTIFY, the transfer still happens', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol');
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(parseUri(bob.uri));
  const [bc] = await inc;
  await once(call, 'established');
  const carolInc = once<[Call]>(carol.ua, 'incoming');
  await call.transfer(parseUri(carol.uri), { referSub: false });
  const [cc] = await carolInc;
  await once(bc, 'terminated', 5000);
  assert.equal(sent(bob, 'NOTIFY').length, 0);
  const accepted = responses(bob, 'out').find((r) => r.cseq!.method === 'REFER')!;
  assert.equal(accepted.status, 202);
  assert.equal(accepted.get('Refer-Sub'), 'false');
  assert.equal(sent(alice, 'REFER')[0]!.get('Refer-Sub'), 'false');
  void call.hangup();
  void cc.hangup();
});

test('OPTIONS outside a dialog is answered with Allow, Accept and Supported', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const { createRequest } = await import('../../src/message/index.js');
  const res = await alice.ua.core.send(
    createRequest({ method: 'OPTIONS', uri: bob.uri, from: 'sip:alice@127.0.0.1', to: bob.uri }),
  );
  assert.equal(res.status, 200);
  assert.ok(res.allow.includes('REFER') && res.allow.includes('INVITE'));
  assert.ok(res.supported.includes('replaces'));
  assert.ok((res.accept ?? []).some((m) => m.subtype === 'sdp'));
  // a BYE for no dialog gets 481
  const bye = await alice.ua.core.send(
    createRequest({ method: 'BYE', uri: bob.uri, from: 'sip:alice@127.0.0.1', to: `<${bob.uri}>;tag=nope` }),
  );
  assert.equal(bye.status, 481);
});

test('INVITE with Replaces: 481 for an unknown dialog, 603 when the application refuses', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol', { replacesPolicy: () => false });
  // unknown dialog
  const ghost = alice.ua.dial(parseUri(bob.uri), { headers: [['Replaces', 'nope@x;to-tag=a;from-tag=b']] });
  const [g] = await once<[{ code?: number }]>(ghost, 'terminated');
  assert.equal(g.code, 481);
  // a real dialog at Carol, but Carol refuses to have it replaced
  const inc = once<[Call]>(carol.ua, 'incoming');
  const ac = alice.ua.dial(parseUri(carol.uri));
  await inc;
  await once(ac, 'established');
  const d = ac.dialog!;
  const refused = bob.ua.dial(parseUri(carol.uri), {
    headers: [['Replaces', `${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`]],
  });
  const [r] = await once<[{ code?: number }]>(refused, 'terminated');
  assert.equal(r.code, 603);
  assert.equal(ac.state, 'established');
  void ac.hangup();
});

test('hang up before any provisional response: the CANCEL waits for the first 1xx (RFC 3261 §9.1)', async () => {
  const alice = await make('alice');
  const bob = await make('bob', { autoAnswer: false });
  const call = alice.ua.dial(parseUri(bob.uri));
  void call.hangup(); // nothing received yet: no CANCEL may go out now
  assert.equal(sent(alice, 'CANCEL').length, 0);
  const [info] = await once<[{ code?: number }]>(call, 'terminated');
  assert.equal(info.code, 487);
  const order = alice.wire
    .map((e) => parseMessage(e.bytes))
    .map((m) => (m.isRequest ? (m as SipRequest).method : `${(m as SipResponse).status}`));
  assert.ok(
    order.indexOf('CANCEL') > order.findIndex((x) => /^1\d\d$/.test(x)),
    `CANCEL after the first provisional: ${order.join(' ')}`,
  );
});

test('a merged request (same Call-ID, From tag and CSeq by another path) gets 482 (RFC 3261 §8.2.2.2)', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const { createRequest, createVia } = await import('../../src/message/index.js');
  const first = createRequest({
    method: 'OPTIONS',
    uri: bob.uri,
    from: 'sip:alice@127.0.0.1',
    to: bob.uri,
    callId: 'merged-1',
    via: createVia('UDP', '127.0.0.1', alice.ua.transport.address('udp')!.port),
  });
  const r1 = await alice.ua.core.send(first);
  assert.equal(r1.status, 200);
  const second = parseMessage(first.toBuffer()) as SipRequest;
  second.set('Via', createVia('UDP', '127.0.0.1', alice.ua.transport.address('udp')!.port).toString());
  const r2 = await alice.ua.core.send(second);
  assert.equal(r2.status, 482);
});
