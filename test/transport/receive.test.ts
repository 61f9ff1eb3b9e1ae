/** RFC 3261 §18.2.1 / RFC 3581 §4 on receipt, and bad input: answered or dropped, counted, never fatal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import { sameAddress, stampReceived, type Inbound } from '../../src/transport/index.js';
import { manager, nextMessage, sleep, udpPeer } from './helpers.js';

const req = (vias: string[], extra = '') =>
  [
    `OPTIONS sip:bob@example.com SIP/2.0`,
    ...vias.map((v) => `Via: ${v}`),
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:bob@example.com>',
    'Call-ID: c1@x',
    'CSeq: 1 OPTIONS',
    extra,
    'Content-Length: 0',
    '',
    '',
  ]
    .filter((l, i, a) => l !== '' || i >= a.length - 2)
    .join('\r\n');

test('sameAddress: IPv6 in any textual form, IPv4-mapped IPv6, names never match', () => {
  assert.ok(sameAddress('::1', '0:0:0:0:0:0:0:1'));
  assert.ok(sameAddress('[2001:DB8::1]', '2001:db8:0:0:0:0:0:1'));
  assert.ok(sameAddress('::ffff:192.0.2.1', '192.0.2.1'));
  assert.ok(sameAddress('192.0.2.1', '192.0.2.1'));
  assert.ok(!sameAddress('192.0.2.1', '192.0.2.10'));
  assert.ok(!sameAddress('2001:db8::1', '2001:db8::2'));
  assert.ok(!sameAddress('localhost', 'localhost'));
  assert.ok(!sameAddress('::1', '127.0.0.1'));
});

test('stampReceived: received when sent-by differs, rport filled (received then mandatory), other Vias byte for byte', () => {
  const second = 'SIP/2.0/UDP   proxy.example.com:5060 ;branch=z9hG4bKp1 ;x=Y';
  const cases: [string, { host: string; port: number }, string][] = [
    [
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
      { host: '192.0.2.1', port: 5060 },
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
    ],
    [
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
      { host: '192.0.2.9', port: 5060 },
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=192.0.2.9',
    ],
    [
      'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1',
      { host: '192.0.2.1', port: 5060 },
      'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1;received=192.0.2.1',
    ],
    [
      'SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1',
      { host: '192.0.2.1', port: 61000 },
      'SIP/2.0/UDP 192.0.2.1:5060;rport=61000;branch=z9hG4bK1;received=192.0.2.1',
    ],
    [
      'SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1',
      { host: '192.0.2.1', port: 61000 },
      'SIP/2.0/UDP 10.0.0.1:5060;rport=61000;branch=z9hG4bK1;received=192.0.2.1',
    ],
    [
      'SIP/2.0/UDP 10.0.0.1;rport=7;branch=z9hG4bK1',
      { host: '10.0.0.1', port: 61000 },
      'SIP/2.0/UDP 10.0.0.1;rport=7;branch=z9hG4bK1',
    ],
    [
      'SIP/2.0/UDP [0:0:0:0:0:0:0:1]:5060;branch=z9hG4bK1',
      { host: '::1', port: 5060 },
      'SIP/2.0/UDP [0:0:0:0:0:0:0:1]:5060;branch=z9hG4bK1',
    ],
    [
      'SIP/2.0/TCP [2001:db8::1];branch=z9hG4bK1',
      { host: '::ffff:192.0.2.1', port: 5060 },
      'SIP/2.0/TCP [2001:db8::1];branch=z9hG4bK1;received=192.0.2.1',
    ],
  ];
  for (const [top, src, expected] of cases) {
    const m = parseMessage(req([top, second])) as SipRequest;
    const changed = stampReceived(m, src);
    assert.equal(changed, expected !== top, top);
    const text = m.toString();
    assert.equal(m.topVia!.toString(), expected);
    assert.ok(
      text.includes(`Via: ${second}\r\n`) || text.includes(`, ${second}`) || text.includes(second),
      'second Via untouched',
    );
    assert.equal(m.via.length, 2);
    assert.equal(String(m.via[1]!.branch), 'z9hG4bKp1');
    assert.equal((parseMessage(text) as SipRequest).topVia!.toString(), expected, 'survives re-serialisation');
  }
});

test('over UDP: the delivered request carries received/rport; an unchanged request keeps its exact bytes', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await udpPeer();
  // sent-by equal to the source, no rport: nothing to add
  const plain = req([`SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKa`]);
  let got = nextMessage(server);
  peer.send(plain, s.port);
  let m = (await got).message as SipRequest;
  assert.equal(m.topVia!.received, undefined);
  assert.equal(m.toBuffer().toString(), plain);
  // rport asked for, two Vias in one header line: the second stays as sent
  got = nextMessage(server);
  peer.send(
    req([`SIP/2.0/UDP 10.1.1.1:5060;rport;branch=z9hG4bKb , SIP/2.0/UDP  p.example.net;branch=z9hG4bKc`]),
    s.port,
  );
  const inbound = await got;
  m = inbound.message as SipRequest;
  assert.equal(m.topVia!.received, '127.0.0.1');
  assert.equal(m.topVia!.rport, peer.port);
  assert.match(m.toString(), /Via: SIP\/2\.0\/UDP {2}p\.example\.net;branch=z9hG4bKc\r\n/);
  assert.deepEqual(server.responseTarget(inbound).target, { protocol: 'udp', host: '127.0.0.1', port: peer.port });
});

test('a malformed datagram gets a 400 back (also over IPv6) and the manager keeps serving', async () => {
  for (const host of ['127.0.0.1', '::1']) {
    const server = manager();
    const s = await server.listen({ protocol: 'udp', host, port: 0 });
    const errors: unknown[] = [];
    server.on('parse-error', (e: unknown) => errors.push(e));
    const peer = await udpPeer(host);
    peer.send(req([`SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1;;`]), s.port);
    const res = parseMessage(await peer.next(), { lazy: true }) as SipResponse;
    assert.equal(res.status, 400);
    assert.match(res.reason, /Via/);
    assert.equal(res.callId, 'c1@x');
    assert.equal(server.stats.parseErrors, 1);
    assert.equal(server.stats.errorResponses, 1);
    assert.equal(errors.length, 1);
    // a request without Call-ID: 400 naming it
    peer.send(req([`SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2`]).replace('Call-ID: c1@x\r\n', ''), s.port);
    const res2 = parseMessage(await peer.next()) as SipResponse;
    assert.equal(res2.status, 400);
    assert.match(res2.reason, /Call-ID/);
    // garbage, a broken response, a request without Via: dropped, counted, no answer
    peer.send('\x00\x01garbage\r\n\r\n', s.port);
    peer.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;;\r\nContent-Length: 0\r\n\r\n', s.port);
    peer.send(req([]), s.port);
    // still serving
    const got = nextMessage(server);
    peer.send(req([`SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK3`]), s.port);
    assert.equal(((await got).message as SipRequest).topVia!.branch, 'z9hG4bK3');
    assert.equal(server.stats.parseErrors, 5);
    assert.equal(server.stats.dropped, 3);
    assert.equal(server.stats.received, 1);
    await assert.rejects(peer.next(100), /nothing within/, 'no answer to the dropped inputs');
  }
});

test('keep-alives on UDP are absorbed; a throwing listener does not take the manager down', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await udpPeer();
  peer.send('\r\n\r\n', s.port);
  const stun = Buffer.alloc(20);
  stun.writeUInt16BE(0x0001, 0);
  stun.writeUInt32BE(0x2112a442, 4);
  peer.send(stun, s.port);
  let calls = 0;
  server.on('message', () => {
    calls++;
    throw new Error('listener bug');
  });
  const errors: unknown[] = [];
  server.on('error', (e: unknown) => errors.push(e));
  peer.send(req([`SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1`]), s.port);
  peer.send(req([`SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2`]), s.port);
  for (let i = 0; i < 50 && calls < 2; i++) await sleep(10);
  assert.equal(calls, 2);
  assert.equal(server.stats.handlerErrors, 2);
  assert.equal(errors.length, 2);
  assert.equal(server.stats.keepAlives, 2);
  assert.equal(server.stats.parseErrors, 0);
});

test('an IPv4 peer reaching a dual-stack :: socket is seen (and answered) as plain IPv4', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'udp', host: '::', port: 0 });
  assert.equal(s.host, '::');
  const peer = await udpPeer('127.0.0.1');
  const got = nextMessage(server);
  peer.send(req([`SIP/2.0/UDP 127.0.0.1:${peer.port};rport;branch=z9hG4bK1`]), s.port);
  const inbound: Inbound = await got;
  assert.equal(inbound.remote.host, '127.0.0.1');
  assert.equal((inbound.message as SipRequest).topVia!.received, '127.0.0.1');
  const { createResponse } = await import('../../src/message/index.js');
  await server.respond(inbound, createResponse(inbound.message as SipRequest, 200));
  assert.equal((parseMessage(await peer.next()) as SipResponse).status, 200);
});

test('liberal receiving: a malformed header the request does not need is delivered with its fault; a needed one gets 400', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await udpPeer();
  const via = `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKlib1`;
  const got = nextMessage(server);
  peer.send(req([via], 'Referred-By: <alice@atlanta.example.com>'), s.port);
  const m = (await got).message as SipRequest;
  assert.equal(m.headerFaults.length, 1);
  assert.equal(m.headerFaults[0]!.header, 'Referred-By');
  assert.equal(m.get('Referred-By'), '<alice@atlanta.example.com>');
  assert.equal(server.stats.parseErrors, 0);
  // Date is acted on in requests (RFC 4475 §3.1.2.12 verdict): still a 400 naming it
  peer.send(req([via.replace('lib1', 'lib2')], 'Date: Fri, 01 Jan 2010 16:00:00 EST'), s.port);
  const res = parseMessage(await peer.next()) as SipResponse;
  assert.equal(res.status, 400);
  assert.match(res.reason, /Date/);
});
