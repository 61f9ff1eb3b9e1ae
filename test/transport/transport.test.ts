import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { createRequest, createVia, parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import { SipTransport, createDevCertificates, type Inbound, type TransportProtocol } from '../../src/transport/index.js';

const open: SipTransport[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});
function transport(opts: ConstructorParameters<typeof SipTransport>[0] = {}): SipTransport {
  const t = new SipTransport(opts);
  open.push(t);
  return t;
}
function nextMessage(t: SipTransport, ms = 3000): Promise<Inbound> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within ' + ms + ' ms')), ms);
    t.once('message', (m: Inbound) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}
function options(protocol: string, host: string, port: number, scheme = 'sip'): SipRequest {
  const h = host.includes(':') ? `[${host}]` : host;
  return createRequest({ method: 'OPTIONS', uri: `${scheme}:bob@${h}:${port}`, from: `${scheme}:alice@example.com`, to: `${scheme}:bob@example.com`, via: createVia(protocol.toUpperCase(), host, 1) });
}

const certs = await createDevCertificates(['localhost', '127.0.0.1', '::1']);

for (const protocol of ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportProtocol[]) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`loopback ${protocol} over ${host}: request out, received/rport stamped, response back on the same path`, async () => {
      const tlsOpts = protocol === 'tls' || protocol === 'wss' ? { key: certs.key, cert: certs.cert } : undefined;
      const server = transport();
      const client = transport({ tlsCa: certs.ca });
      const s = await server.listen({ protocol, host, port: 0, ...(tlsOpts ? { tls: tlsOpts } : {}) });
      await client.listen({ protocol, host, port: 0, ...(tlsOpts ? { tls: tlsOpts } : {}) });
      const req = options(protocol, host, s.port, protocol === 'tls' || protocol === 'wss' ? 'sips' : 'sip');
      const got = nextMessage(server);
      await client.send(req, { protocol, host, port: s.port });
      const inbound = await got;
      const r = inbound.message as SipRequest;
      assert.equal(r.method, 'OPTIONS');
      assert.equal(inbound.protocol, protocol);
      assert.equal(r.topVia!.received, host, 'Via sent-by differs from the source: received added');
      assert.equal(r.topVia!.rport, inbound.remote.port, 'rport filled with the source port');
      if (protocol !== 'udp') assert.ok(inbound.connectionId);
      // answer on the connection it came on (§18.2.2)
      const { createResponse } = await import('../../src/message/index.js');
      const back = nextMessage(client);
      await server.send(createResponse(r, 200), { protocol, host: inbound.remote.host, port: inbound.remote.port }, inbound.connectionId ? { connectionId: inbound.connectionId } : {});
      const res = (await back).message as SipResponse;
      assert.equal(res.status, 200);
      if (protocol !== 'udp') assert.equal(server.stats.connectionsOpened, 1, 'the connection was reused for the response');
    });
  }
}

test('TLS: an untrusted certificate is rejected by default', async () => {
  const server = transport();
  const s = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { key: certs.key, cert: certs.cert } });
  const client = transport(); // no CA given
  await assert.rejects(client.send(options('tls', '127.0.0.1', s.port, 'sips'), { protocol: 'tls', host: '127.0.0.1', port: s.port }), /certificate/);
});

test('sips: is never sent over a non-TLS transport', async () => {
  const client = transport();
  await client.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  await assert.rejects(client.send(options('udp', '127.0.0.1', 9, 'sips'), { protocol: 'udp', host: '127.0.0.1', port: 9 }), /sips/);
});

test('a malformed datagram gets a 400 back and the transport keeps serving', async () => {
  const server = transport();
  const s = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const reply = new Promise<Buffer>((r) => sock.once('message', (b) => r(b)));
  const bad = 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1;;\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  sock.send(bad, s.port, '127.0.0.1');
  const res = parseMessage(await reply, { lazy: true }) as SipResponse;
  assert.equal(res.status, 400);
  assert.match(res.reason, /Via/);
  assert.equal(server.stats.parseErrors, 1);
  // garbage that is not even a request is dropped silently
  sock.send('\x00\x01garbage', s.port, '127.0.0.1');
  const good = nextMessage(server);
  const ok = options('udp', '127.0.0.1', s.port);
  sock.send(ok.toBuffer(), s.port, '127.0.0.1');
  assert.equal(((await good).message as SipRequest).method, 'OPTIONS');
  sock.close();
});

test('TCP: split chunks, several messages per chunk, CRLF ping answered, framing error closes only that connection', async () => {
  const server = transport();
  const s = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const got: Inbound[] = [];
  server.on('message', (m: Inbound) => got.push(m));
  const c1 = net.connect(s.port, '127.0.0.1');
  await new Promise((r) => c1.once('connect', r));
  const pong = new Promise<string>((r) => c1.once('data', (d) => r(d.toString())));
  c1.write('\r\n\r\n');
  assert.equal(await pong, '\r\n');
  const a = options('tcp', '127.0.0.1', s.port).toBuffer();
  const b = options('tcp', '127.0.0.1', s.port).toBuffer();
  const both = Buffer.concat([a, b]);
  c1.write(both.subarray(0, 10));
  await new Promise((r) => setTimeout(r, 20));
  c1.write(both.subarray(10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.length, 2);
  const c2 = net.connect(s.port, '127.0.0.1');
  await new Promise((r) => c2.once('connect', r));
  const closed = new Promise((r) => c2.once('close', r));
  c2.write('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\n');
  await closed;
  // the first connection still works
  c1.write(options('tcp', '127.0.0.1', s.port).toBuffer());
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.length, 3);
  c1.destroy();
});

test('RFC 3261 §18.1.1: a large request over UDP goes over TCP instead', async () => {
  const server = transport();
  const su = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: su.port });
  const client = transport();
  await client.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  await client.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const req = options('udp', '127.0.0.1', su.port);
  req.setBody('x'.repeat(2000), 'text/plain');
  const got = nextMessage(server);
  await client.send(req, { protocol: 'udp', host: '127.0.0.1', port: su.port });
  const m = await got;
  assert.equal(m.protocol, 'tcp');
  assert.equal(m.message.topVia!.transport, 'TCP');
});

test('connection failure is a TransportError', async () => {
  const client = transport();
  const srv = net.createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
  await new Promise((r) => srv.close(r));
  await assert.rejects(client.send(options('tcp', '127.0.0.1', port), { protocol: 'tcp', host: '127.0.0.1', port }), (e: Error) => e.name === 'TransportError');
});
