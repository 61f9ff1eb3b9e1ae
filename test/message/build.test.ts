import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  SipRequest,
  SipResponse,
  checkRequest,
} from '../../src/index.js';

test('createRequest follows RFC 3261 §8.1.1', () => {
  const req = createRequest({
    method: 'INVITE',
    uri: 'sip:bob@biloxi.example.com',
    from: '"Alice" <sip:alice@atlanta.example.com>',
    to: 'sip:bob@biloxi.example.com',
    via: createVia('UDP', '192.0.2.1', 5060),
    contact: '<sip:alice@192.0.2.1:5060>',
    route: ['<sip:proxy.example.com;lr>'],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });
  const m = parseMessage(req.toBuffer()) as SipRequest;
  assert.equal(m.method, 'INVITE');
  assert.ok(m.topVia!.isRfc3261Branch);
  assert.equal(m.topVia!.rport, true);
  assert.ok(m.from!.tag && m.from!.tag.length >= 8, 'From tag with ≥32 bits of randomness');
  assert.equal(m.from!.displayName, 'Alice');
  assert.equal(m.to!.tag, undefined);
  assert.ok(m.callId!.length >= 16);
  assert.deepEqual(m.cseq, { seq: 1, method: 'INVITE' });
  assert.equal(m.maxForwards, 70);
  assert.equal(m.route.length, 1);
  assert.equal(m.contentLength, 5);
  assert.equal(m.body.toString(), 'v=0\r\n');
  assert.equal(checkRequest(m), null);
  // two requests never share branch, tag or Call-ID
  const other = createRequest({
    method: 'INVITE',
    uri: 'sip:bob@b',
    from: 'sip:a@a',
    to: 'sip:bob@b',
    via: createVia('UDP', 'h'),
  });
  assert.notEqual(other.topVia!.branch, m.topVia!.branch);
  assert.notEqual(other.callId, m.callId);
});

test('createResponse follows RFC 3261 §8.2.6 (To-tag, copied headers, Record-Route)', () => {
  const req = parseMessage(
    Buffer.from(
      [
        'INVITE sip:bob@biloxi.example.com SIP/2.0',
        'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1',
        'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2;received=192.0.2.1',
        'Record-Route: <sip:proxy.example.com;lr>',
        'From: <sip:alice@atlanta.example.com>;tag=abc',
        'To: <sip:bob@biloxi.example.com>',
        'Call-ID: c1',
        'CSeq: 7 INVITE',
        'Timestamp: 54',
        'Max-Forwards: 69',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
  const trying = createResponse(req, 100);
  assert.equal(trying.to!.tag, undefined); // no tag on 100
  assert.equal(trying.get('Timestamp'), '54');
  const ok = createResponse(req, 200, { toTag: 'bobtag', contact: '<sip:bob@192.0.2.4>' });
  const m = parseMessage(ok.toBuffer()) as SipResponse;
  assert.equal(m.status, 200);
  assert.equal(m.reason, 'OK');
  assert.equal(m.to!.tag, 'bobtag');
  assert.equal(m.via.length, 2);
  assert.equal(m.via[1]!.received, '192.0.2.1');
  assert.equal(m.recordRoute.length, 1);
  assert.equal(m.from!.tag, 'abc');
  assert.deepEqual(m.cseq, { seq: 7, method: 'INVITE' });
  assert.equal(m.maxForwards, undefined);
  assert.equal(m.contentLength, 0);
  const busy = createResponse(req, 486);
  assert.ok(busy.to!.tag);
  assert.equal(busy.recordRoute.length, 0);
});

test('Content-Length is always right after body changes', () => {
  const req = createRequest({
    method: 'MESSAGE',
    uri: 'sip:b@b',
    from: 'sip:a@a',
    to: 'sip:b@b',
    via: createVia('TCP', 'h'),
    body: 'héllo',
    contentType: 'text/plain',
  });
  assert.equal(parseMessage(req.toBuffer()).contentLength, 6); // bytes, not characters
  req.body = Buffer.from('hi');
  assert.equal(parseMessage(req.toBuffer(), { mode: 'stream' }).contentLength, 2);
});

test('a Request-URI read but not edited keeps the bytes; one edited in place is serialised', () => {
  // the URI is written as given: upper-case scheme and an escaped user, which toString() would not reproduce byte for byte
  const wire =
    'INVITE SIP:%61lice@atlanta.example.com;transport=TCP SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:b@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
  const read = parseMessage(Buffer.from(wire)) as SipRequest;
  assert.equal(read.uri.kind, 'sip');
  assert.equal(read.toBuffer().toString('latin1'), wire);
  read.set('Max-Forwards', '69');
  assert.ok(
    read.toBuffer().toString('latin1').startsWith('INVITE SIP:%61lice@atlanta.example.com;transport=TCP SIP/2.0\r\n'),
    'an unedited URI keeps its spelling when other headers change',
  );

  const edited = parseMessage(Buffer.from(wire)) as SipRequest;
  const uri = edited.uri;
  assert.equal(uri.kind, 'sip');
  if (uri.kind === 'sip') uri.host = 'biloxi.example.com';
  const out = edited.toBuffer().toString('latin1');
  assert.ok(out.startsWith('INVITE sip:%61lice@biloxi.example.com;transport=TCP SIP/2.0\r\n'), out.split('\r\n')[0]);
  assert.equal((parseMessage(Buffer.from(out, 'latin1')) as SipRequest).uri.toString(), uri.toString());
});
