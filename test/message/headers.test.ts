import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SipParseError,
  SipRequest,
  SipResponse,
  parseMessage,
  parseSipfrag,
  buildSipfrag,
  type SipUri,
} from '../../src/index.js';

const crlf = (lines: string[], body = '') => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'utf8');

const REFER = crlf([
  'REFER sip:bob@192.0.2.4:5060 SIP/2.0',
  'Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK74bf9;received=198.51.100.1;rport=5061',
  'v: SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKaaa;rport;maddr=224.2.0.1;ttl=16',
  'Max-Forwards: 70',
  'f: "Alice Liddell" <sips:alice@atlanta.example.com>;tag=1928301774',
  't: <sips:bob@biloxi.example.com>;tag=a6c85cf',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314160 REFER',
  'm: <sips:alice@192.0.2.1:5061;transport=tls>;expires=3600;q=0.7;+sip.rendering="no"',
  'Route: <sips:ss1.example.com;lr>, <sips:ss2.example.com;lr>',
  'Route: <sips:ss3.example.com;lr>',
  'r: <sips:carol@chicago.example.com?Replaces=12345%40192.0.2.5%3Bto-tag%3D7743%3Bfrom-tag%3D6472>',
  'b: "Alice" <sips:alice@atlanta.example.com>;cid="20398823.2UWQFN309shb3@referrer.example"',
  'Supported: replaces, norefersub',
  'k: timer',
  'Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY',
  'Require: norefersub',
  'o: refer;id=93809824',
  'Subscription-State: active;expires=60',
  'Reason: SIP;cause=200;text="Call completed elsewhere", Q.850;cause=16',
  'X-Custom:   keep   me  exactly',
  'Content-Length: 0',
]);

test('typed headers of a REFER', () => {
  const m = parseMessage(REFER) as SipRequest;
  assert.equal(m.via.length, 2);
  const [v1, v2] = m.via;
  assert.equal(v1!.transport, 'TLS');
  assert.equal(v1!.branch, 'z9hG4bK74bf9');
  assert.equal(v1!.received, '198.51.100.1');
  assert.equal(v1!.rport, 5061);
  assert.equal(v2!.host, '[2001:db8::9]');
  assert.equal(v2!.port, 5070);
  assert.equal(v2!.rport, true);
  assert.equal(v2!.maddr, '224.2.0.1');
  assert.equal(v2!.ttl, 16);
  assert.equal(m.from!.displayName, 'Alice Liddell');
  assert.equal(m.from!.tag, '1928301774');
  assert.equal(m.to!.tag, 'a6c85cf');
  assert.equal(m.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
  assert.deepEqual(m.cseq, { seq: 314160, method: 'REFER' });
  assert.equal(m.maxForwards, 70);
  const contact = m.contact;
  assert.ok(Array.isArray(contact));
  assert.equal(contact[0]!.expires, 3600);
  assert.equal(contact[0]!.q, 0.7);
  assert.equal(contact[0]!.param('+sip.rendering'), 'no');
  assert.deepEqual(
    m.route.map((r) => (r.uri as SipUri).host),
    ['ss1.example.com', 'ss2.example.com', 'ss3.example.com'],
  );
  const referTo = m.referTo!;
  assert.equal((referTo.uri as SipUri).header('Replaces'), '12345@192.0.2.5;to-tag=7743;from-tag=6472');
  assert.equal(m.referredBy!.param('cid'), '20398823.2UWQFN309shb3@referrer.example');
  assert.deepEqual(m.supported, ['replaces', 'norefersub', 'timer']); // k: combined with Supported
  assert.deepEqual(m.allow, ['INVITE', 'ACK', 'CANCEL', 'BYE', 'REFER', 'NOTIFY']);
  assert.deepEqual(m.require, ['norefersub']);
  assert.equal(m.event!.value, 'refer');
  assert.equal(m.event!.params.get('id'), '93809824');
  assert.equal(m.subscriptionState!.state, 'active');
  assert.equal(m.subscriptionState!.expires, 60);
  assert.equal(m.reasons.length, 2);
  assert.equal(m.reasons[0]!.cause, 200);
  assert.equal(m.reasons[0]!.text, 'Call completed elsewhere');
  assert.equal(m.get('x-custom'), 'keep   me  exactly');
  assert.ok(m.toBuffer().equals(REFER)); // unmodified: byte-identical
});

test('Replaces, auth, Retry-After, Warning, Subscription-State quirks', () => {
  const m = parseMessage(
    crlf([
      'SIP/2.0 401 Unauthorized',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx',
      'From: <sip:a@b>;tag=1',
      'To: <sip:a@b>;tag=2',
      'Call-ID: x',
      'CSeq: 1 REGISTER',
      'WWW-Authenticate: Digest realm="atlanta.example.com", qop="auth", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=SHA-256',
      'WWW-Authenticate: Digest realm="atlanta.example.com", qop="auth", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", algorithm=MD5',
      "Retry-After: 120 (I'm in a meeting);duration=3600",
      'Warning: 307 isi.edu "Session parameter \'foo\' not understood", 301 isi.edu "Incompatible network address type \'E.164\'"',
      'Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff',
      'Subscription-State: terminated;reason=reason=noresource',
      'Content-Length: 0',
    ]),
  ) as SipResponse;
  assert.equal(m.status, 401);
  assert.equal(m.wwwAuthenticate.length, 2);
  assert.equal(m.wwwAuthenticate[0]!.scheme, 'Digest');
  assert.equal(m.wwwAuthenticate[0]!.realm, 'atlanta.example.com');
  assert.equal(m.wwwAuthenticate[0]!.algorithm, 'SHA-256');
  assert.equal(m.wwwAuthenticate[0]!.get('opaque'), '');
  assert.equal(m.wwwAuthenticate[1]!.algorithm, 'MD5');
  assert.equal(m.retryAfter!.seconds, 120);
  assert.equal(m.retryAfter!.comment, "I'm in a meeting");
  assert.equal(m.retryAfter!.duration, 3600);
  assert.deepEqual(
    m.warning.map((w) => w.code),
    [307, 301],
  );
  assert.equal(m.warning[1]!.text, "Incompatible network address type 'E.164'");
  assert.deepEqual(
    { ...m.replaces!, params: undefined },
    { callId: '98732@sip.example.com', fromTag: 'r33th4x0r', toTag: 'ff87ff', earlyOnly: false, params: undefined },
  );
  // linphone's "reason=reason=noresource" is tolerated
  assert.equal(m.subscriptionState!.reason, 'noresource');
});

test('errors name the header and the byte offset', () => {
  const bad = crlf([
    'OPTIONS sip:a@b SIP/2.0',
    'Via: SIP/2.0/UDP host;branch=z9hG4bK1',
    'From: <sip:a@b>;tag=1',
    'To: <sip:a@b>',
    'Call-ID: x',
    'CSeq: abc OPTIONS',
    'Content-Length: 0',
  ]);
  try {
    parseMessage(bad);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SipParseError);
    assert.equal(e.header, 'CSeq');
    assert.equal(e.offset, bad.indexOf('abc OPTIONS'));
    assert.match(e.message, /^CSeq: expected sequence number at byte \d+$/);
  }
});

