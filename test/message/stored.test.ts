import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, StoredRequest, parseMessage, type SipRequest } from '../../src/message/index.js';

const INVITE =
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
  'From: "Zoë" <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@x\r\nCSeq: 1 INVITE\r\n' +
  'Contact: <sip:alice@127.0.0.1:5070>\r\nSubject: one\r\n two\r\nX-Bot: 7\r\nMax-Forwards: 70\r\n' +
  'Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n';

test('StoredRequest: the request parsed again is byte-identical and reads as before (folding, UTF-8, body)', () => {
  const req = parseMessage(Buffer.from(INVITE, 'utf8')) as SipRequest;
  const stored = new StoredRequest(req);
  assert.equal(stored.size, Buffer.byteLength(INVITE, 'utf8'), 'one char per octet');
  const again = stored.request();
  assert.notEqual(again, req);
  assert.ok(again.toBuffer().equals(req.toBuffer()));
  assert.equal(again.from!.displayName, 'Zoë');
  assert.equal(again.get('Subject'), 'one two');
  assert.equal(again.get('X-Bot'), '7');
  assert.equal(again.uri.toString(), 'sip:bob@127.0.0.1');
  assert.equal(again.body.toString(), 'v=0\n');
  assert.equal(again.cseq!.seq, 1);
  // each read is a new parse of the same text
  assert.notEqual(stored.request(), again);
});

test('StoredRequest keeps an edited request as it was sent, and one past the default limits', () => {
  const req = parseMessage(Buffer.from(INVITE, 'utf8')) as SipRequest;
  req.set('X-Bot', '8');
  assert.equal(new StoredRequest(req).request().get('X-Bot'), '8');
  // a transport may allow more than the default 32 KB of headers: what it took is stored whole
  const big = INVITE.replace('X-Bot: 7\r\n', `X-Big: ${'a'.repeat(40_000)}\r\n`);
  const large = parseMessage(Buffer.from(big, 'utf8'), { limits: { maxHeaderBytes: 64_000 } }) as SipRequest;
  assert.equal(new StoredRequest(large).request().get('X-Big')!.length, 40_000);
});

test('StoredRequest: a malformed header the request does not need is a fault when read, as on arrival', () => {
  const bad = INVITE.replace('X-Bot: 7', 'Expires: soon');
  const req = parseMessage(Buffer.from(bad, 'utf8')) as SipRequest;
  assert.throws(() => req.expires, SipParseError);
  const again = new StoredRequest(req).request();
  assert.equal(again.callId, 'c1@x');
  assert.throws(() => again.expires, SipParseError);
  assert.deepEqual(
    again.headerFaults.map((f) => f.header),
    req.headerFaults.map((f) => f.header),
    'the same faults as on arrival',
  );
});
