/**
 * Liberal receiving (issue 13 §5): a malformed header the message does not need is kept as a
 * fault; the headers every element needs, and Refer-To in a REFER, still sink it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_REFER } from '../helpers/seeds.js';
import {
  SipParseError,
  SipRequest,
  SipResponse,
  checkRequest,
  checkResponse,
  fatalFault,
  parseMessage,
  type NameAddr,
} from '../../src/message/index.js';

const withLine = (base: string, find: RegExp, line: string) => Buffer.from(base.replace(find, line), 'latin1');

for (const lazy of [false, true]) {
  test(`the seed REFER parses with a Referred-By fault, and passes the UAS check (${lazy ? 'lazy' : 'eager'})`, () => {
    const req = parseMessage(SEED_REFER, { lazy }) as SipRequest;
    assert.equal(checkRequest(req), null, 'no 400 for a header the REFER does not need');
    // parseAll (run by the check) has found the fault; the raw value is kept
    assert.equal(req.headerFaults.length, 1);
    const f = req.headerFaults[0]!;
    assert.equal(f.header, 'Referred-By');
    assert.equal(f.key, 'referred-by');
    assert.ok(f.error instanceof SipParseError);
    assert.match(f.error.reason, /^Referred-By: /);
    const at = SEED_REFER.indexOf('<alice@atlanta');
    assert.ok(f.error.offset >= at && f.error.offset < at + 26, 'the fault points into the value');
    assert.equal(req.get('Referred-By'), '<alice@atlanta.example.com>');
    // the typed getter throws the recorded fault; parsed() returns it
    assert.throws(() => req.referredBy, SipParseError);
    const rb = req.parsed<NameAddr>('Referred-By');
    assert.equal(rb.ok, false);
    if (!rb.ok) assert.equal(rb.error, f.error);
    // the headers it needs are fine
    assert.equal(req.referTo!.uri.toString(), 'sip:carol@chicago.example.com');
    assert.equal(fatalFault(req), undefined);
    // forwarded or logged as received, byte for byte
    assert.equal(req.toBuffer().toString('latin1'), SEED_REFER);
  });
}

test('a valid Referred-By: parsed() gives the value; an absent one gives undefined', () => {
  const ok = parseMessage(
    withLine(SEED_REFER, /Referred-By: .*/, 'Referred-By: <sip:alice@atlanta.example.com>'),
  ) as SipRequest;
  const rb = ok.parsed<NameAddr>('referred-by');
  assert.ok(rb.ok && rb.value?.uri.toString() === 'sip:alice@atlanta.example.com');
  assert.equal(ok.headerFaults.length, 0);
  const none = parseMessage(withLine(SEED_REFER, /Referred-By: .*\r\n/, '')) as SipRequest;
  assert.deepEqual(none.parsed('Referred-By'), { ok: true, value: undefined });
});

test('REFER: a malformed Refer-To still gets 400, naming the header', () => {
  const req = parseMessage(withLine(SEED_REFER, /Refer-To: .*/, 'Refer-To: <carol@chicago>')) as SipRequest;
  const res = checkRequest(req);
  assert.equal(res?.status, 400);
  assert.match(res!.reason, /Refer-To/);
  // in another method Refer-To is not acted on: tolerated
  const info = parseMessage(
    withLine(SEED_REFER, /Refer-To: .*/, 'Refer-To: <carol@chicago>')
      .toString('latin1')
      .replace('REFER sip', 'INFO sip')
      .replace('2 REFER', '2 INFO'),
  ) as SipRequest;
  assert.equal(checkRequest(info), null);
  assert.equal(info.headerFaults[0]?.header, 'Refer-To');
});

