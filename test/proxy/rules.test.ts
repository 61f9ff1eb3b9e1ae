import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, parseUri, type SipRequest, type SipResponse, type SipUri } from '../../src/index.js';
import {
  bestResponse,
  detectLoop,
  forwardCopy,
  nextHop,
  preprocessRoute,
  validateRequest,
  type ProxyIdentity,
} from '../../src/proxy/rules.js';
import { isOurDomain, makeIdentity } from '../../src/proxy/identity.js';

const id: ProxyIdentity = makeIdentity(
  [{ protocol: 'udp', host: '192.0.2.10', port: 5060 }],
  ['ss1.example.com'],
  ['example.com'],
);

function req(lines: string[]): SipRequest {
  return parseMessage(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n'))) as SipRequest;
}
const base = (ruri = 'sip:bob@example.com', extra: string[] = []) =>
  req([
    `INVITE ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
    'Max-Forwards: 70',
    'From: <sip:alice@atlanta.example.com>;tag=1',
    'To: <sip:bob@example.com>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...extra,
  ]);

test('§16.3: Max-Forwards 0 gets 483, Proxy-Require unknown gets 420, bad scheme 416', () => {
  const mf0 = base('sip:bob@example.com', []);
  mf0.set('Max-Forwards', '0');
  const v = validateRequest(mf0, id);
  assert.equal(v.ok, false);
  assert.equal(!v.ok && v.response.status, 483);
  const pr = base('sip:bob@example.com', ['Proxy-Require: foo']);
  const v2 = validateRequest(pr, id);
  assert.equal(!v2.ok && v2.response.status, 420);
  assert.equal(!v2.ok && v2.response.get('Unsupported'), 'foo');
  assert.equal(validateRequest(base(), id).ok, true);
  const mailto = base('mailto:bob@example.com');
  const v3 = validateRequest(mailto, id);
  assert.equal(!v3.ok && v3.response.status, 416);
});

test('§16.6: forwarded copy decrements Max-Forwards, adds Record-Route and Via; loops are detected', () => {
  const r = base();
  const out = forwardCopy(r, parseUri('sip:bob@192.0.2.4:5070'), {
    recordRoute: [parseUri('sip:ss1.example.com') as SipUri],
    via: { transport: 'udp', host: 'ss1.example.com', port: 5060 },
  });
  assert.equal(out.maxForwards, 69);
  assert.equal(out.uri.toString(), 'sip:bob@192.0.2.4:5070');
  assert.equal(out.get('Record-Route'), '<sip:ss1.example.com;lr>');
  assert.equal(out.via.length, 2);
  assert.equal(out.topVia!.host, 'ss1.example.com');
  assert.ok(out.topVia!.isRfc3261Branch);
  assert.equal(r.maxForwards, 70, 'the original is untouched');
  // the same request coming back to us unchanged is a loop
  const back = parseMessage(out.toBuffer()) as SipRequest;
  back.uri = r.uri; // it comes back with the same Request-URI as when we first saw it
  back.set('Max-Forwards', '68');
  assert.equal(detectLoop(back, id), true);
  // a spiral (changed Request-URI) is not a loop
  back.uri = parseUri('sip:carol@example.com');
  assert.equal(detectLoop(back, id), false);
});

test('§16.4: loose route naming us is removed; strict-routed request is restored', () => {
  const loose = base('sip:bob@192.0.2.4', ['Route: <sip:ss1.example.com;lr>, <sip:ss2.example.com;lr>']);
  preprocessRoute(loose, id);
  assert.deepEqual(
    loose.route.map((r) => (r.uri as SipUri).host),
    ['ss2.example.com'],
  );
  assert.equal((nextHop(loose) as SipUri).host, 'ss2.example.com');
  const strict = base('sip:ss1.example.com;lr', ['Route: <sip:ss2.example.com;lr>, <sip:bob@192.0.2.4>']);
  preprocessRoute(strict, id);
  assert.equal(strict.uri.toString(), 'sip:bob@192.0.2.4');
  assert.deepEqual(
    strict.route.map((r) => (r.uri as SipUri).host),
    ['ss2.example.com'],
  );
  assert.equal(isOurDomain(parseUri('sip:bob@EXAMPLE.com'), id), true);
  assert.equal(isOurDomain(parseUri('sip:bob@other.org'), id), false);
});

test('§16.7: best response selection, 6xx wins, challenges merged', () => {
  const res = (status: number, extra: string[] = []) =>
    parseMessage(
      Buffer.from(
        [
          `SIP/2.0 ${status} X`,
          'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
          'From: <sip:a@b>;tag=1',
          'To: <sip:b@b>;tag=2',
          'Call-ID: c',
          'CSeq: 1 INVITE',
          ...extra,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    ) as SipResponse;
  assert.equal(bestResponse([res(486), res(404), res(302)])!.status, 302);
  assert.equal(bestResponse([res(486), res(603), res(302)])!.status, 603);
  assert.equal(bestResponse([res(408), res(480)])!.status, 480);
  const merged = bestResponse([
    res(401, ['WWW-Authenticate: Digest realm="a", nonce="1"']),
    res(407, ['Proxy-Authenticate: Digest realm="b", nonce="2"']),
  ])!;
  assert.equal(merged.wwwAuthenticate.length + merged.proxyAuthenticate.length, 2);
  assert.equal(bestResponse([]), undefined);
});
