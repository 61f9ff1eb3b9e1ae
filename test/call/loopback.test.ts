import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAck, once, onWire, phoneMaker, sdpDirection, sent, type Phone } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { TransferFailedError } from '../../src/call/errors.js';
import { parseMessage, type SipResponse } from '../../src/message/index.js';

const make = phoneMaker();

/** Alice calls Bob; resolves both established calls. */
async function connect(a: Phone, b: Phone): Promise<[Call, Call]> {
  const incoming = once<[Call]>(b.ua, 'incoming');
  const ac = a.ua.dial(b.uri);
  const [bc] = await incoming;
  await Promise.all([
    ac.state === 'established' ? Promise.resolve() : once(ac, 'established'),
    bc.state === 'established' ? Promise.resolve() : once(bc, 'established'),
  ]);
  return [ac, bc];
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`${protocol}: call, hold and resume in both directions, hang up`, async () => {
    const alice = await make('alice', {}, protocol);
    const bob = await make('bob', {}, protocol);
    const [ac, bc] = await connect(alice, bob);
    assert.equal(ac.state, 'established');
    // Bob holds Alice: re-INVITE a=sendonly, answer a=recvonly
    const remoteHeld = once(ac, 'remote-held');
    assert.equal((await bc.hold()).localHold, true);
    await remoteHeld;
    assert.equal(bc.localHold, true);
    assert.equal(ac.remoteHold, true);
    const reinvite = sent(bob, 'INVITE').at(-1)!;
    assert.equal(sdpDirection(reinvite.body), 'sendonly');
    const answer = alice.wire
      .filter((e) => e.direction === 'out')
      .map((e) => parseMessage(e.bytes))
      .filter((m) => !m.isRequest && m.cseq!.seq === reinvite.cseq!.seq)
      .at(-1) as SipResponse;
    assert.equal(answer.status, 200);
    assert.equal(sdpDirection(answer.body), 'recvonly');
    // Bob resumes
    const resumed = once(ac, 'remote-resumed');
    assert.equal((await bc.resume()).localHold, false);
    await resumed;
    assert.equal(sdpDirection(sent(bob, 'INVITE').at(-1)!.body), 'sendrecv');
    // Alice holds Bob, then resumes
    assert.equal((await ac.hold()).localHold, true);
    assert.equal(bc.remoteHold, true);
    assert.equal((await ac.resume()).localHold, false);
    assert.equal(bc.remoteHold, false);
    const ended = once<[{ reason: string }]>(bc, 'terminated');
    void ac.hangup();
    assert.equal((await ended)[0].reason, 'remote-bye');
    assert.equal(sent(alice, 'BYE').length, 1);
  });
}

test('glare: both hold at once, one gets 491 and retries per §14.1; both end up holding', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const [ac, bc] = await connect(alice, bob);
  await onWire(bob, 'in', isAck); // Bob has his ACK: both sides are idle (no 500 for a re-INVITE, §14.2)
  const [ra, rb] = await Promise.all([ac.hold(), bc.hold()]);
  assert.equal(ra.localHold, true);
  assert.equal(rb.localHold, true);
  const statuses = [...alice.wire, ...bob.wire]
    .filter((e) => e.direction === 'out')
    .map((e) => parseMessage(e.bytes))
    .filter((m) => !m.isRequest)
    .map((m) => (m as SipResponse).status);
  assert.ok(statuses.includes(491), 'a 491 Request Pending was sent');
  assert.equal(ac.localHold && bc.localHold, true);
  assert.equal(ac.remoteHold && bc.remoteHold, true);
  assert.equal(
    sdpDirection(sent(alice, 'INVITE').at(-1)!.body) === 'inactive' ||
      sdpDirection(sent(bob, 'INVITE').at(-1)!.body) === 'inactive',
    true,
  );
  void ac.hangup();
});

