import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipRequest, type SipResponse } from '../../src/index.js';
import { spliceRequest, spliceResponse } from '../../src/proxy/splice.js';

/** Header lines, the empty line, then the body. */
const msg = (lines: string[], body = '') => Buffer.from([...lines, '', body].join('\r\n'), 'latin1');

test('spliceRequest: new start line, lines on top, Max-Forwards decremented in place, the rest byte for byte', () => {
  const body = 'v=0\r\n';
  const inp = msg(
    [
      'INVITE sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
      'max-forwards :  70 ',
      'X-Odd:   kept  as is\t',
      'Record-Route: <sip:p1.example.com;lr>',
      'Call-ID: c1',
      `Content-Length: ${body.length}`,
    ],
    body,
  );
  const out = spliceRequest(inp, {
    startLine: 'INVITE sip:bob@192.0.2.4:5070 SIP/2.0',
    top: 'Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKb\r\nRecord-Route: <sip:p.example.com;lr>\r\n',
    maxForwards: 69,
  });
  assert.equal(
    out.toString('latin1'),
    [
      'INVITE sip:bob@192.0.2.4:5070 SIP/2.0',
      'Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKb',
      'Record-Route: <sip:p.example.com;lr>',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
      'max-forwards : 69 ', // the value is replaced; the LWS around it stays
      'X-Odd:   kept  as is\t',
      'Record-Route: <sip:p1.example.com;lr>',
      'Call-ID: c1',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n'),
  );
  const r = parseMessage(out) as SipRequest;
  assert.equal(r.maxForwards, 69);
  assert.deepEqual(
    r.recordRoute.map((x) => x.uri.toString()),
    ['sip:p.example.com;lr', 'sip:p1.example.com;lr'],
  );
  assert.equal(r.body.toString(), body);
});

test('spliceRequest: adds Max-Forwards when absent; pops the first Route value, or the whole line', () => {
  const one = spliceRequest(
    msg([
      'BYE sip:b@192.0.2.4 SIP/2.0',
      'Route: <sip:p.example.com;lr>',
      'Route: <sip:q.example.com;lr>',
      'Call-ID: x',
    ]),
    { top: 'Via: SIP/2.0/UDP p;branch=z9hG4bKc\r\n', maxForwards: 70, popRoute: true },
  );
  const r1 = parseMessage(one) as SipRequest;
  assert.equal(r1.maxForwards, 70);
  assert.deepEqual(
    r1.route.map((x) => x.uri.toString()),
    ['sip:q.example.com;lr'],
  );
  // a list on one line, the first value holding a comma in a quoted display name, folded after the comma
  const list = spliceRequest(
    msg([
      'BYE sip:b@192.0.2.4 SIP/2.0',
      'Max-Forwards: 5',
      'Route: "a, b" <sip:p.example.com;lr>,',
      ' <sip:q.example.com;lr>,<sip:r.example.com;lr>',
      'Call-ID: x',
    ]),
    { top: '', maxForwards: 4, popRoute: true },
  );
  const r2 = parseMessage(list) as SipRequest;
  assert.equal(r2.maxForwards, 4);
  assert.deepEqual(
    r2.route.map((x) => x.uri.toString()),
    ['sip:q.example.com;lr', 'sip:r.example.com;lr'],
  );
  assert.match(list.toString('latin1'), /\r\nRoute: <sip:q\.example\.com;lr>,<sip:r/);
});

test('spliceResponse: the top Via value goes (its line, or its part of a list; compact form too)', () => {
  const lines = (via: string[]) =>
    msg([
      'SIP/2.0 180 Ringing',
      ...via,
      'From: <sip:a@b>;tag=1',
      'To: <sip:b@b>;tag=2',
      'Call-ID: c',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]);
  const branches = (b: Buffer) => (parseMessage(b) as SipResponse).via.map((v) => v.branch);
  assert.deepEqual(
    branches(spliceResponse(lines(['Via: SIP/2.0/UDP p;branch=z9hG4bK1', 'Via: SIP/2.0/UDP a;branch=z9hG4bK2']))),
    ['z9hG4bK2'],
  );
  assert.deepEqual(
    branches(
      spliceResponse(
        lines([
          'v: SIP/2.0/UDP p;branch=z9hG4bK1 , SIP/2.0/UDP a;branch=z9hG4bK2',
          'Via: SIP/2.0/UDP c;branch=z9hG4bK3',
        ]),
      ),
    ),
    ['z9hG4bK2', 'z9hG4bK3'],
  );
  const out = spliceResponse(lines(['Via: SIP/2.0/UDP p;branch=z9hG4bK1', 'Via: SIP/2.0/UDP a;branch=z9hG4bK2']));
  assert.equal(out.toString('latin1').split('\r\n')[1], 'Via: SIP/2.0/UDP a;branch=z9hG4bK2');
});