test('lazy parse defers header errors to first use', () => {
  const bad = crlf([
    'OPTIONS sip:a@b SIP/2.0',
    'Via: SIP/2.0/UDP host;branch=z9hG4bK1',
    'From: <sip:a@b>;tag=1',
    'To: <sip:a@b',
    'Call-ID: x',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
  ]);
  assert.throws(() => parseMessage(bad), SipParseError);
  const m = parseMessage(bad, { lazy: true });
  assert.equal(m.topVia!.branch, 'z9hG4bK1');
  assert.equal(m.cseq!.seq, 1);
  assert.throws(
    () => m.to,
    (e: unknown) => e instanceof SipParseError && e.header === 'To',
  );
});

test('single-value headers appearing twice are rejected', () => {
  const m = parseMessage(
    crlf([
      'OPTIONS sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP host;branch=z9hG4bK1',
      'From: <sip:a@b>;tag=1',
      'To: <sip:a@b>',
      'Call-ID: x',
      'i: y',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]),
    { lazy: true },
  );
  assert.throws(() => m.callId, /more than once/);
});

test('mutations re-serialise with other headers untouched and Content-Length right', () => {
  const m = parseMessage(REFER) as SipRequest;
  m.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew');
  m.removeFirstValue('Route');
  m.setBody('SIP/2.0 200 OK\r\n', 'message/sipfrag');
  const out = m.toBuffer().toString('latin1');
  assert.ok(
    out.startsWith(
      'REFER sip:bob@192.0.2.4:5060 SIP/2.0\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew\r\nVia: SIP/2.0/TLS',
    ),
  );
  assert.ok(out.includes('Route: <sips:ss2.example.com;lr>\r\nRoute: <sips:ss3.example.com;lr>'));
  assert.ok(out.includes('X-Custom:   keep   me  exactly\r\n'));
  assert.ok(out.includes('Content-Length: 16\r\n'));
  const again = parseMessage(m.toBuffer()) as SipRequest;
  assert.equal(again.via.length, 3);
  assert.equal(again.route.length, 2);
  assert.equal(again.body.toString(), 'SIP/2.0 200 OK\r\n');
});

