import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pending2xxTable } from '../../src/dialog/pending-2xx.js';
import { createResponse, parseMessage, type SipRequest } from '../../src/message/index.js';
import type { ServerTransaction } from '../../src/transaction/index.js';
import { FakeClock } from '../../src/util/clock.js';

const TIMERS = { T1: 500, T2: 4000, T4: 5000 };
const INVITE = parseMessage(
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\n' +
    'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
) as SipRequest;

/** A server transaction as the table sees it: what it was told, and when. */
function fakeTx(clock: FakeClock, state = 'accepted') {
  const tx = { request: INVITE, state, sentAt: [] as number[], acked: false };
  const api = {
    ...tx,
    respond: () => tx.sentAt.push(clock.now()),
    acknowledged: () => (tx.acked = true),
  };
  return { tx, handle: api as unknown as ServerTransaction };
}

test('Pending2xxTable: a 2xx goes again at T1, 2*T1, ... capped at T2 until its ACK (RFC 3261 §13.3.1.4)', async () => {
  const clock = new FakeClock();
  const table = new Pending2xxTable({ clock, timers: TIMERS, resend: () => assert.fail('transaction still up') });
  const { tx, handle } = fakeTx(clock);
  const acked = table.start(handle, createResponse(INVITE, 200), 'd1', false, () => assert.fail('expired'));
  clock.advance(12_000);
  assert.deepEqual(tx.sentAt, [0, 500, 1500, 3500, 7500, 11500], 'T1 doubling to T2 (4 s)');
  assert.equal(table.acknowledge('d1', 8), false, 'an ACK with another CSeq settles nothing');
  assert.equal(table.acknowledge('d1', 7), true);
  assert.equal(await acked, true);
  assert.equal(tx.acked, true, 'the transaction hears of its ACK (RFC 6026 Accepted state)');
  assert.equal(clock.pending, 0, 'no timer left');
  assert.equal(table.acknowledge('d1', 7), false, 'a retransmitted ACK finds nothing');
});

test('Pending2xxTable: no ACK within 64*T1 runs `expired` and resolves false; reliable transports send once', async () => {
  const clock = new FakeClock();
  const resent: number[] = [];
  const table = new Pending2xxTable({ clock, timers: TIMERS, resend: () => resent.push(clock.now()) });
  const { tx, handle } = fakeTx(clock, 'terminated');
  let expired = 0;
  const acked = table.start(handle, createResponse(INVITE, 200), 'd1', false, () => expired++);
  clock.advance(64 * TIMERS.T1);
  assert.equal(await acked, false);
  assert.equal(expired, 1);
  assert.ok(resent.length > 3, 'a 2xx whose transaction ended goes out through the core');
  assert.equal(clock.pending, 0);
  // reliable: only the first send, but the same deadline
  const r = fakeTx(clock);
  const reliable = table.start(r.handle, createResponse(INVITE, 200), 'd2', true, () => expired++);
  clock.advance(64 * TIMERS.T1);
  assert.equal(await reliable, false);
  assert.equal(r.tx.sentAt.length, 1);
  assert.equal(expired, 2);
  void tx;
});

test('Pending2xxTable: a dialog that ends stops its retransmissions; clear() stops all', () => {
  const clock = new FakeClock();
  const table = new Pending2xxTable({ clock, timers: TIMERS, resend: () => undefined });
  const a = fakeTx(clock);
  const b = fakeTx(clock);
  void table.start(a.handle, createResponse(INVITE, 200), 'd1', false, () => assert.fail('expired'));
  void table.start(b.handle, createResponse(INVITE, 200), 'd2', false, () => assert.fail('expired'));
  table.dropDialog('d1');
  clock.advance(1000);
  assert.equal(a.tx.sentAt.length, 1);
  assert.equal(b.tx.sentAt.length, 2);
  table.clear();
  assert.equal(clock.pending, 0);
});
