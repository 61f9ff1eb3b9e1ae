import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, fatalFault, headerIdSet, parseMessage, type SipRequest } from '../../src/message/index.js';
import { proxyEagerHeaders } from '../../src/proxy/eager-headers.js';

const INVITE =
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
  'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@x\r\nCSeq: 1 INVITE\r\n' +
  'Contact: <bad uri>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
const ROUTING = headerIdSet(['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length']);

test('ParseOptions.eager: the headers left out are neither parsed nor judged on arrival, and parsed (their fault found) when read', () => {
  const full = parseMessage(Buffer.from(INVITE)) as SipRequest;
  assert.ok(fatalFault(full), 'a full parse judges it: a receiving element answers 400');
  const req = parseMessage(Buffer.from(INVITE), { eager: () => ROUTING }) as SipRequest;
  assert.deepEqual(req.headerFaults, []);
  assert.equal(req.from!.tag, 'a1');
  assert.equal(req.cseq!.seq, 1);
  assert.throws(() => req.contact, SipParseError);
  assert.equal(req.toBuffer().toString(), INVITE, 'forwarded unchanged');
});

test('ParseOptions.eager: a bare CR is still found on a line left out, and a needed header still fails the parse', () => {
  const bareCr = INVITE.replace('Contact: <bad uri>', 'Contact: <sip:a@b>\rx');
  assert.throws(() => parseMessage(Buffer.from(bareCr), { eager: () => ROUTING }), /bare CR/);
  const badCseq = INVITE.replace('CSeq: 1 INVITE', 'CSeq: x INVITE');
  assert.throws(() => parseMessage(Buffer.from(badCseq), { eager: () => ROUTING }), /CSeq/);
});

test('proxyEagerHeaders: a REGISTER is parsed whole (the registrar acts on Contact); other requests and responses are not', () => {
  const reg = INVITE.replace('INVITE sip:bob@127.0.0.1', 'REGISTER sip:127.0.0.1').replace('1 INVITE', '1 REGISTER');
  assert.ok(fatalFault(parseMessage(Buffer.from(reg), { eager: proxyEagerHeaders }) as SipRequest));
  assert.equal(fatalFault(parseMessage(Buffer.from(INVITE), { eager: proxyEagerHeaders }) as SipRequest), undefined);
});

test('proxyEagerHeaders: of a response only the top Via is read (the rest of the list goes on as received)', () => {
  const res =
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-p\r\nVia: SIP/2.0/UDP not a via\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=b1\r\nCall-ID: c1@x\r\nCSeq: 1 INVITE\r\n' +
    'Content-Length: 0\r\n\r\n';
  assert.throws(() => parseMessage(Buffer.from(res)), SipParseError, 'a full parse fails on the second Via');
  const m = parseMessage(Buffer.from(res), { eager: proxyEagerHeaders });
  assert.equal(m.topVia!.branch, 'z9hG4bK-p');
  assert.equal(m.to!.tag, 'b1');
});
