import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerTransaction } from '../../src/transaction/index.js';
import type { Call } from '../../src/call/call.js';
import { once, phone } from '../call/helpers.js';

test('endedCallRetention: 0 forgets an ended call at once; the default keeps it for listings', async () => {
  const alice = await phone('alice');
  const bob = await phone('bob', { endedCallRetention: 0 });
  const carol = await phone('carol');
  try {
    for (const [callee, kept] of [
      [bob, 0],
      [carol, 1],
    ] as const) {
      const call = await alice.ua.call(callee.uri);
      const [theirs] = [...callee.ua.calls.values()];
      assert.ok(theirs, 'the callee tracks the call');
      const ended = once(theirs, 'terminated');
      await call.hangup();
      await ended;
      assert.equal(callee.ua.calls.size, kept, `${callee.uri}: calls kept after the end`);
    }
  } finally {
    await Promise.all([alice.ua.stop(), bob.ua.stop(), carol.ua.stop()]);
  }
});

test('the INVITE server transaction lets go of its 2xx once the ACK has arrived (RFC 6026 Accepted only absorbs)', async () => {
  const alice = await phone('alice');
  const bob = await phone('bob', { autoAnswer: false });
  try {
    let tx: ServerTransaction | undefined;
    bob.ua.core.on('request', (t: ServerTransaction) => {
      if (t.method === 'INVITE') tx = t;
    });
    const incoming = once<[Call]>(bob.ua, 'incoming');
    const calling = alice.ua.call(bob.uri);
    const [theirs] = await incoming;
    const acked = theirs.answer(); // resolves when the ACK arrives
    const answeredTx = tx!;
    await acked;
    const call = await calling;
    assert.equal(answeredTx.state, 'accepted', 'Timer L still absorbs INVITE retransmissions');
    assert.equal(answeredTx.lastResponse, undefined);
    await call.hangup();
  } finally {
    await Promise.all([alice.ua.stop(), bob.ua.stop()]);
  }
});