test('blind transfer: Alice refers Bob to Carol; Referred-By carried; NOTIFY 100 then 200; Alice-Bob ends', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol');
  const [ac, bc] = await connect(alice, bob);
  const carolIncoming = once<[Call]>(carol.ua, 'incoming');
  const transferred = once(ac, 'transferred');
  const progress: number[] = [];
  ac.on('transfer-progress', (s) => progress.push(s));
  const bobEnded = once<[{ reason: string }]>(bc, 'terminated');
  // resolves with the final sipfrag status (RFC 3515 §2.4.5)
  assert.equal(await ac.transfer((await import('../../src/message/index.js')).parseUri(carol.uri)), 200);
  const [cc] = await carolIncoming;
  assert.match(cc.referredBy ?? '', /alice/);
  await transferred;
  await bobEnded;
  assert.deepEqual(
    progress.filter((s) => s === 100 || s === 200),
    [100, 200],
  );
  const refer = sent(alice, 'REFER')[0]!;
  assert.equal(refer.referTo!.uri.toString(), carol.uri);
  assert.match(refer.get('Referred-By')!, /alice/);
  const notifies = sent(bob, 'NOTIFY');
  assert.equal(notifies[0]!.subscriptionState!.state, 'active');
  assert.equal(notifies.at(-1)!.subscriptionState!.state, 'terminated');
  assert.equal(notifies.at(-1)!.body.toString(), 'SIP/2.0 200 OK\r\n');
  assert.equal(sent(carol, 'INVITE').length + sent(bob, 'INVITE').length >= 1, true);
  assert.match(sent(bob, 'INVITE').at(-1)!.get('Referred-By')!, /alice/);
  assert.equal(cc.state, 'established');
  assert.equal(ac.state, 'terminated');
  // Bob's refer subscription ends with the transaction of his final NOTIFY (RFC 5057 §5.2)
  const finalNotify = sent(bob, 'NOTIFY').at(-1)!.cseq!.seq;
  await onWire(bob, 'in', (m) => !m.isRequest && m.cseq?.method === 'NOTIFY' && m.cseq.seq === finalNotify);
  const bobToCarol = [...bob.ua.calls.values()].find((c) => c !== bc && c.state === 'established')!;
  const hungUp = Promise.all([once(cc, 'terminated'), once(bobToCarol, 'terminated')]);
  void cc.hangup();
  await hungUp;
  // every dialog usage (INVITE sessions and refer subscriptions, RFC 5057) has ended: no dialog leaks
  assert.deepEqual(
    [alice, bob, carol].map((p) => p.ua.core.dialogCount),
    [0, 0, 0],
  );
});

test('blind transfer failure: the target is busy, the original call survives', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol', { autoAnswer: false });
  carol.ua.on('incoming', (c: Call) => setTimeout(() => c.reject(486), 20));
  const [ac, bc] = await connect(alice, bob);
  const failed = once<[number, string]>(ac, 'transfer-failed');
  await assert.rejects(
    ac.transfer((await import('../../src/message/index.js')).parseUri(carol.uri), { consult: true }),
    (e: unknown) => e instanceof TransferFailedError && e.status === 486 && /Busy/.test(e.reason),
  );
  const [status] = await failed;
  assert.equal(status, 486);
  // transfer() rejected only after its resume re-INVITE was answered, which Bob did after his final
  // NOTIFY: had the failure ended either side's call, it would show by now
  assert.equal(ac.state, 'established');
  assert.equal(bc.state, 'established');
  assert.equal(ac.localHold, false, 'resumed after the failed consultation transfer');
  void ac.hangup();
});

test('attended transfer: Alice consults Carol, then transfers Bob to Carol with Replaces', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol');
  const [ab, ba] = await connect(alice, bob);
  await ab.hold();
  const [ac, ca] = await connect(alice, carol);
  const carolReplaced = once<[{ reason: string }]>(ca, 'terminated');
  const carolNew = once<[Call]>(carol.ua, 'incoming');
  await ab.transfer(ac);
  const [cb] = await carolNew;
  assert.ok(cb.replaces, 'the INVITE to Carol carries Replaces');
  await Promise.all([
    ab.state === 'terminated' ? 0 : once(ab, 'terminated'),
    ba.state === 'terminated' ? 0 : once(ba, 'terminated'),
    carolReplaced,
  ]);
  const refer = sent(alice, 'REFER')[0]!;
  assert.match(refer.get('Refer-To')!, /\?Replaces=[^>]*%3Bto-tag%3D[^>]*%3Bfrom-tag%3D/);
  const inviteToCarol = sent(bob, 'INVITE').at(-1)!;
  assert.deepEqual(inviteToCarol.replaces!.callId, ca.invite.callId);
  assert.equal(cb.state, 'established');
  assert.equal(ba.state, 'terminated');
  void cb.hangup();
});
