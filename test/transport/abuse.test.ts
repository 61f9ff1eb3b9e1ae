/**
 * Streams under abuse (issue 16 item 4): slowloris, thousands of idle connections, a reset in the
 * middle of a message, a TLS handshake or WebSocket upgrade that never finishes. Limits apply
 * (per source, in total, handshake and message deadlines) and the element keeps serving others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createResponse, type SipRequest } from '../../src/message/index.js';
import { createDevCertificates, type Inbound, type TransportManager } from '../../src/transport/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { manager, options, track, within } from './helpers.js';

const certs = await createDevCertificates(['127.0.0.1']);

/** A FakeClock that reports each timer set, so a test can wait until the element armed one. */
class WatchedClock extends FakeClock {
  private readonly watchers: { ms: number; resolve: () => void }[] = [];
  override setTimeout(fn: () => void, ms: number) {
    const h = super.setTimeout(fn, ms);
    for (const w of this.watchers.filter((x) => x.ms === ms)) {
      this.watchers.splice(this.watchers.indexOf(w), 1);
      w.resolve();
    }
    return h;
  }
  /** Resolves when a timer of `ms` is set. */
  armed(ms: number): Promise<void> {
    return within(3000, `a ${ms} ms timer`, (r) => this.watchers.push({ ms, resolve: () => r(undefined) }));
  }
}

/** Answer every OPTIONS with 200 (the element "serving"). */
function answering(t: TransportManager): void {
  t.on('message', (m: Inbound) => {
    if (m.message.isRequest) void t.respond(m, createResponse(m.message as SipRequest, 200)).catch(() => undefined);
  });
}

/** Connect a raw TCP client from a chosen loopback source address. */
function connectFrom(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    track({ close: () => s.destroy() });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

const closed = (s: net.Socket, ms = 3000) =>
  within(ms, 'the server closing the connection', (r) => {
    if (s.destroyed) return r(undefined);
    s.once('close', () => r(undefined));
    s.on('error', () => undefined);
  });

/** An OPTIONS over a raw socket from `localAddress`; resolves with the response's status line. */
async function optionsFrom(port: number, localAddress: string): Promise<string> {
  const s = await connectFrom(port, localAddress);
  const req = options({ transport: 'tcp', viaHost: localAddress, viaPort: s.localPort!, target: `127.0.0.1:${port}` });
  let got = '';
  const line = within<string>(3000, `a response at ${localAddress}`, (r) =>
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) r(got.slice(0, got.indexOf('\r\n')));
    }),
  );
  s.write(req.toBuffer());
  const status = await line;
  s.destroy();
  return status;
}

test('slowloris: a peer trickling one byte at a time is closed at the message deadline, not kept by its traffic', async () => {
  // scaled: a byte every 100 ms (1 per second in the field), a 600 ms message deadline (30 s by default),
  // and an idle timeout that the trickle alone would keep postponing forever
  const server = manager({ messageTimeout: 600, idleTimeout: 5000 });
  const { port } = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  answering(server);
  const peer = await connectFrom(port, '127.0.0.1');
  const bytes = Buffer.from(
    options({ transport: 'tcp', viaHost: '127.0.0.1', viaPort: peer.localPort!, target: '127.0.0.1' }).toBuffer(),
  );
  let sent = 0;
  const gone = within(5000, 'connection-closed', (r) => server.once('connection-closed', r));
  const drip = setInterval(() => {
    if (!peer.destroyed && sent < bytes.length) peer.write(bytes.subarray(sent, ++sent));
  }, 100);
  try {
    await gone;
  } finally {
    clearInterval(drip);
  }
  assert.equal(server.stats.messageTimeouts, 1);
  assert.equal(server.stats.received, 0);
  assert.ok(sent >= 3, `${sent} bytes trickled before the close`);
  assert.equal(server.connections().length, 0);
  // a client that sends its message whole is served as before
  assert.equal(await optionsFrom(port, '127.0.0.2'), 'SIP/2.0 200 OK');
});

test('the message deadline runs on the Clock and restarts with each whole message (default 30 s)', async () => {
  const clock = new WatchedClock();
  const server = manager({ clock, idleTimeout: 0 });
  const { port } = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const peer = await connectFrom(port, '127.0.0.1');
  const req = options({ transport: 'tcp', viaHost: '127.0.0.1', viaPort: peer.localPort!, target: '127.0.0.1' });
  const whole = req.toBuffer();
  // one whole message and the first byte of the next: the deadline is armed for the second
  const armed = clock.armed(30_000);
  const delivered = within(3000, 'message', (r) => server.once('message', r));
  peer.write(Buffer.concat([whole, whole.subarray(0, 1)]));
  await delivered;
  await armed;
  clock.advance(29_999);
  assert.equal(server.connections().length, 1, 'still open just before the deadline');
  clock.advance(1);
  await closed(peer);
  assert.equal(server.stats.messageTimeouts, 1);
});

