import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reinviteRefusal, reinviteRetry } from '../../src/call/reinvite-rules.js';
import { createResponse, parseMessage, type SipRequest } from '../../src/message/index.js';

const idle = { clientInviteBusy: false, signalling: 'stable' as const, awaitingAck: false, connected: true };

test('reinviteRefusal: 491 while ours is out, 500 + Retry-After before our ACK, 481 unless connected (RFC 3261 §14.2)', () => {
  assert.equal(reinviteRefusal(idle), undefined);
  assert.equal(reinviteRefusal({ ...idle, clientInviteBusy: true })?.status, 491);
  assert.equal(reinviteRefusal({ ...idle, signalling: 'have-local-offer' })?.status, 491);
  assert.equal(reinviteRefusal({ ...idle, signalling: 'have-remote-offer' })?.status, 491);
  assert.deepEqual(reinviteRefusal({ ...idle, awaitingAck: true, retryAfter: () => 3 }), {
    status: 500,
    headers: [['Retry-After', '3']],
  });
  const after = Number(reinviteRefusal({ ...idle, awaitingAck: true })!.headers[0]![1]);
  assert.ok(after >= 0 && after <= 9);
  assert.equal(reinviteRefusal({ ...idle, connected: false })?.status, 481);
  // glare comes first: it is what the peer must hear to back off
  assert.equal(reinviteRefusal({ ...idle, clientInviteBusy: true, awaitingAck: true, connected: false })?.status, 491);
});

test('reinviteRetry: 491 again after the glare delay; 500 after its Retry-After (at least 500 ms, at most 10 s)', () => {
  const req = parseMessage(
    'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
      'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=b1\r\nCall-ID: c1@x\r\nCSeq: 2 INVITE\r\n' +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  ) as SipRequest;
  const res = (status: number, after?: string) =>
    createResponse(req, status, after === undefined ? {} : { headers: [['Retry-After', after]] });
  assert.deepEqual(reinviteRetry(res(491), true), { again: true });
  assert.deepEqual(reinviteRetry(res(491), false), { again: false });
  assert.deepEqual(reinviteRetry(res(500, '2'), true), { again: true, delayMs: 2000 });
  assert.deepEqual(reinviteRetry(res(500, '0'), true), { again: true, delayMs: 500 });
  assert.deepEqual(reinviteRetry(res(500, '11'), true), { again: false });
  assert.deepEqual(reinviteRetry(res(500), true), { again: false });
  assert.deepEqual(reinviteRetry(res(488), true), { again: false });
});
