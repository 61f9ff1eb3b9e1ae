/** Bad input never crashes: mutated and random bytes over UDP, TCP and WS, then a good message still gets through. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import type { SipRequest } from '../../src/message/index.js';
import type { Inbound } from '../../src/transport/index.js';
import { manager, nextMessage, sleep, tcpPeer, udpPeer, within } from './helpers.js';

const valid = Buffer.from(
  'INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;rport;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n',
);

/** Inputs: a valid message with bytes flipped, cut or spliced, or plain random bytes. */
const inputs = fc.oneof(
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    )
    .map(([flips]) => {
      const b = Buffer.from(valid);
      for (const [i, v] of flips) b[i] = v;
      return b;
    }),
  fc.nat(valid.length).map((n) => valid.subarray(0, n)),
  fc.uint8Array({ minLength: 1, maxLength: 600 }).map((a) => Buffer.from(a)),
  fc
    .constantFrom(
      '\r\n',
      'SIP/2.0 200 OK\r\n\r\n',
      'INVITE sip:x SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n',
      'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n',
    )
    .map((s) => Buffer.from(s)),
);

test('fuzzed datagrams, TCP streams and WS messages: answered or dropped, and the manager keeps serving', async () => {
  const server = manager();
  const udp = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const tcp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const ws = await server.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
  const seen: Inbound[] = [];
  server.on('message', (m: Inbound) => seen.push(m));
  const samples = fc.sample(inputs, { numRuns: 300, seed: 20240601 });
  // a valid message sent after the samples on the same socket or WebSocket arrives after them (one
  // sender, in order): once it is delivered, every sample before it has been handled
  const sentinel = (branch: string) => valid.toString().replace('z9hG4bK776asdhds', branch);
  const delivered = (branch: string) =>
    within(10_000, `sentinel ${branch}`, (r) => {
      const on = (m: Inbound) => {
        if ((m.message as SipRequest).topVia?.branch !== branch) return;
        server.off('message', on);
        r(0);
      };
      server.on('message', on);
    });
  const peer = await udpPeer();
  const udpDone = delivered('z9hG4bKudpEnd');
  for (let i = 0; i < samples.length; i += 25) {
    for (const b of samples.slice(i, i + 25)) peer.send(b, udp.port);
    await sleep(2); // pacing, so that the socket's receive buffer never overflows
  }
  peer.send(sentinel('z9hG4bKudpEnd'), udp.port);
  await udpDone;
  const accounted = () => server.stats.received + server.stats.parseErrors + server.stats.keepAlives;
  assert.equal(accounted(), samples.length + 1, 'every datagram was delivered, answered or absorbed');
  assert.ok(server.stats.parseErrors > 100);
  // streams: a few connections, each fed the samples in chunks until the server gives up on it
  for (let c = 0; c < 3; c++) {
    const p = await tcpPeer(tcp.port);
    for (const b of samples.slice(c * 100, c * 100 + 100)) if (!p.sock.destroyed) p.sock.write(b);
    p.sock.end();
  }
  const sock = new WebSocket(`ws://127.0.0.1:${ws.port}/`, 'sip');
  await within(1000, 'ws open', (r) => sock.once('open', () => r(0)));
  const wsDone = delivered('z9hG4bKwsEnd');
  for (const b of samples.slice(0, 100)) sock.send(b, { binary: true });
  sock.send(sentinel('z9hG4bKwsEnd'), { binary: true });
  await wsDone;
  assert.ok(accounted() > samples.length + 100);
  assert.equal(server.stats.handlerErrors, 0);
  for (const m of seen)
    assert.ok(m.message.has('Via') && m.message.has('CSeq'), 'only complete messages are delivered');
  // still serving on every listener
  for (const b of ['z9hG4bKok1', 'z9hG4bKok2']) {
    const got = nextMessage(server);
    const good = valid.toString().replace('z9hG4bK776asdhds', b);
    if (b === 'z9hG4bKok1') peer.send(good, udp.port);
    else (await tcpPeer(tcp.port)).sock.write(good.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    assert.equal(((await got).message as SipRequest).topVia!.branch, b);
  }
  const got = nextMessage(server);
  sock.send(valid.toString().replace('z9hG4bK776asdhds', 'z9hG4bKok3'));
  assert.equal(((await got).message as SipRequest).topVia!.branch, 'z9hG4bKok3');
  sock.close();
});