test('the headers every element needs still fail the parse (400 from responseForParseError)', () => {
  const bad: [RegExp, string][] = [
    [/Via: .*/, 'Via: SIP/2.0/UDP 192.0.2.1:5060;;,;'],
    [/From: .*/, 'From: Bell, Alexander <sip:a@b>;tag=1'],
    [/To: .*/, 'To: "unterminated <sip:bob@b>'],
    [/Call-ID: .*/, 'Call-ID: a b'],
    [/CSeq: .*/, 'CSeq: 99999999999 REFER'],
    [/Max-Forwards: .*/, 'Max-Forwards: 300'],
    [/Content-Length: .*/, 'Content-Length: x'],
  ];
  for (const [find, line] of bad) {
    assert.throws(() => parseMessage(withLine(SEED_REFER, find, line)), SipParseError, line);
    assert.throws(() => parseMessage(withLine(SEED_REFER, find, line), { lazy: true }).parseAll(), SipParseError, line);
  }
});

test('a second line of a single-value header that is not needed is a fault, not a parse failure', () => {
  const req = parseMessage(
    withLine(SEED_REFER, /Referred-By: .*/, 'Referred-By: <sip:a@b>\r\nReferred-By: <sip:c@d>'),
  ) as SipRequest;
  assert.match(req.headerFaults[0]!.error.reason, /more than once/);
  assert.equal(checkRequest(req), null);
  // the mandatory ones: still a parse failure (RFC 4475 §3.3.8)
  assert.throws(
    () => parseMessage(withLine(SEED_REFER, /Call-ID: .*/, 'Call-ID: a@b\r\nCall-ID: c@d')),
    /more than once/,
  );
});

test('per method: Contact in an INVITE, Event in a SUBSCRIBE, Date anywhere in a request are needed', () => {
  const base = SEED_REFER.replace(/Refer-To: .*\r\nReferred-By: .*\r\n/, '');
  const as = (method: string, extra: string) =>
    parseMessage(
      base
        .replace('REFER sip', `${method} sip`)
        .replace('2 REFER', `2 ${method}`)
        .replace('Content-Length', `${extra}\r\nContent-Length`),
    ) as SipRequest;
  assert.equal(checkRequest(as('INVITE', 'Accept: ;;'))?.status, 400);
  assert.equal(checkRequest(as('BYE', 'Accept: ;;')), null, 'a BYE does not read Accept');
  assert.equal(checkRequest(as('BYE', 'Expires: soon')), null);
  assert.equal(checkRequest(as('BYE', 'Warning: 3 x')), null);
  assert.equal(checkRequest(as('BYE', 'Reason: ;')), null);
  assert.equal(checkRequest(as('INVITE', 'Date: Fri, 01 Jan 2010 16:00:00 EST'))?.status, 400);
  const sub = as('SUBSCRIBE', 'Event: ;');
  assert.equal(checkRequest(sub, { allow: ['SUBSCRIBE'] })?.status, 400);
  const bye = parseMessage(
    base
      .replace(/Contact: .*/, 'Contact: <alice>')
      .replace('2 REFER', '2 BYE')
      .replace('REFER sip', 'BYE sip'),
  ) as SipRequest;
  assert.equal(checkRequest(bye)?.status, 400, 'Contact stays needed (target refresh, dialogs)');
});

test('responses: a malformed Warning or Date is tolerated; a malformed Contact is not', () => {
  const res = (line: string) =>
    parseMessage(
      [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1',
        'From: <sip:alice@a>;tag=a1',
        'To: <sip:bob@b>;tag=b1',
        'Call-ID: r1',
        'CSeq: 1 INVITE',
        line,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ) as SipResponse;
  assert.deepEqual(checkResponse(res('Warning: 3 x')), { accept: true });
  assert.deepEqual(checkResponse(res('Date: yesterday')), { accept: true });
  const c = checkResponse(res('Contact: <bob>'));
  assert.equal(c.accept, false);
});

test('editing a faulted header clears its fault; setting a bad value records a new one', () => {
  const req = parseMessage(SEED_REFER) as SipRequest;
  req.set('Referred-By', '<sip:alice@atlanta.example.com>');
  assert.equal(req.headerFaults.length, 0);
  assert.equal(req.referredBy!.uri.toString(), 'sip:alice@atlanta.example.com');
  req.set('Referred-By', 'nope <');
  assert.equal(req.parsed('Referred-By').ok, false);
  assert.equal(req.headerFaults.length, 1);
  req.parseAll();
  assert.equal(req.headerFaults.length, 1, 'parseAll does not record it twice');
});