test('sipfrag: parse tolerant of LF-only, build with CRLF', () => {
  assert.deepEqual(parseSipfrag('SIP/2.0 100 Trying\n').status, 100);
  const f = parseSipfrag(Buffer.from('SIP/2.0 200 Ok\r\nContact: <sip:x@y>\r\n'));
  assert.equal(f.status, 200);
  assert.equal(f.reason, 'Ok');
  assert.deepEqual(f.headers, [{ name: 'Contact', value: '<sip:x@y>' }]);
  const r = parseSipfrag('INVITE sip:bob@biloxi.example.com SIP/2.0\n\n');
  assert.equal(r.method, 'INVITE');
  assert.equal(parseSipfrag('SIP/2.0 603 Declined').status, 603);
  assert.throws(() => parseSipfrag('hello world'), SipParseError);
  assert.equal(buildSipfrag(180), 'SIP/2.0 180 Ringing\r\n');
  assert.equal(buildSipfrag(503, 'Service Unavailable'), 'SIP/2.0 503 Service Unavailable\r\n');
});

test('limits: too many headers, oversized header section, oversized body', () => {
  const many = crlf([
    'OPTIONS sip:a@b SIP/2.0',
    ...Array.from({ length: 300 }, (_, i) => `X-H${i}: v`),
    'Content-Length: 0',
  ]);
  assert.throws(() => parseMessage(many), /more than 256 header lines/);
  assert.throws(
    () => parseMessage(crlf(['OPTIONS sip:a@b SIP/2.0', 'X: ' + 'a'.repeat(40000)])),
    /header section exceeds/,
  );
  assert.throws(
    () =>
      parseMessage(crlf(['OPTIONS sip:a@b SIP/2.0', 'Content-Length: 10'], '0123456789'), {
        limits: { maxBodyBytes: 5 },
      }),
    /exceeds the limit/,
  );
});

test('a bad header line gets the same fault and offset from an eager parse and from a lazy one when read', () => {
  const cases: [string, RegExp][] = [
    ['@x: 1', /^invalid character in header name at byte 61$/],
    [': 1', /^empty header name at byte 61$/],
    ['Fo o: 1', /^invalid character in header name at byte 63$/],
    ['Foo', /^header line without ":" at byte 61$/],
    ['X-Bare: a\rb', /^bare CR or LF in header value at byte 70$/],
  ];
  for (const [line, want] of cases) {
    const b = Buffer.from(
      `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n${line}\r\nContent-Length: 0\r\n\r\n`,
    );
    assert.throws(
      () => parseMessage(b),
      (e: unknown) => e instanceof SipParseError && want.test(e.message),
      `eager: ${line}`,
    );
    const lazy = parseMessage(b, { lazy: true });
    assert.equal(lazy.topVia?.branch, 'z9hG4bK1'); // the good lines stay readable
    assert.throws(
      () => lazy.headers,
      (e: unknown) => e instanceof SipParseError && want.test(e.message),
      `lazy: ${line}`,
    );
  }
});

test('lazy typed reads unfold folded lines and name a bare CR, with and without folds elsewhere in the message', () => {
  const head = (extra: string[]) =>
    Buffer.from(
      ['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', ...extra, 'Content-Length: 0', '', ''].join(
        '\r\n',
      ),
      'latin1',
    );
  // a fold in the Call-ID line itself, and one only in another line
  for (const other of [[], ['Subject: a\r\n  b']]) {
    const folded = head([...other, 'Supported: a,\r\n  b', 'CSeq: 1\r\n\tOPTIONS']);
    for (const lazy of [true, false]) {
      const m = parseMessage(folded, { lazy });
      assert.deepEqual(m.supported, ['a', 'b']);
      assert.deepEqual(m.cseq, { seq: 1, method: 'OPTIONS' });
    }
    // a bare CR in a typed value: the same fault and octet, lazy and eager, fold or not
    const bad = head([...other, 'CSeq: 1 OPT\rIONS']);
    const at = bad.indexOf('\rIONS');
    for (const lazy of [true, false]) {
      assert.throws(
        () => parseMessage(bad, { lazy }).cseq,
        (e: unknown) => e instanceof SipParseError && e.message === `bare CR or LF in header value at byte ${at}`,
        `lazy=${lazy} other=${other.length}`,
      );
    }
  }
});

