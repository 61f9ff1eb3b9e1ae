/** RFC 3262 machines on a fake clock: RSeq, retransmission with T1 doubling, PRACK matching, 64*T1 give-up, UAC RAck. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createResponse, type SipResponse } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import {
  PrackTimeoutError,
  ProvisionalAbandonedError,
  ReliableProvisionalReceiver,
  ReliableProvisionalSender,
  SenderState,
} from '../../src/call/reliable-1xx.js';
import { parseRAck, parseRSeq, uasReliability, uacRel100Headers, initialRSeq } from '../../src/call/rel100.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function invite(headers: [string, string][] = [], body?: string) {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@127.0.0.1',
    from: '<sip:alice@127.0.0.1>',
    to: '<sip:bob@127.0.0.1>',
    cseq: 7,
    headers,
    ...(body ? { body, contentType: 'application/sdp' } : {}),
  });
}
const INV = invite([['Require', '100rel']], SDP);
function ringing(status = 180, body?: string, tag = 'uastag') {
  return createResponse(INV, status, { toTag: tag, ...(body ? { body, contentType: 'application/sdp' } : {}) });
}
function prack(rack: string, body?: string) {
  return createRequest({
    method: 'PRACK',
    uri: 'sip:bob@127.0.0.1',
    from: '<sip:alice@127.0.0.1>;tag=a',
    to: '<sip:bob@127.0.0.1>;tag=uastag',
    cseq: 8,
    headers: [['RAck', rack]],
    ...(body ? { body, contentType: 'application/sdp' } : {}),
  });
}

function sender(clock: FakeClock, extra: { onTimeout?: (e: PrackTimeoutError) => void } = {}) {
  const sent: { at: number; res: SipResponse }[] = [];
  const s = new ReliableProvisionalSender({
    clock,
    T1: 500,
    firstRSeq: 41,
    send: (res) => sent.push({ at: clock.now(), res }),
    ...extra,
  });
  return { s, sent };
}

test('negotiation: Require: 100rel → reliable, or 420 Unsupported when off; required without support → 421', () => {
  assert.deepEqual(uasReliability(invite([['Require', '100rel']]), 'supported'), { kind: 'reliable' });
  assert.deepEqual(uasReliability(invite([['Require', '100rel']]), 'off'), {
    kind: 'reject',
    status: 420,
    headers: [['Unsupported', '100rel']],
  });
  assert.deepEqual(uasReliability(invite([['Supported', '100rel']]), 'supported'), { kind: 'unreliable' });
  assert.deepEqual(uasReliability(invite([['Supported', 'timer, 100rel']]), 'required'), { kind: 'reliable' });
  assert.equal(uasReliability(invite(), 'required').kind, 'reject');
  assert.deepEqual(uacRel100Headers('required'), [['Require', '100rel']]);
  assert.deepEqual(uacRel100Headers('supported'), []);
  assert.deepEqual(parseRAck(' 776656 1 INVITE '), { rseq: 776656, cseq: 1, method: 'INVITE' });
  assert.equal(parseRAck('0 1 INVITE'), undefined);
  assert.equal(parseRAck('1 INVITE'), undefined);
  assert.equal(parseRSeq('99999999999'), undefined);
  const r = initialRSeq(() => 0.9999999999);
  assert.ok(r >= 1 && r < 2 ** 31);
});

test('UAS: RSeq and Require: 100rel added; retransmitted at T1, 2T1, 4T1… until the PRACK; 2xx waits for it', async () => {
  const clock = new FakeClock();
  const { s, sent } = sender(clock);
  const acked = s.sendReliable(ringing(183, SDP), 'answer');
  assert.equal(s.state, SenderState.AwaitingPrack);
  assert.equal(sent[0]!.res.get('RSeq'), '41');
  assert.deepEqual(sent[0]!.res.require, ['100rel']);
  assert.equal(s.finalAllowed(200), false, 'no 2xx before the PRACK of a 1xx with SDP (RFC 3262 §3)');
  assert.equal(s.finalAllowed(486), true);
  let finalOk = false;
  void s.whenFinalAllowed().then(() => (finalOk = true));
  clock.advance(3500 + 1);
  assert.deepEqual(
    sent.map((x) => x.at),
    [0, 500, 1500, 3500],
  );
  // a PRACK for another RSeq or CSeq does not match (481)
  assert.deepEqual(s.onPrack(prack('40 7 INVITE')), { status: 481 });
  assert.deepEqual(s.onPrack(prack('41 6 INVITE')), { status: 481 });
  assert.deepEqual(s.onPrack(prack('41 7 INVITE')), { status: 200, rseq: 41, sdp: 'none' });
  await acked;
  await Promise.resolve();
  assert.equal(finalOk, true);
  assert.equal(s.state, SenderState.Idle);
  clock.advance(60_000);
  assert.equal(sent.length, 4, 'no retransmission after the PRACK');
  // the same PRACK again matches nothing (RFC 3262 §3: 481)
  assert.deepEqual(s.onPrack(prack('41 7 INVITE')), { status: 481 });
});

test('UAS: one reliable 1xx outstanding at a time; the next goes after the PRACK with RSeq + 1', async () => {
  const clock = new FakeClock();
  const { s, sent } = sender(clock);
  const first = s.sendReliable(ringing(180));
  const second = s.sendReliable(ringing(183, SDP), 'offer');
  assert.equal(sent.length, 1);
  assert.equal(s.finalAllowed(200), false, 'a queued 1xx with an offer blocks the 2xx too');
  assert.deepEqual(s.onPrack(prack('41 7 INVITE')), { status: 200, rseq: 41, sdp: 'none' });
  await first;
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.res.status, 183);
  assert.equal(sent[1]!.res.get('RSeq'), '42');
  // the 183 carried an offer: the PRACK's SDP is its answer (RFC 3262 §5)
  assert.deepEqual(s.onPrack(prack('42 7 INVITE', SDP)), { status: 200, rseq: 42, sdp: 'answer' });
  await second;
  assert.equal(s.finalAllowed(200), true);
});

test('UAS: SDP in the PRACK of a 1xx that carried an answer is a new offer', () => {
  const clock = new FakeClock();
  const { s } = sender(clock);
  void s.sendReliable(ringing(183, SDP), 'answer');
  assert.deepEqual(s.onPrack(prack('41 7 INVITE', SDP)), { status: 200, rseq: 41, sdp: 'offer' });
});

test('UAS: no PRACK within 64*T1 → PrackTimeoutError and onTimeout (the INVITE is then rejected 5xx)', async () => {
  const clock = new FakeClock();
  const timeouts: PrackTimeoutError[] = [];
  const { s, sent } = sender(clock, { onTimeout: (e) => timeouts.push(e) });
  const p = s.sendReliable(ringing(180));
  const queued = s.sendReliable(ringing(181));
  clock.advance(64 * 500 - 1);
  assert.equal(timeouts.length, 0);
  // retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
  assert.equal(sent.length, 7);
  clock.advance(1);
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0]!.rseq, 41);
  await assert.rejects(p, PrackTimeoutError);
  await assert.rejects(queued, ProvisionalAbandonedError);
  assert.equal(s.state, SenderState.Finished);
  assert.equal(clock.pending, 0, 'no timer left behind');
  await assert.rejects(s.sendReliable(ringing(180)), ProvisionalAbandonedError);
});

test('UAS: the final response stops retransmission; only 101–199 can be reliable', async () => {
  const clock = new FakeClock();
  const { s, sent } = sender(clock);
  const p = s.sendReliable(ringing(180));
  s.finish();
  await assert.rejects(p, ProvisionalAbandonedError);
  clock.advance(10_000);
  assert.equal(sent.length, 1);
  assert.throws(() => s.sendReliable(createResponse(INV, 100)), RangeError);
  assert.throws(() => s.sendReliable(createResponse(INV, 200)), RangeError);
});

test('UAC: PRACK once per reliable 1xx in RSeq order; retransmissions and gaps are not acknowledged', () => {
  const rx = new ReliableProvisionalReceiver(true);
  const rel = (rseq: number, body?: string, tag = 'uastag') => {
    const r = ringing(183, body, tag);
    r.set('Require', '100rel');
    r.set('RSeq', String(rseq));
    return r;
  };
  assert.deepEqual(rx.onProvisional(ringing(180)), { kind: 'unreliable' });
  assert.deepEqual(rx.onProvisional(rel(5, SDP)), { kind: 'prack', rack: '5 7 INVITE', rseq: 5, sdp: 'answer' });
  assert.deepEqual(rx.onProvisional(rel(5, SDP)), { kind: 'retransmission' });
  assert.deepEqual(rx.onProvisional(rel(7)), { kind: 'out-of-order' });
  // only the first SDP of the early dialog is the answer
  assert.deepEqual(rx.onProvisional(rel(6, SDP)), { kind: 'prack', rack: '6 7 INVITE', rseq: 6, sdp: 'none' });
  // another fork has its own RSeq space
  assert.equal(rx.onProvisional(rel(900, undefined, 'fork2')).kind, 'prack');
  const bad = ringing(183);
  bad.set('Require', '100rel');
  assert.deepEqual(rx.onProvisional(bad), { kind: 'invalid' });
  // an offerless INVITE: the first SDP in a reliable 1xx is an offer to answer in the PRACK
  const rx2 = new ReliableProvisionalReceiver(false);
  assert.equal((rx2.onProvisional(rel(1, SDP)) as { sdp: string }).sdp, 'offer');
  assert.equal(rx2.sdpDone('uastag'), true);
});
