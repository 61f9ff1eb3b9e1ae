/** Loopback send/receive over every transport, IPv4 and IPv6, with TLS verification on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import {
  TransportError,
  createDevCertificates,
  type Inbound,
  type TransportProtocol,
} from '../../src/transport/index.js';
import { hostport, manager, nextMessage, options, within } from './helpers.js';

const certs = await createDevCertificates(['localhost', '127.0.0.1', '::1', 'biloxi.example.com']);
const secure = (p: TransportProtocol) => p === 'tls' || p === 'wss';
const creds = { key: certs.key, cert: certs.cert };

for (const protocol of ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportProtocol[]) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`${protocol} over ${host}: request out, received/rport stamped, response back on the same connection`, async () => {
      const server = manager();
      const client = manager({ tlsCa: certs.ca });
      const s = await server.listen({ protocol, host, port: 0, ...(secure(protocol) ? { tls: creds } : {}) });
      assert.equal(s.host, host);
      assert.ok(s.port > 0);
      const c = await client.listen({ protocol, host, port: 0, ...(secure(protocol) ? { tls: creds } : {}) });
      // a Via sent-by that is a name: received must be added; an empty rport must be filled
      const req = options({
        transport: protocol,
        viaHost: 'client.invalid',
        viaPort: c.port,
        target: hostport(host, s.port),
        scheme: secure(protocol) ? 'sips' : 'sip',
      });
      const got = nextMessage(server);
      await client.send(req, { protocol, host, port: s.port });
      const inbound = await got;
      const r = inbound.message as SipRequest;
      assert.equal(r.method, 'OPTIONS');
      assert.equal(inbound.protocol, protocol);
      assert.equal(inbound.remote.host, host);
      assert.equal(inbound.local.port, s.port);
      assert.equal(r.topVia!.received, host);
      assert.equal(r.topVia!.rport, inbound.remote.port);
      assert.equal(r.callId, req.callId);

      const route = server.responseTarget(inbound);
      if (protocol === 'udp') {
        assert.equal(inbound.connectionId, undefined);
        assert.deepEqual(route, { target: { protocol, host, port: inbound.remote.port } });
      } else {
        assert.ok(inbound.connectionId);
        assert.equal(route.connectionId, inbound.connectionId);
      }
      const back = nextMessage(client);
      await server.respond(inbound, createResponse(r, 200));
      const res = (await back).message as SipResponse;
      assert.equal(res.status, 200);
      assert.equal(res.callId, req.callId);
      if (protocol !== 'udp') {
        assert.equal(server.stats.connectionsOpened, 1, 'the response reused the connection');
        assert.equal(client.stats.connectionsOpened, 1);
        // a second request reuses the client's connection too
        const again = nextMessage(server);
        await client.send(
          options({
            transport: protocol,
            viaHost: host,
            viaPort: c.port,
            target: hostport(host, s.port),
            scheme: secure(protocol) ? 'sips' : 'sip',
          }),
          { protocol, host, port: s.port },
        );
        assert.equal((await again).connectionId, inbound.connectionId);
        assert.equal(client.stats.connectionsOpened, 1);
      }
      assert.equal(server.stats.received, protocol === 'udp' ? 1 : 2);
      assert.equal(client.stats.received, 1);
    });
  }
}

test('TLS and WSS: a certificate from an untrusted CA is rejected by default', async () => {
  const other = await createDevCertificates(['127.0.0.1'], { caName: 'Someone Else CA' });
  for (const protocol of ['tls', 'wss'] as const) {
    const server = manager();
    const s = await server.listen({ protocol, host: '127.0.0.1', port: 0, tls: creds });
    const seen: Inbound[] = [];
    server.on('message', (m: Inbound) => seen.push(m));
    for (const client of [manager(), manager({ tlsCa: other.ca })]) {
      await assert.rejects(
        client.send(
          options({ transport: protocol, viaHost: '127.0.0.1', target: hostport('127.0.0.1', s.port), scheme: 'sips' }),
          { protocol, host: '127.0.0.1', port: s.port },
        ),
        (e: Error) => e instanceof TransportError && /certificate|self.signed|issuer/i.test(e.message),
      );
    }
    assert.equal(seen.length, 0);
  }
});

test('TLS: the certificate must match the server name (RFC 5922); a listener tls.ca is trusted for outgoing TLS', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: creds });
  const client = manager();
  await client.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { ...creds, ca: certs.ca } });
  const req = () => options({ transport: 'tls', viaHost: '127.0.0.1', target: 'biloxi.example.com', scheme: 'sips' });
  const got = nextMessage(server);
  await client.send(req(), { protocol: 'tls', host: '127.0.0.1', port: s.port, servername: 'biloxi.example.com' });
  assert.equal(((await got).message as SipRequest).method, 'OPTIONS');
  await assert.rejects(
    client.send(req(), { protocol: 'tls', host: '127.0.0.1', port: s.port, servername: 'atlanta.example.com' }),
    (e: Error) => e instanceof TransportError && /altnames|match/i.test(e.message),
  );
});

test('sips: requests are refused over anything but TLS / WSS', async () => {
  const client = manager();
  await client.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  for (const protocol of ['udp', 'tcp', 'ws'] as const) {
    await assert.rejects(
      client.send(options({ transport: protocol, viaHost: '127.0.0.1', target: '127.0.0.1:9', scheme: 'sips' }), {
        protocol,
        host: '127.0.0.1',
        port: 9,
      }),
      (e: Error) => e instanceof TransportError && /sips/.test(e.message),
    );
  }
  assert.equal(client.stats.sent, 0);
  assert.equal(client.stats.connectionsOpened, 0);
});

test('concurrent sends to one target share one connection; a closed port is a TransportError', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const got: Inbound[] = [];
  server.on('message', (m: Inbound) => got.push(m));
  const client = manager();
  await Promise.all(
    [1, 2, 3, 4].map(() =>
      client.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
        protocol: 'tcp',
        host: '127.0.0.1',
        port: s.port,
      }),
    ),
  );
  await within(1000, 'four messages', (r) =>
    got.length === 4 ? r(0) : server.on('message', () => got.length === 4 && r(0)),
  );
  assert.equal(client.stats.connectionsOpened, 1);
  assert.equal(new Set(got.map((m) => m.connectionId)).size, 1);
  const gone = within(1000, 'client side close', (r) => client.once('connection-closed', r));
  await server.close();
  await gone;
  assert.equal(client.connections().length, 0);
  await assert.rejects(
    client.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
      protocol: 'tcp',
      host: '127.0.0.1',
      port: s.port,
    }),
    (e: Error) => e instanceof TransportError,
  );
  await assert.rejects(
    server.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
      protocol: 'tcp',
      host: '127.0.0.1',
      port: 5060,
    }),
    /closed/,
  );
});

test('WebSocket (RFC 7118): subprotocol "sip" required, text and binary frames, no Content-Length needed', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
  // no "sip" subprotocol: the upgrade is refused
  const plain = new WebSocket(`ws://127.0.0.1:${s.port}/`);
  const refused = await within<string>(1000, 'ws refusal', (r) => {
    plain.once('error', (e) => r(e.message));
    plain.once('open', () => r('opened'));
  });
  assert.match(refused, /400/);
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`, 'sip');
  await within(1000, 'ws open', (r) => ws.once('open', () => r(0)));
  assert.equal(ws.protocol, 'sip');
  const replies: Buffer[] = [];
  ws.on('message', (d: Buffer, binary: boolean) => replies.push(Buffer.concat([Buffer.from(binary ? 'B' : 'T'), d])));
  const text = options({ transport: 'ws', viaHost: 'df7jal23ls0d.invalid', target: '127.0.0.1' })
    .toString()
    .replace(/Content-Length: 0\r\n/i, '');
  assert.doesNotMatch(text, /Content-Length/i);
  let got = nextMessage(server);
  ws.send(text);
  const a = await got;
  assert.equal(a.protocol, 'ws');
  assert.equal((a.message as SipRequest).topVia!.received, '127.0.0.1');
  got = nextMessage(server);
  ws.send(Buffer.from(options({ transport: 'ws', viaHost: 'df7jal23ls0d.invalid', target: '127.0.0.1' }).toString()), {
    binary: true,
  });
  const b = await got;
  assert.equal(b.connectionId, a.connectionId);
  // responses go back on the WebSocket as text frames (UTF-8)
  await server.respond(a, createResponse(a.message as SipRequest, 200));
  await within(1000, 'ws reply', (r) => (replies.length ? r(0) : ws.once('message', () => r(0))));
  assert.equal(replies[0]!.subarray(0, 1).toString(), 'T');
  assert.equal((parseMessage(replies[0]!.subarray(1)) as SipResponse).status, 200);
  ws.close();
  await within(1000, 'server side close', (r) => server.once('connection-closed', r));
  assert.equal(server.connections().length, 0);
});

test('listen on a port in use is an error; listen after close is refused', async () => {
  const a = manager();
  const s = await a.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const b = manager();
  await assert.rejects(b.listen({ protocol: 'tcp', host: '127.0.0.1', port: s.port }), /EADDRINUSE/);
  await assert.rejects(b.listen({ protocol: 'tls', host: '127.0.0.1', port: 0 }), TransportError);
  await b.close();
  await assert.rejects(b.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 }), /closed/);
});
