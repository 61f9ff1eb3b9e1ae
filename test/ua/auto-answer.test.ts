/**
 * autoAnswer 0 answers in the same tick: the 2xx goes alone, without a 180 before it (issue 16 §1:
 * one datagram less per call). A delayed auto-answer, or an application that answers later, still rings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Call } from '../../src/call/call.js';
import { once, phone, type Phone } from '../call/helpers.js';

/** Status codes of the responses `p` sent. */
function sentStatuses(p: Phone): number[] {
  return p.wire
    .filter((e) => e.direction === 'out' && e.bytes.subarray(0, 8).toString() === 'SIP/2.0 ')
    .map((e) => Number(e.bytes.subarray(8, 11).toString()));
}

test('autoAnswer 0: the INVITE gets its 200 without a 180 Ringing', async () => {
  const alice = await phone('alice');
  const bob = await phone('bob', { autoAnswer: 0 });
  try {
    const call = await alice.ua.call(bob.uri);
    assert.equal(call.state, 'established');
    assert.deepEqual(sentStatuses(bob), [200], 'only the 2xx went out');
    await call.hangup();
  } finally {
    await Promise.all([alice.ua.stop(), bob.ua.stop()]);
  }
});

test('autoAnswer after a delay, and an application answering later: 180 Ringing first', async () => {
  const alice = await phone('alice');
  const bob = await phone('bob', { autoAnswer: 20 });
  const carol = await phone('carol', { autoAnswer: false });
  try {
    const ringing = once<[number]>(alice.ua.dial(bob.uri), 'ringing');
    assert.equal((await ringing)[0], 180);
    const incoming = once<[Call]>(carol.ua, 'incoming');
    const toCarol = alice.ua.dial(carol.uri);
    const [theirs] = await incoming;
    await once(toCarol, 'ringing');
    const established = once(toCarol, 'established');
    await theirs.answer();
    await established;
    assert.deepEqual(sentStatuses(carol), [180, 200]);
    await Promise.all([...alice.ua.calls.values()].map((c) => c.hangup()));
  } finally {
    await Promise.all([alice.ua.stop(), bob.ua.stop(), carol.ua.stop()]);
  }
});
