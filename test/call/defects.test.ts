/** Defects of issue 13 §6 in the call layer, and the promise API's typed rejections. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, phoneMaker } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { CallRejectedError } from '../../src/call/errors.js';

const make = phoneMaker();

test('Replaces aimed at an early dialog we did not create gets 481 (RFC 3891 §3); ua.call rejects with CallRejectedError', async () => {
  const alice = await make('alice');
  const bob = await make('bob', { autoAnswer: false });
  const carol = await make('carol');
  const inc = once<[Call]>(bob.ua, 'incoming');
  const ringing = alice.ua.dial(bob.uri);
  const [bc] = await inc;
  await once(ringing, 'ringing');
  const d = bc.dialog!; // Bob's early dialog, created by Alice's INVITE (Bob is its UAS)
  await assert.rejects(
    carol.ua.call(bob.uri, { headers: [['Replaces', `${d.callId};to-tag=${d.localTag};from-tag=${d.remoteTag}`]] }),
    (e: unknown) => e instanceof CallRejectedError && e.status === 481,
  );
  assert.equal(bc.state, 'incoming', 'the ringing call is untouched');
  await ringing.hangup();
});

test('ua.call resolves with the answered call; a busy callee rejects with CallRejectedError(486)', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const busy = await make('busy', { autoAnswer: false });
  busy.ua.on('incoming', (c: Call) => c.reject(486));
  const call = await alice.ua.call(bob.uri);
  assert.equal(call.state, 'established');
  assert.equal(call.sessionState, 'connected');
  assert.equal(call.signallingState, 'stable');
  await assert.rejects(
    alice.ua.call(busy.uri),
    (e: unknown) => e instanceof CallRejectedError && e.status === 486 && /Busy/.test(e.reason),
  );
  await call.hangup();
  assert.equal(call.sessionState, 'terminated');
});

test("the seed's REFER (Referred-By without a URI scheme) is accepted; Referred-By is not copied; the event says it was invalid", async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol');
  const inc = once<[Call]>(bob.ua, 'incoming');
  const ac = await alice.ua.call(bob.uri);
  const [bc] = await inc;
  const received = once<[{ referredBy?: string; referredByValid: boolean }]>(bc, 'refer-received');
  const carolInc = once<[Call]>(carol.ua, 'incoming');
  const refer = ac.dialog!.createRequest('REFER', {
    headers: [
      ['Refer-To', `<${carol.uri}>`],
      ['Referred-By', '<alice@atlanta.example.com>'],
    ],
  });
  const res = await alice.ua.core.send(refer);
  assert.equal(res.status, 202);
  const [info] = await received;
  assert.equal(info.referredByValid, false);
  assert.equal(info.referredBy, '<alice@atlanta.example.com>');
  const [cc] = await carolInc;
  assert.equal(cc.invite.get('Referred-By'), undefined, 'an invalid Referred-By is not copied');
  // Refer-To missing still gets 400
  const bad = await alice.ua.core.send(ac.dialog!.createRequest('REFER', { headers: [] }));
  assert.equal(bad.status, 400);
  await cc.hangup();
});
