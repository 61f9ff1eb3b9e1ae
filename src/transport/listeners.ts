/** The listeners of the transport manager: UDP sockets, TCP/TLS servers, HTTP(S) servers upgraded to WebSocket. */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MessageLimits } from '../message/index.js';
import { literalLookup, normalizeAddress } from './address.js';
import type { ConnectionGuard } from './guard.js';
import type { ListenOptions } from './options.js';
import type { TransportProtocol } from './types.js';

/** A bound listener as the manager keeps it. */
export interface Listener {
  protocol: TransportProtocol;
  host: string;
  port: number;
  advertise?: { host: string; port?: number } | undefined;
  close(): Promise<void>;
}

/** What the listeners need from the manager: admission, adoption of accepted connections, limits. */
export interface ListenerHost {
  readonly limits: MessageLimits;
  readonly guard: ConnectionGuard;
  readonly handshakeTimeout: number;
  onDatagram(sock: dgram.Socket, buf: Buffer, rinfo: dgram.RemoteInfo): void;
  adoptStream(socket: net.Socket, protocol: 'tcp' | 'tls', direction: 'in'): void;
  adoptWs(
    ws: WebSocket,
    protocol: 'ws' | 'wss',
    direction: 'in',
    local: { host: string; port: number },
    remote: { host: string; port: number },
  ): void;
  emitError(e: unknown): void;
}

/** Bytes asked for as a UDP socket's receive buffer (SO_RCVBUF) by default; the kernel caps it at rmem_max. */
const UDP_RECV_BUFFER = 4 * 1024 * 1024;

export async function listenUdp(
  h: ListenerHost,
  host: string,
  port: number,
  advertise: ListenOptions['advertise'],
  recvBuffer = UDP_RECV_BUFFER,
): Promise<{ listener: Listener; sock: dgram.Socket; family: 4 | 6 }> {
  const family: 4 | 6 = net.isIPv6(host) ? 6 : 4;
  // literalLookup: no tick per send to resolve an IP literal (see address.ts)
  const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
  sock.on('message', (buf, rinfo) => h.onDatagram(sock, buf, rinfo));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', (e) => h.emitError(e));
  // A larger receive buffer rides out a pause of the event loop (a scavenge, a busy neighbour on
  // the CPU) without dropping datagrams: at 600 calls/s the default 208 KB held ~40 ms of
  // traffic, and every drop costs a retransmission 500 ms later (T1). The kernel caps the request
  // at net.core.rmem_max (as Kamailio's buffer probing does).
  try {
    sock.setRecvBufferSize(recvBuffer);
  } catch {
    // not fatal: the default buffer still works
  }
  const a = sock.address();
  const bound = { host: normalizeAddress(a.address), port: a.port };
  const listener: Listener = {
    protocol: 'udp',
    ...bound,
    advertise,
    close: () => new Promise((r) => sock.close(() => r())),
  };
  return { listener, sock, family };
}

export async function listenStream(
  h: ListenerHost,
  protocol: 'tcp' | 'tls',
  host: string,
  port: number,
  l: ListenOptions,
): Promise<Listener> {
  const server =
    protocol === 'tls'
      ? tls.createServer(
          // node's own handshake deadline backs up the guard's (which runs on the Clock)
          { key: l.tls!.key, cert: l.tls!.cert, handshakeTimeout: h.handshakeTimeout || 120_000 },
          (s) => {
            h.guard.ready({ host: s.remoteAddress ?? '', port: s.remotePort ?? 0 });
            h.adoptStream(s, 'tls', 'in');
          },
        )
      : net.createServer();
  // admission before any TLS work: caps per source and in total; TLS must finish its handshake in time
  server.prependListener('connection', (s: net.Socket) => {
    if (h.guard.admit(s, protocol === 'tls') && protocol === 'tcp') h.adoptStream(s, 'tcp', 'in');
  });
  const bound = await bindServer(server, host, port);
  server.on('error', (e) => h.emitError(e));
  // a failed TLS handshake concerns that client only
  server.on('tlsClientError', () => undefined);
  return {
    protocol,
    ...bound,
    advertise: l.advertise,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function bindServer(server: net.Server, host: string, port: number): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return { host: normalizeAddress(a.address), port: a.port };
}

export async function listenWs(
  h: ListenerHost,
  protocol: 'ws' | 'wss',
  host: string,
  port: number,
  l: ListenOptions,
): Promise<Listener> {
  const http: HttpServer =
    protocol === 'wss' ? createHttpsServer({ key: l.tls!.key, cert: l.tls!.cert }) : createHttpServer();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: h.limits.maxHeaderBytes + h.limits.maxBodyBytes,
    // RFC 7118 §4.1: the "sip" subprotocol is negotiated
    handleProtocols: (offered) => [...offered].find((p) => p.toLowerCase() === 'sip') ?? false,
  });
  http.on('request', (_req, res) => {
    res.writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain' });
    res.end('SIP over WebSocket (RFC 7118): upgrade with subprotocol "sip"\n');
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase());
    if (!offered.includes('sip')) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const local = { host: normalizeAddress(req.socket.localAddress ?? ''), port: req.socket.localPort ?? 0 };
      const remote = { host: normalizeAddress(req.socket.remoteAddress ?? ''), port: req.socket.remotePort ?? 0 };
      h.guard.ready(remote);
      h.adoptWs(ws, protocol, 'in', local, remote);
    });
  });
  if (protocol === 'wss') http.on('tlsClientError', () => undefined);
  // admission before any TLS or HTTP work; the upgrade must finish within handshakeTimeout
  http.prependListener('connection', (s: net.Socket) => void h.guard.admit(s, true));
  const bound = await bindServer(http, host, port);
  http.on('error', (e) => h.emitError(e));
  return {
    protocol,
    ...bound,
    advertise: l.advertise,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}