test('get/getAll/count/has read a parsed message in place, for typed and untyped headers, as the built fields do', () => {
  const lines = [
    'OPTIONS sip:a@b SIP/2.0',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
    'v: SIP/2.0/UDP g;branch=z9hG4bK2',
    'From: <sip:a@b>;tag=1',
    'To: <sip:a@b>',
    'Call-ID: x',
    'CSeq: 1 OPTIONS',
    's: first subject',
    'SUBJECT : second subject',
    'X_Under-score: u',
    'x-under-score: not the same name',
    'User-Agent: \tphone 1.0 ',
    'P-Asserted-Identity: <sip:a@b>',
    'Content-Length: 0',
  ];
  const names = [
    'Subject',
    's',
    'X_Under-score',
    'x-under-score',
    'User-Agent',
    'user-agent',
    'P-Asserted-Identity',
    'Via',
    'v',
    'CSeq',
    'X-Absent',
    'Route',
  ];
  for (const lazy of [true, false]) {
    const inPlace = parseMessage(crlf(lines), { lazy });
    const built = parseMessage(crlf(lines), { lazy });
    built.append('X-Edit', '1'); // an edit builds the fields: the lookups below read those
    for (const n of names) {
      assert.equal(
        inPlace.get(n),
        built.headers.find((h) => h.key === headerKeyOf(n))?.value.trim(),
        `get ${n} (lazy ${lazy})`,
      );
      assert.deepEqual(inPlace.getAll(n), built.getAll(n), `getAll ${n}`);
      assert.equal(inPlace.count(n), built.count(n), `count ${n}`);
      assert.equal(inPlace.has(n), built.has(n), `has ${n}`);
    }
    assert.deepEqual(inPlace.getAll('Subject'), ['first subject', 'second subject']);
    assert.equal(inPlace.get('X_Under-score'), 'u');
    assert.equal(inPlace.count('Via'), 2);
    assert.equal(inPlace.get('user-agent'), 'phone 1.0');
  }
});

function headerKeyOf(n: string): string {
  const k = n.toLowerCase();
  return k === 's' ? 'subject' : k === 'v' ? 'via' : k;
}

test('list getters of an absent header return one shared, frozen empty list', () => {
  const m = parseMessage(
    Buffer.from(
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nContent-Length: 0\r\n\r\n',
    ),
  );
  assert.deepEqual(m.route, []);
  assert.equal(m.route, m.recordRoute);
  assert.ok(Object.isFrozen(m.allow));
  assert.throws(() => (m.route as unknown as unknown[]).push(1), TypeError);
  assert.equal(m.via.length, 1);
  assert.equal(m.route.length, 0, 'the shared empty list is still empty');
});

test('lazy framing finds Content-Length in any case and compact form, and only there', () => {
  for (const line of ['Content-Length: 3', 'CONTENT-LENGTH: 3', 'content-length :3', 'l: 3', 'L:\t3']) {
    const b = Buffer.from(
      `OPTIONS sip:a@b SIP/2.0\r\nContact: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n${line}\r\n\r\nabcdef`,
      'latin1',
    );
    for (const lazy of [true, false])
      assert.equal(parseMessage(b, { lazy }).body.toString(), 'abc', `${line} lazy=${lazy}`);
  }
  // a CR inside the name is not the '-' of Content-Length: the line is no Content-Length (the
  // body is the rest of the datagram) and its name is named as the fault when read
  const b = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent\rLength: 99\r\n\r\nabc', 'latin1');
  const m = parseMessage(b, { lazy: true });
  assert.equal(m.body.toString(), 'abc');
  assert.throws(() => m.headers, /invalid character in header name at byte 32/);
  assert.throws(() => parseMessage(b), /invalid character in header name at byte 32/);
});

