/**
 * RFC 4475 and RFC 5118 conformance, driven by the manifests. Each vector must be handled as
 * the RFC expects: accepted (with its tricky values asserted), rejected by the parser with a
 * reason, or answered by the element check with the response the manifest names.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SipParseError,
  SipRequest,
  SipResponse,
  StreamFramer,
  checkRequest,
  checkResponse,
  parseMessage,
  responseForParseError,
  uriEquals,
  type SipUri,
} from '../../src/index.js';
import { loadManifest, loadVector, vectorDir, type VectorEntry } from '../helpers/vectors.js';
import { readFileSync } from 'node:fs';

type Outcome = { ok: true } | { ok: false; why: string };
const results: Record<string, { total: number; handled: number; failed: string[] }> = {};

function record(set: string, file: string, outcome: Outcome): void {
  const r = (results[set] ??= { total: 0, handled: 0, failed: [] });
  r.total++;
  if (outcome.ok) r.handled++;
  else r.failed.push(`${file}: ${outcome.why}`);
}

/** Tricky values per vector (RFC 4475 §3 / RFC 5118 §4 say what each one tests). */
const CHECKS: Record<string, (m: SipRequest | SipResponse) => void> = {
  'wsinv.dat': (m) => {
    const r = m as SipRequest;
    assert.equal(r.method, 'INVITE');
    assert.equal(r.to!.tag, '1918181833n'); // LWS around '=' and folded To
    assert.equal(r.get('To'), 'sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n'); // a fold right after the colon is outer LWS
    assert.equal(r.from!.displayName, 'J Rosenberg \\"'); // escaped quote and backslash
    assert.equal(r.from!.tag, '98asjd8'); // folded onto following lines
    assert.equal(r.maxForwards, 68); // leading zeros
    assert.deepEqual(r.cseq, { seq: 9, method: 'INVITE' });
    assert.equal(r.via.length, 3);
    assert.equal(r.via[0]!.host, '192.0.2.2');
    assert.equal(r.via[2]!.host, '192.168.255.111'); // 'SIP / 2.0 / UDP' with LWS around '/' // "SIP  /   2.0 /UDP" with folding
    assert.equal(r.via[0]!.branch, '390skdjuw');
    assert.equal(r.get('Subject'), '');
    assert.equal(r.get('NewFangledHeader'), 'newfangled value continued newfangled value');
    assert.equal(r.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
    assert.equal(r.body.length, 150);
    assert.ok(r.contentType && r.contentType.subtype === 'sdp');
  },
  'intmeth.dat': (m) => {
    const r = m as SipRequest;
    assert.equal(r.method, "!interesting-Method0123456789_*+`.%indeed'~");
    const uri = r.uri as SipUri;
    assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(r.to!.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(r.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    assert.equal(r.cseq!.method, r.method);
    assert.equal(r.from!.param("fromParam''~+*_!.-%"), 'работающий');
  },
  'esc01.dat': (m) => {
    const r = m as SipRequest;
    const uri = r.uri as SipUri;
    assert.equal(uri.userDecoded, 'sips:user@example.com');
    assert.equal(uri.host, 'example.net');
    assert.equal((r.to!.uri as SipUri).userDecoded, 'user');
    assert.equal((r.from!.uri as SipUri).userDecoded, 'I have spaces');
    const c = (r.contact as unknown as { uri: SipUri }[])[0]!.uri;
    assert.equal(c.userDecoded, 'caller');
    // escapes decoded once, never recursively: n%61me=v%61lue%25%34%31 is name=value%41
    assert.ok(c.params.has('%6C%72'));
    assert.equal(c.params.get('n%61me'), 'v%61lue%25%34%31');
  },
  'escnull.dat': (m) => {
    const r = m as SipRequest;
    assert.equal((r.to!.uri as SipUri).userDecoded, 'null-\x00-null'); // not truncated at %00
    const contacts = r.contact as unknown as { uri: SipUri }[];
    assert.equal(contacts.length, 2);
    assert.equal(contacts[0]!.uri.userDecoded, '\x00');
    assert.equal(contacts[1]!.uri.userDecoded, '\x00\x00');
    assert.equal(uriEquals(contacts[0]!.uri, contacts[1]!.uri), false); // two distinct bindings
  },
  'esc02.dat': (m) => {
    const r = m as SipRequest;
    assert.equal(r.method, 'RE%47IST%45R'); // % is not an escape in a method
    assert.equal(r.from!.displayName, '%Z%45');
    assert.equal((r.contact as unknown[]).length, 2);
    assert.equal(r.count('C%6Fntact'), 1); // another, unknown header
    assert.notEqual(r.method, 'REGISTER');
  },
  'lwsdisp.dat': (m) => {
    assert.equal(m.from!.displayName, 'caller');
    assert.equal(m.from!.tag, '323');
  },
  'longreq.dat': (m) => {
    const r = m as SipRequest;
    assert.equal(r.via.length, 34);
    assert.ok(r.to!.displayName!.startsWith('I have a user name of extreme'));
    assert.equal((r.to!.uri as SipUri).port, 6000);
    assert.ok(
      (r.to!.uri as SipUri).params.has(
        'verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue',
      ),
    );
    assert.ok(r.from!.tag!.length > 100);
    assert.ok(r.callId!.length > 100);
  },
  'dblreq.dat': (m) => {
    const r = m as SipRequest;
    assert.equal(r.method, 'REGISTER');
    assert.equal(r.body.length, 0);
    // the octets after Content-Length are not part of the message (and never forwarded)
    assert.ok(!r.toBuffer().toString('latin1').includes('INVITE'));
  },
  'semiuri.dat': (m) => {
    const u = (m as SipRequest).uri as SipUri;
    assert.equal(u.user, 'user;par=u%40example.net');
    assert.equal(u.userDecoded, 'user;par=u@example.net');
    assert.equal(u.host, 'example.com');
    assert.equal(u.params.size, 0);
    assert.equal(m.accept!.length, 6);
  },
  'transports.dat': (m) => {
    assert.deepEqual(
      m.via.map((v) => v.transport),
      ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
    );
  },
  'mpart01.dat': (m) => {
    assert.equal(m.body.length, 553);
    assert.equal(m.contentType!.type, 'multipart');
    assert.ok(m.body.includes(0)); // binary part kept intact
  },
  'unreason.dat': (m) => {
    const r = m as SipResponse;
    assert.equal(r.status, 200);
    assert.ok(r.reason.includes('😀') || /[^\x00-\x7f]/.test(r.reason));
  },
  'noreason.dat': (m) => {
    const r = m as SipResponse;
    assert.equal(r.status, 100);
    assert.equal(r.reason, '');
  },
  'badbranch.dat': (m) => assert.equal(m.topVia!.branch, 'z9hG4bK'),
  'unkscm.dat': (m) => assert.equal((m as SipRequest).uri.scheme, 'nobodyknowsthisscheme'),
  'novelsc.dat': (m) => assert.equal((m as SipRequest).uri.scheme, 'soap.beep'),
  'unksm2.dat': (m) => {
    assert.equal(m.to!.uri.scheme, 'isbn');
    assert.equal(m.from!.uri.scheme, 'http');
    assert.equal((m.contact as readonly { uri: { scheme: string } }[])[0]!.uri.scheme, 'name');
  },
  'bext01.dat': (m) => {
    assert.deepEqual(m.require, ['nothingSupportsThis', 'nothingSupportsThisEither']);
    assert.deepEqual(m.proxyRequire, ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  },
  'regaut01.dat': (m) => assert.equal(m.authorization[0]!.scheme, 'NoOneKnowsThisScheme'),
  'bcast.dat': (m) => assert.equal(m.via[1]!.host, '255.255.255.255'),
  'zeromf.dat': (m) => assert.equal(m.maxForwards, 0),
  'cparam01.dat': (m) => {
    const c = (m.contact as readonly { uri: SipUri; params: { has(n: string): boolean } }[])[0]!;
    assert.equal(c.uri.params.has('unknownparam'), false); // a contact-param, not a url-param
    assert.ok(c.params.has('unknownparam'));
  },
  'cparam02.dat': (m) => {
    const c = (m.contact as readonly { uri: SipUri; params: { has(n: string): boolean } }[])[0]!;
    assert.ok(c.uri.params.has('unknownparam'));
    assert.equal(c.params.has('unknownparam'), false);
  },
  'regescrt.dat': (m) => {
    const c = (m.contact as readonly { uri: SipUri }[])[0]!;
    assert.equal(c.uri.header('Route'), '<sip:sip.example.com>');
    assert.ok(c.uri.toString().includes('?Route=%3Csip:sip.example.com%3E'));
  },
  'inv2543.dat': (m) => {
    assert.equal(m.contentLength, undefined);
    assert.ok(m.body.length > 0); // body is the rest of the datagram
    assert.equal(m.topVia!.branch, undefined);
    assert.equal(m.from!.tag, undefined);
  },
  // RFC 5118
  'ipv6-good.dat': (m) => {
    const u = (m as SipRequest).uri as SipUri;
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, undefined);
    assert.equal(m.topVia!.sentBy, '[2001:db8::9:1]');
    assert.equal((m.contact as readonly { uri: SipUri }[])[0]!.uri.host, '[2001:db8::1]');
  },
  'port-ambiguous.dat': (m) => {
    const u = (m as SipRequest).uri as SipUri;
    assert.equal(u.host, '[2001:db8::10:5070]');
    assert.equal(u.port, undefined);
  },
  'port-unambiguous.dat': (m) => {
    const u = (m as SipRequest).uri as SipUri;
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5070);
  },
  'via-received-param-with-delim.dat': (m) => {
    assert.equal(m.topVia!.sentBy, '[2001:db8::9:1]');
    assert.equal(m.topVia!.received, '[2001:db8::9:255]');
  },
  'via-received-param-no-delim.dat': (m) => {
    assert.equal(m.topVia!.sentBy, '[2001:db8::9:1]');
    assert.equal(m.topVia!.received, '2001:db8::9:255');
  },
  'ipv6-in-sdp.dat': (m) => assert.ok(m.body.toString().includes('c=IN IP6 2001:db8::20')),
  'mult-ip-in-header.dat': (m) => {
    assert.deepEqual(
      m.via.map((v) => `${v.transport} ${v.sentBy}`),
      ['UDP [2001:db8::9:1]:6050', 'UDP 192.0.2.1', 'TCP [2001:db8::9:255]'],
    );
    assert.equal(m.via[2]!.received, '192.0.2.200');
  },
  'mult-ip-in-sdp.dat': (m) => assert.ok(m.body.toString().includes('c=IN IP6 2001:db8::1')),
  'ipv4-mapped-ipv6.dat': (m) => {
    assert.equal(m.via[0]!.sentBy, '[::ffff:192.0.2.10]:19823');
    assert.equal(m.via[1]!.sentBy, '[::ffff:192.0.2.2]');
    assert.equal((m.contact as readonly { uri: SipUri }[])[0]!.uri.host, '[::ffff:192.0.2.2]');
  },
  'ipv6-bug-abnf-3-colons.dat': (m) => assert.equal(((m as SipRequest).uri as SipUri).host, '[2001:db8:::192.0.2.1]'),
  'ipv6-correct-abnf-2-colons.dat': (m) =>
    assert.equal(((m as SipRequest).uri as SipUri).host, '[2001:db8::192.0.2.1]'),
};

function statusOf(expect: string): number | 'discard' | undefined {
  const m = /^(?:reject|respond):(\d{3}|4xx)/.exec(expect);
  if (m) return m[1] === '4xx' ? 400 : Number(m[1]);
  if (expect === 'discard') return 'discard';
  return undefined;
}

/** Role-specific expectations of the manifest ("respond:501+Allow", "forward-normally", ...). */
function checkRole(m: SipRequest, role: string, expectation: string): void {
  // 'any' element: the REGISTER vectors are processed by a registrar
  const r = role === 'any' ? (m.method === 'REGISTER' ? 'registrar' : 'uas') : role;
  if (r === 'uac') return;
  const res = checkRequest(m, { role: r as 'uas' | 'proxy' | 'registrar' });
  // alternatives separated by '|': any one of them is conforming
  const fits = expectation.split('|').some((alt) => {
    const want = /respond:(\d)(\d\d)/.exec(alt);
    if (want && want[1] !== '2') {
      if (!res || res.status !== Number(want[1]! + want[2]!)) return false;
      if (alt.includes('+Allow') && !res.headers.some(([n]) => n === 'Allow')) return false;
      if (alt.includes('Unsupported') && !res.headers.some(([n]) => n === 'Unsupported')) return false;
      return true;
    }
    // forward / process / ignore / respond:2xx (the registrar's own answer): the check lets it through
    return res === null;
  });
  assert.ok(
    fits,
    `${role}: expected ${expectation}, the element check gave ${res ? `${res.status} ${res.reason}` : 'no response'}`,
  );
}

function runVector(set: 'rfc4475' | 'rfc5118', e: VectorEntry, bytes: Buffer): void {
  const want = statusOf(e.expect);
  let msg: SipRequest | SipResponse | undefined;
  let err: SipParseError | undefined;
  try {
    msg = parseMessage(bytes);
  } catch (x) {
    assert.ok(x instanceof SipParseError, `${e.file}: a non-SipParseError escaped: ${x}`);
    err = x;
  }
  if (e.parser === 'accept') assert.ok(msg, `${e.file}: must parse, got ${err?.message}`);
  if (e.parser === 'reject') assert.ok(err, `${e.file}: the parser must reject it`);
  if (err) {
    assert.ok(err.reason.length > 0 && err.offset >= 0 && err.offset <= bytes.length);
    const res = responseForParseError(bytes, err);
    if (want === 'discard') assert.equal(res, null, 'a broken response is discarded');
    else {
      assert.ok(typeof want === 'number', `${e.file}: parse failed (${err.message}) but expect is ${e.expect}`);
      assert.ok(res, `${e.file}: expected a ${want} for the parse error`);
      assert.equal(res.status, want);
      assert.ok(res.get('Warning')!.includes(err.reason.slice(0, 20).replace(/"/g, "'")));
      // the error response itself must be a valid message
      parseMessage(res.toBuffer(), { lazy: true });
    }
    return;
  }
  const m = msg!;
  CHECKS[e.file]?.(m);
  if (m instanceof SipResponse) {
    const verdict = checkResponse(m, 'uac');
    if (want === 'discard') assert.equal(verdict.accept, false, `${e.file}: should be discarded`);
    else assert.equal(verdict.accept, true);
    if (e.roles?.proxy?.startsWith('drop')) assert.equal(checkResponse(m, 'proxy').accept, false);
    // unmodified messages serialise byte-identical
    assert.ok(m.toBuffer().equals(bytes.subarray(0, m.toBuffer().length)));
    return;
  }
  const req = m as SipRequest;
  if (typeof want === 'number') {
    const res = checkRequest(req, { role: 'uas' });
    assert.ok(res, `${e.file}: expected ${want}, the element check let it through`);
    assert.equal(res.status, want, res.reason);
    if (e.expect.includes('+Unsupported'))
      assert.deepEqual(
        res.headers.find(([n]) => n === 'Unsupported')?.[1],
        'nothingSupportsThis, nothingSupportsThisEither',
      );
  }
  for (const [role, exp] of Object.entries(e.roles ?? {})) checkRole(req, role, exp);
  // unmodified messages serialise byte-identical
  const out = req.toBuffer();
  assert.ok(out.equals(bytes.subarray(0, out.length)), `${e.file}: serialisation differs`);
}

for (const set of ['rfc4475', 'rfc5118'] as const) {
  describe(`${set} vectors`, () => {
    for (const e of loadManifest(set)) {
      test(`${e.section} ${e.file} (${e.expect})`, () => {
        const bytes = loadVector(set, e.file, e.sha256);
        try {
          runVector(set, e, bytes);
          record(set, e.file, { ok: true });
        } catch (x) {
          record(set, e.file, { ok: false, why: (x as Error).message });
          throw x;
        }
      });
    }
  });
}

test('baddn.terminated variant: unquoted display name with a comma is rejected with 400', () => {
  const b = readFileSync(vectorDir('rfc4475') + 'variants/baddn.terminated.dat');
  assert.throws(
    () => parseMessage(b),
    (e: unknown) => e instanceof SipParseError && /display name/.test(e.reason),
  );
  let err: SipParseError | undefined;
  try {
    parseMessage(b);
  } catch (x) {
    err = x as SipParseError;
  }
  assert.equal(responseForParseError(b, err!)!.status, 400);
});

test('framing over TCP: clerr waits for more data; ncl and mcl01 are fatal framing errors', () => {
  const clerr = loadVector('rfc4475', 'clerr.dat');
  const f = new StreamFramer();
  assert.deepEqual(f.push(clerr), []); // Content-Length 9999: wait for the rest
  assert.ok(f.pending > 0);
  for (const file of ['ncl.dat', 'mcl01.dat']) {
    assert.throws(() => new StreamFramer().push(loadVector('rfc4475', file)), SipParseError);
  }
  // inv2543 has no Content-Length: not allowed on a stream
  assert.throws(() => new StreamFramer().push(loadVector('rfc4475', 'inv2543.dat')), /mandatory/);
});

after(() => {
  const totals = { rfc4475: 49, rfc5118: 12 } as const;
  for (const set of ['rfc4475', 'rfc5118'] as const) {
    const r = results[set] ?? { total: 0, handled: 0, failed: [] };
    console.log(
      `# conformance ${set}: ${r.handled}/${totals[set]} messages handled as the RFC expects${r.failed.length ? `; failed: ${r.failed.join('; ')}` : ''}`,
    );
  }
});
