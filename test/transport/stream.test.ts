/** Stream transports: framing, keep-alives, fatal framing errors, idle timeout, response routing on the connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { createDevCertificates, type ConnectionInfo, type Inbound } from '../../src/transport/index.js';
import { manager, nextMessage, options, sleep, tcpPeer, within } from './helpers.js';

const msg = (branch: string, body = '') =>
  Buffer.from(
    `MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=${branch}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: ${branch}\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

async function collecting(protocol: 'tcp' = 'tcp') {
  const server = manager();
  const s = await server.listen({ protocol, host: '127.0.0.1', port: 0 });
  const got: Inbound[] = [];
  const waiters = new Set<() => void>();
  server.on('message', (m: Inbound) => {
    got.push(m);
    for (const w of [...waiters]) w();
  });
  const count = (n: number) =>
    within(1000, `${n} messages`, (r) => {
      const check = () => {
        if (got.length < n) return;
        waiters.delete(check);
        r(0);
      };
      waiters.add(check);
      check();
    });
  return { server, port: s.port, got, count };
}

test('TCP framing: a message split byte by byte, several messages (and keep-alives) in one chunk', async () => {
  const { port, got, count } = await collecting();
  const c = await tcpPeer(port);
  const one = msg('z9hG4bKsplit', 'héllo\r\n\r\nworld');
  for (let i = 0; i < one.length; i++) {
    c.sock.write(one.subarray(i, i + 1));
    if (i % 64 === 0) await sleep(1);
  }
  await count(1);
  assert.equal((got[0]!.message as SipRequest).body.toString(), 'héllo\r\n\r\nworld');
  c.sock.write(
    Buffer.concat([msg('z9hG4bKa', 'A'), Buffer.from('\r\n'), msg('z9hG4bKb'), msg('z9hG4bKc', 'CC').subarray(0, 30)]),
  );
  await count(3);
  c.sock.write(msg('z9hG4bKc', 'CC').subarray(30));
  await count(4);
  assert.deepEqual(
    got.map((m) => (m.message as SipRequest).callId),
    ['z9hG4bKsplit', 'z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc'],
  );
  assert.equal(new Set(got.map((m) => m.connectionId)).size, 1);
  assert.equal(got[3]!.protocol, 'tcp');
});

test('CRLFCRLF ping is answered with a CRLF pong (RFC 5626 §4.4.1); keepAlive() waits for the pong', async () => {
  const { server, port } = await collecting();
  const c = await tcpPeer(port);
  c.sock.write('\r\n\r\n');
  assert.equal(await c.waitFor((d) => d.length >= 2), '\r\n');
  assert.equal(server.stats.keepAlives, 1);
  // our side pinging: over a manager-to-manager connection, for TCP and for WS
  for (const protocol of ['tcp', 'ws'] as const) {
    const srv = manager();
    const s = await srv.listen({ protocol, host: '127.0.0.1', port: 0 });
    const cli = manager();
    await cli.send(options({ transport: protocol, viaHost: '127.0.0.1', target: '127.0.0.1' }), {
      protocol,
      host: '127.0.0.1',
      port: s.port,
    });
    const id = cli.connections()[0]!.id;
    await cli.keepAlive(id, 1000);
    assert.equal(cli.stats.keepAlives, 1, protocol);
  }
  await assert.rejects(server.keepAlive('tcp-999'), /no open connection/);
});

test('a fatal framing error closes only that connection; a parse error inside a well-framed message is answered', async () => {
  const { server, port, got, count } = await collecting();
  const good = await tcpPeer(port);
  good.sock.write(msg('z9hG4bK1'));
  await count(1);
  const bad = await tcpPeer(port);
  bad.sock.write('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK9\r\nContent-Length: -5\r\n\r\n');
  await within(1000, 'bad connection closed', (r) => void bad.closed.then(() => r(0)));
  assert.equal(server.stats.parseErrors, 1);
  // framed fine but with a broken Via: 400 on the same connection, which stays open
  good.sock.write(msg('z9hG4bK2').toString().replace(';branch=z9hG4bK2', ';branch=z9hG4bK2;;'));
  const text = await good.waitFor((d) => d.includes('\r\n\r\n'));
  assert.equal((parseMessage(Buffer.from(text), { lazy: true }) as SipResponse).status, 400);
  good.sock.write(msg('z9hG4bK3'));
  await count(2);
  assert.equal((got[1]!.message as SipRequest).callId, 'z9hG4bK3');
  assert.equal(server.connections().length, 1);
  assert.equal(server.stats.parseErrors, 2);
});

test('responses go back over the connection the request came on; once it is closed, to received + sent-by port', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const client = manager();
  const c = await client.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const req = options({ transport: 'tcp', viaHost: '127.0.0.1', viaPort: c.port, target: '127.0.0.1' });
  const got = nextMessage(server);
  await client.send(req, { protocol: 'tcp', host: '127.0.0.1', port: s.port });
  const inbound = await got;
  const clientConn = client.connections()[0]!;
  assert.equal(inbound.remote.port, clientConn.local.port, 'the source is the client ephemeral port');
  let back = nextMessage(client);
  await server.respond(inbound, createResponse(inbound.message as SipRequest, 100));
  let r = await back;
  assert.equal(r.connectionId, clientConn.id);
  assert.equal(server.stats.connectionsOpened, 1);
  // the connection goes away: §18.2.2 opens a new one to received (127.0.0.1) at the Via port
  const closed = within(1000, 'closed', (done) => server.once('connection-closed', (i: ConnectionInfo) => done(i)));
  assert.equal(client.closeConnection(clientConn.id), true);
  await closed;
  assert.equal(server.isOpen(inbound.connectionId!), false);
  assert.deepEqual(server.responseTarget(inbound), { target: { protocol: 'tcp', host: '127.0.0.1', port: c.port } });
  back = nextMessage(client);
  await server.respond(inbound, createResponse(inbound.message as SipRequest, 200));
  r = await back;
  assert.equal((r.message as SipResponse).status, 200);
  assert.equal(r.local.port, c.port, 'arrived on the client listener');
  assert.equal(server.stats.connectionsOpened, 2);
});

test('idle connections close after the idle timeout on the Clock (default 5 min); traffic postpones it', async () => {
  const clock = new FakeClock();
  const server = manager({ clock });
  const s = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const client = manager({ clock, idleTimeout: 0 }); // the client never times out on its own
  await client.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
    protocol: 'tcp',
    host: '127.0.0.1',
    port: s.port,
  });
  await within(1000, 'accepted', (r) => (server.connections().length ? r(0) : server.once('connection', r)));
  await within(1000, 'first message', (r) => (server.stats.received ? r(0) : server.once('message', r)));
  clock.advance(299_000);
  assert.equal(server.connections().length, 1);
  // traffic at t=299 s: the connection lives until t=599 s
  const got = nextMessage(server);
  await client.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
    protocol: 'tcp',
    host: '127.0.0.1',
    port: s.port,
  });
  await got;
  clock.advance(2_000);
  assert.equal(server.connections().length, 1, 'not closed at 301 s');
  const clientClosed = within(1000, 'client sees the close', (r) => client.once('connection-closed', r));
  const serverClosed = within(1000, 'server closes', (r) => server.once('connection-closed', r));
  clock.advance(297_999);
  assert.equal(server.stats.connectionsClosed, 0, 'still open just before 599 s');
  clock.advance(1);
  await serverClosed;
  await clientClosed;
  assert.equal(server.connections().length, 0, 'closed at 599 s');
  assert.equal(server.stats.connectionsClosed, 1);
});

test('TLS stream: split records and CRLF ping work the same; close() ends every connection', async () => {
  const certs = await createDevCertificates(['127.0.0.1']);
  const server = manager();
  const s = await server.listen({
    protocol: 'tls',
    host: '127.0.0.1',
    port: 0,
    tls: { key: certs.key, cert: certs.cert },
  });
  const client = manager({ tlsCa: certs.ca });
  const big = options({ transport: 'tls', viaHost: '127.0.0.1', target: '127.0.0.1', scheme: 'sips' });
  big.setBody('x'.repeat(40_000), 'text/plain'); // several TLS records, several reads
  const got = nextMessage(server);
  await client.send(big, { protocol: 'tls', host: '127.0.0.1', port: s.port });
  assert.equal(((await got).message as SipRequest).body.length, 40_000);
  await client.keepAlive(client.connections()[0]!.id, 1000);
  const closed = within(1000, 'server side closed', (r) => server.once('connection-closed', r));
  await client.close();
  await closed;
  assert.equal(server.connections().length, 0);
  await assert.rejects(client.send(big, { protocol: 'tls', host: '127.0.0.1', port: s.port }), /closed/);
});