test('thousands of idle connections: capped per source and in total; other clients are still served', async () => {
  const server = manager({ maxConnectionsPerSource: 50, maxConnections: 120 });
  const { port } = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  answering(server);
  const refused: string[] = [];
  server.on('connection-refused', (e: { reason: string }) => refused.push(e.reason));
  // 2,000 connections from one source that never send anything, in batches the accept queue holds
  const socks: net.Socket[] = [];
  for (let batch = 0; batch < 10; batch++) {
    socks.push(...(await Promise.all(Array.from({ length: 200 }, () => connectFrom(port, '127.0.0.1')))));
    await within(10_000, 'the batch refused', (r) => {
      const check = () =>
        refused.length >= socks.length - 50 ? r(undefined) : server.once('connection-refused', check);
      check();
    });
  }
  assert.equal(server.inboundConnections('127.0.0.1'), 50);
  assert.equal(server.connections().length, 50);
  assert.deepEqual(
    refused.filter((x) => x !== 'per-source'),
    [],
  );
  assert.equal(server.stats.connectionsRefused, 1950);
  // another client is served
  assert.equal(await optionsFrom(port, '127.0.0.2'), 'SIP/2.0 200 OK');
  // the total cap: two more sources with 50 idle connections each fill it (50 + 50 + 20)
  const more = await Promise.all(
    Array.from({ length: 100 }, (_, i) => connectFrom(port, i < 50 ? '127.0.0.3' : '127.0.0.4')),
  );
  await within(5000, 'the total cap', (r) => {
    const check = () => (refused.includes('total') ? r(undefined) : server.once('connection-refused', check));
    check();
  });
  assert.ok(server.inboundConnections() <= 120, `${server.inboundConnections()} inbound connections`);
  // the flood goes away: its slots are free again
  for (const s of [...socks, ...more]) s.destroy();
  await within(5000, 'the slots freed', (r) => {
    const check = () => (server.inboundConnections() === 0 ? r(undefined) : server.once('connection-closed', check));
    check();
  });
  assert.equal(await optionsFrom(port, '127.0.0.1'), 'SIP/2.0 200 OK');
});

test('the per-source cap also holds on WebSocket and TLS listeners, before any handshake', async () => {
  const creds = { key: certs.key, cert: certs.cert };
  for (const protocol of ['ws', 'tls', 'wss'] as const) {
    const server = manager({ maxConnectionsPerSource: 5 });
    const { port } = await server.listen({ protocol, host: '127.0.0.1', port: 0, tls: creds });
    const socks = await Promise.all(Array.from({ length: 12 }, () => connectFrom(port, '127.0.0.5')));
    const shut = await Promise.all(
      socks.map((s) =>
        closed(s, 500).then(
          () => true,
          () => false,
        ),
      ),
    );
    assert.equal(shut.filter(Boolean).length, 7, `${protocol}: 7 of 12 refused`);
    assert.equal(server.stats.connectionsRefused, 7);
    assert.equal(server.inboundConnections('127.0.0.5'), 5);
    for (const s of socks) s.destroy();
  }
});

test('a connection reset in the middle of a message leaves no state behind', async () => {
  const creds = { key: certs.key, cert: certs.cert };
  // the message deadline (30 s) is armed when the first bytes of a message are in: the sign to reset
  const clock = new WatchedClock();
  const server = manager({ clock });
  const tcp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const tls = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: creds });
  const messages: Inbound[] = [];
  server.on('message', (m: Inbound) => messages.push(m));
  const half = (port: number) =>
    Buffer.from(
      options({ transport: 'tcp', viaHost: '127.0.0.1', viaPort: 9, target: `127.0.0.1:${port}` })
        .toBuffer()
        .toString('latin1')
        .replace('Content-Length: 0', 'Content-Length: 200') + 'v=0\r\no=partial',
    );
  // TCP: headers and part of the body, then an RST
  const a = await connectFrom(tcp.port, '127.0.0.1');
  const gone = within(3000, 'connection-closed', (r) => server.once('connection-closed', r));
  const inA = clock.armed(30_000);
  a.write(half(tcp.port));
  await inA;
  a.resetAndDestroy();
  await gone;
  // TLS: the same after the handshake
  const { connect } = await import('node:tls');
  const b = connect({ port: tls.port, host: '127.0.0.1', ca: certs.ca });
  track({ close: () => b.destroy() });
  await within(3000, 'TLS handshake', (r) => b.once('secureConnect', () => r(undefined)));
  const gone2 = within(3000, 'connection-closed', (r) => server.once('connection-closed', r));
  const inB = clock.armed(30_000);
  b.write(half(tls.port));
  await inB;
  b.destroy();
  await gone2;
  assert.equal(messages.length, 0);
  assert.equal(server.connections().length, 0);
  assert.equal(server.inboundConnections(), 0);
  assert.equal(server.stats.connectionsOpened, server.stats.connectionsClosed);
  assert.equal(clock.pending, 0, 'no timer left behind (idle, message deadline)');
});

test('a TLS handshake or WebSocket upgrade that never finishes is closed at handshakeTimeout (on the Clock)', async () => {
  const clock = new WatchedClock();
  const server = manager({ clock, handshakeTimeout: 4000 });
  const creds = { key: certs.key, cert: certs.cert };
  for (const [protocol, opening] of [
    // the first bytes of a TLS ClientHello record, then nothing
    ['tls', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])],
    // the start of an HTTP upgrade request, then nothing
    ['ws', Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')],
    ['wss', Buffer.alloc(0)],
  ] as const) {
    const { port } = await server.listen({ protocol, host: '127.0.0.1', port: 0, tls: creds });
    const armed = clock.armed(4000);
    const s = await connectFrom(port, '127.0.0.1');
    s.write(opening);
    await armed;
    clock.advance(3999);
    assert.equal(s.destroyed, false, `${protocol}: still open before the deadline`);
    clock.advance(1);
    await closed(s);
  }
  assert.equal(server.stats.handshakeTimeouts, 3);
  assert.equal(server.inboundConnections(), 0);
});
