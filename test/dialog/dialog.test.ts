import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from '../../src/index.js';
import { Dialog, dialogKey } from '../../src/dialog/dialog.js';

function invite(): SipRequest {
  const req = createRequest({
    method: 'INVITE',
    uri: 'sips:bob@biloxi.example.com',
    from: '"Alice" <sips:alice@atlanta.example.com>',
    to: 'sips:bob@biloxi.example.com',
    via: createVia('TLS', '192.0.2.1', 5061),
    contact: '<sips:alice@192.0.2.1:5061;transport=tls>',
    cseq: 314159,
  });
  return parseMessage(req.toBuffer()) as SipRequest;
}

function answer(req: SipRequest, status: number, rr: string[]): SipResponse {
  const withRr = parseMessage(req.toBuffer()) as SipRequest;
  for (const r of rr) withRr.append('Record-Route', r);
  const res = createResponse(withRr, status, { toTag: 'bobtag', contact: '<sips:bob@192.0.2.4:5061;transport=tls>' });
  return parseMessage(res.toBuffer()) as SipResponse;
}

test('UAC dialog from 2xx: route set reversed, remote target from Contact, loose routing', () => {
  const req = invite();
  const d = Dialog.fromUac(req, answer(req, 200, ['<sips:p2.example.com;lr>', '<sips:p1.example.com;lr>']));
  assert.equal(d.state, 'confirmed');
  assert.equal(d.secure, true);
  assert.deepEqual(d.id, { callId: req.callId, localTag: req.from!.tag, remoteTag: 'bobtag' });
  assert.deepEqual(
    d.routeSet.map((r) => (r.uri as SipUri).host),
    ['p1.example.com', 'p2.example.com'],
  );
  const bye = d.createRequest('BYE');
  assert.equal(bye.uri.toString(), 'sips:bob@192.0.2.4:5061;transport=tls');
  assert.deepEqual(bye.getAll('Route'), ['<sips:p1.example.com;lr>', '<sips:p2.example.com;lr>']);
  assert.equal(bye.cseq!.seq, 314160);
  assert.equal(bye.from!.tag, req.from!.tag);
  assert.equal(bye.to!.tag, 'bobtag');
  assert.equal(bye.callId, req.callId);
  assert.equal(bye.has('Contact'), false);
  const reinvite = d.createRequest('INVITE', { body: 'v=0\r\n', contentType: 'application/sdp' });
  assert.equal(reinvite.cseq!.seq, 314161);
  assert.equal(reinvite.get('Contact'), '<sips:alice@192.0.2.1:5061;transport=tls>');
  assert.equal(reinvite.contentLength, 5);
  // ACK for 2xx: CSeq number of the INVITE it acknowledges
  const ack = d.createAck(reinvite);
  assert.deepEqual(ack.cseq, { seq: 314161, method: 'ACK' });
});

test('strict routing: first route becomes the Request-URI, remote target the last Route', () => {
  const req = invite();
  const d = Dialog.fromUac(req, answer(req, 200, ['<sips:p2.example.com;lr>', '<sips:p1.example.com;method=INVITE>']));
  const bye = d.createRequest('BYE');
  assert.equal(bye.uri.toString(), 'sips:p1.example.com');
  assert.deepEqual(bye.getAll('Route'), ['<sips:p2.example.com;lr>', '<sips:bob@192.0.2.4:5061;transport=tls>']);
});

test('early dialog from 180, confirmed by 2xx with a recomputed route set (§13.2.2.4)', () => {
  const req = invite();
  const d = Dialog.fromUac(req, answer(req, 180, ['<sips:old.example.com;lr>']));
  assert.equal(d.state, 'early');
  d.confirm(answer(req, 200, ['<sips:new.example.com;lr>']));
  assert.equal(d.state, 'confirmed');
  assert.equal((d.routeSet[0]!.uri as SipUri).host, 'new.example.com');
});

test('UAS dialog: route set in order, remote CSeq checks, target refresh, matching', () => {
  const req = invite();
  req.append('Record-Route', '<sips:p1.example.com;lr>');
  req.append('Record-Route', '<sips:p2.example.com;lr>');
  const d = Dialog.fromUas(req, 'bobtag');
  assert.equal(d.remoteSeq, 314159);
  assert.deepEqual(
    d.routeSet.map((r) => (r.uri as SipUri).host),
    ['p1.example.com', 'p2.example.com'],
  );
  assert.equal(d.remoteTarget.toString(), 'sips:alice@192.0.2.1:5061;transport=tls');
  const bye = d.createRequest('BYE');
  assert.equal(bye.from!.tag, 'bobtag');
  assert.equal(bye.to!.tag, req.from!.tag);
  assert.ok(bye.cseq!.seq >= 1);
  // an in-dialog request from the peer
  const peer = Dialog.fromUac(req, answer(req, 200, []));
  const reinvite = peer.createRequest('INVITE');
  reinvite.set('Contact', '<sips:alice@192.0.2.99:5061;transport=tls>');
  assert.ok(d.matches(reinvite));
  assert.equal(d.acceptRemoteCSeq(reinvite), true);
  d.refreshTarget(reinvite);
  assert.equal((d.remoteTarget as SipUri).host, '192.0.2.99');
  assert.equal(d.acceptRemoteCSeq(reinvite), false, 'the same CSeq again is refused (500)');
  const other = peer.createRequest('BYE');
  other.set('To', `<sips:bob@biloxi.example.com>;tag=other`);
  assert.equal(d.matches(other), false);
});

test('a dialog keeps its Call-ID and tags in its key, and its usages as a list (RFC 5057)', () => {
  const req = invite();
  const d = Dialog.fromUas(req, 'bobtag');
  assert.equal(d.callId, req.callId);
  assert.equal(d.localTag, 'bobtag');
  assert.equal(d.remoteTag, req.from!.tag);
  assert.equal(d.key, dialogKey(req.callId!, 'bobtag', req.from!.tag!));
  assert.deepEqual(d.id, { callId: req.callId, localTag: 'bobtag', remoteTag: req.from!.tag });
  const a = { kind: 'invite' as const };
  const b = { kind: 'subscription' as const, key: 'refer' };
  d.addUsage(a);
  d.addUsage(a);
  d.addUsage(b);
  assert.deepEqual(d.usages, [a, b], 'each usage once, in order');
  assert.equal(d.hasUsage(b), true);
  assert.equal(d.removeUsage(a), 1);
  assert.equal(d.removeUsage(a), 1, 'removing twice is harmless');
  assert.equal(d.removeUsage(b), 0);
  assert.equal(d.routeSet.length, 0);
});

test('a dialog keeps its URIs as text: each read is a new object, and editing one changes nothing (§12.2.1.1)', () => {
  const req = invite();
  const d = Dialog.fromUac(req, answer(req, 200, []));
  const target = d.remoteTarget;
  assert.notEqual(d.remoteTarget, target);
  (target as SipUri).host = 'elsewhere.example.com';
  assert.notEqual((d.remoteTarget as SipUri).host, 'elsewhere.example.com');
  const local = d.localUri;
  local.displayName = 'Mallory';
  assert.notEqual(d.localUri.displayName, 'Mallory');
  assert.equal(d.localUri.tag, undefined, 'without its tag');
  assert.equal(d.remoteUri.tag, undefined);
  const bye = d.createRequest('BYE');
  assert.equal(bye.uri.toString(), d.remoteTarget.toString());
  assert.equal(bye.from!.tag, d.localTag);
  assert.equal(bye.to!.tag, d.remoteTag);
  assert.equal(bye.from!.uri.toString(), req.from!.uri.toString());
});