test('an NBSP (0xA0) beside a value is no LWS: Replaces and Subscription-State keep it and say so', () => {
  // String.trim would drop it; LWS is SP and HT only (RFC 3261 §25.1)
  const msg = (line: string) => Buffer.from(`NOTIFY sip:a@b SIP/2.0\r\n${line}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
  // (Replaces is not mandatory: the message parses, the fault is the header's)
  assert.throws(() => parseMessage(msg('Replaces: abc@h\xa0;to-tag=1;from-tag=2')).replaces, /Replaces/);
  assert.equal(parseMessage(msg('Replaces: abc@h ;to-tag=1;from-tag=2')).replaces?.callId, 'abc@h');
  // the lenient Subscription-State path (LWS after ';') keeps the NBSP in the value
  assert.equal(
    parseMessage(msg('Subscription-State: active; reason= x\xa0')).subscriptionState?.params.get('reason'),
    'x\xa0',
  );
  assert.equal(
    parseMessage(msg('Subscription-State: active; reason= x ')).subscriptionState?.params.get('reason'),
    'x',
  );
});

test('Date: an RFC 1123 date in GMT, its fields checked (no roll-over), years as written', () => {
  const date = (v: string) =>
    parseMessage(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nDate: ${v}\r\nContent-Length: 0\r\n\r\n`, 'latin1')).date;
  assert.equal(date('Sat, 13 Nov 2010 23:29:00 GMT')?.toISOString(), '2010-11-13T23:29:00.000Z');
  assert.equal(date('Thu, 29 Feb 2024 00:00:59 GMT')?.toISOString(), '2024-02-29T00:00:59.000Z');
  assert.equal(date('Fri, 01 Jan 0099 12:00:00 GMT')?.getUTCFullYear(), 99);
  for (const bad of [
    'Mon, 31 Feb 2003 00:00:00 GMT',
    'Sat, 29 Feb 2003 00:00:00 GMT',
    'Sat, 00 Nov 2010 10:00:00 GMT',
    'Sat, 13 Nov 2010 24:00:00 GMT',
    'Sat, 13 Nov 2010 23:60:00 GMT',
    'Sat, 13 Nov 2010 23:59:60 GMT',
  ]) {
    assert.throws(() => date(bad), /invalid Date/, bad);
  }
  assert.throws(() => date('Fri, 01 Jan 2010 16:00:00 EST'), /Date must be in GMT/);
  // an NBSP is no LWS: it stays in the value, which then does not end in GMT
  assert.throws(() => date('Sat, 13 Nov 2010 23:29:00 GMT\xa0'), /Date must be in GMT/);
});

test('headers over several lines combine the same in an eager parse and in lazy reads (list headers join; a second single-value line, or "*" with a Contact, is a fault)', () => {
  const msg = (lines: string[]) =>
    Buffer.from(['OPTIONS sip:a@b SIP/2.0', ...lines, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');
  const cases: string[][] = [
    [
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1',
      'Via: SIP / 2.0 / UDP b;branch=z9hG4bK2',
      'v: SIP/2.0/TCP c;branch=z9hG4bK3',
    ],
    ['Route: <sip:p1;lr>', 'Route: <sip:p2;lr>, <sip:p3;lr>', 'Route: sip:p4'],
    ['Contact: *', 'Contact: <sip:a@b>'],
    ['Contact: <sip:a@b>', 'm: *'],
    ['From: <sip:a@b>;tag=1', 'f: sip:c@d;tag=2'],
    ['To: "A" <sip:a@b>', 'To: B <sip:b@c>'],
    ['Referred-By: <sip:a@b>', 'Referred-By: <sip:a@b'],
  ];
  const read = (m: SipRequest) => JSON.stringify([m.via, m.route, m.contact, m.from, m.to, m.referredBy]);
  for (const lines of cases) {
    const b = msg(lines);
    let eager: string;
    try {
      eager = read(parseMessage(b) as SipRequest);
    } catch (e) {
      eager = (e as Error).message;
    }
    let lazy: string;
    try {
      lazy = read(parseMessage(b, { lazy: true }) as SipRequest);
    } catch (e) {
      lazy = (e as Error).message;
    }
    assert.equal(eager, lazy, lines.join(' | '));
  }
});

test('header sections up to the limit parse whatever the body size; one octet more is refused, eager or lazy', () => {
  // the parser decodes at most the limit's worth of text to find line ends: the header section
  // must be found whole within it, and the body is read from the bytes
  const head = (n: number, bodyLen: number) =>
    `OPTIONS sip:a@b SIP/2.0\r\nX-Pad: ${'p'.repeat(n)}\r\nContent-Length: ${bodyLen}\r\n\r\n`;
  for (const bodyLen of [0, 10, 5000]) {
    const h = head(100, bodyLen);
    const limit = h.length - 2; // the limit counts up to the empty line (RFC 3261 §7), not its CRLF
    const b = Buffer.from(h + 'b'.repeat(bodyLen), 'latin1');
    for (const lazy of [false, true]) {
      const m = parseMessage(b, { lazy, limits: { maxHeaderBytes: limit } });
      assert.equal(m.body.length, bodyLen);
      assert.equal(m.get('X-Pad')?.length, 100);
      assert.equal(m.contentLength, bodyLen);
      assert.throws(() => parseMessage(b, { lazy, limits: { maxHeaderBytes: limit - 1 } }), /header section exceeds/);
    }
  }
});
