import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipRequest } from '../../src/message/index.js';

const INVITE =
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
  'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@x\r\nCSeq: 1 INVITE\r\n' +
  'Contact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';

test('releaseParsed: the typed values and header objects are derived again from the bytes, equal to before', () => {
  const req = parseMessage(Buffer.from(INVITE)) as SipRequest;
  const from = req.from!;
  const headerCount = req.headers.length;
  req.releaseParsed();
  const again = req.from!;
  assert.notEqual(again, from, 'a new object, parsed again from the bytes');
  assert.equal(again.toString(), from.toString());
  assert.equal(req.cseq!.seq, 1);
  assert.equal(req.contact === '*' ? '*' : req.contact[0]!.uri.toString(), 'sip:alice@127.0.0.1:5070');
  assert.equal(req.headers.length, headerCount);
  assert.equal(req.toBuffer().toString(), INVITE, 'still byte-identical on the wire');
});

test('releaseParsed keeps an edited message as it is', () => {
  const req = parseMessage(Buffer.from(INVITE)) as SipRequest;
  req.set('Subject', 'edited');
  const from = req.from!;
  req.releaseParsed();
  assert.equal(req.from, from);
  assert.equal(req.get('Subject'), 'edited');
});

test('releaseParsed lets the header text go: every read decodes it again from the bytes (folded lines, a lazy parse, a body)', () => {
  const folded = INVITE.replace('Content-Length: 0\r\n\r\n', 'Subject: one\r\n two\r\nContent-Length: 4\r\n\r\nbody');
  for (const lazy of [false, true]) {
    const req = parseMessage(Buffer.from(folded), { lazy }) as SipRequest;
    const uri = req.uri.toString();
    assert.equal(req.releaseParsed(), true);
    assert.equal(req.get('Subject'), 'one two');
    assert.equal(req.topVia!.branch, 'z9hG4bK-1');
    assert.equal(req.callId, 'c1@x');
    assert.equal(req.uri.toString(), uri);
    assert.equal(req.body.toString(), 'body');
    assert.equal(req.headers.find((h) => h.key === 'subject')!.raw, 'Subject: one\r\n two');
    req.releaseParsed();
    req.parseAll();
    assert.equal(req.cseq!.method, 'INVITE');
    assert.equal(req.toBuffer().toString(), folded, 'still byte-identical on the wire');
  }
});
