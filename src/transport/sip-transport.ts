import { EventEmitter } from 'node:events';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocketServer, WebSocket } from 'ws';
import {
  DEFAULT_LIMITS,
  SipParseError,
  SipRequest,
  StreamFramer,
  parseMessage,
  responseForParseError,
  type MessageLimits,
  type SipMessage,
} from '../message/index.js';
import { TransportError, type Inbound, type Target, type TransportLayer, type TransportProtocol } from './types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';

export interface ListenOptions {
  protocol: TransportProtocol;
  host: string;
  port: number;
  /** TLS / WSS server credentials. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface TransportOptions {
  clock?: Clock;
  limits?: Partial<MessageLimits>;
  /** CA certificate(s) to trust for outgoing TLS (a development CA). Verification stays on. */
  tlsCa?: string | Buffer | (string | Buffer)[];
  /** Client certificate for mutual TLS (optional). */
  tlsClient?: { key: string | Buffer; cert: string | Buffer };
  /** Idle stream connections are closed after this many ms (default 5 min). */
  idleTimeout?: number;
  /** Observe every message sent/received (traces). Bytes are the exact wire bytes. */
  tap?: (entry: WireEvent) => void;
  /** Switch requests larger than this from UDP to TCP (RFC 3261 §18.1.1); 0 disables. Default 1300. */
  udpMaxBytes?: number;
}

export interface WireEvent {
  direction: 'in' | 'out';
  protocol: TransportProtocol;
  local: { host: string; port: number };
  remote: { host: string; port: number };
  bytes: Buffer;
}

export interface TransportStats {
  received: number;
  sent: number;
  parseErrors: number;
  dropped: number;
  connectionsOpened: number;
  connectionsClosed: number;
}

interface StreamConn {
  id: string;
  protocol: TransportProtocol;
  local: { host: string; port: number };
  remote: { host: string; port: number };
  write(b: Buffer): void;
  close(): void;
  idle?: TimerHandle | undefined;
  ready: Promise<void>;
}

interface Listener {
  protocol: TransportProtocol;
  host: string;
  port: number;
  close(): Promise<void>;
}

const unbracket = (h: string) => h.replace(/^\[|\]$/g, '');

/**
 * SIP transports (RFC 3261 §18, RFC 7118): UDP, TCP, TLS, WS/WSS listeners and client
 * connections, framing, received/rport stamping (RFC 3581), bad-input answers, connection reuse.
 */
export class SipTransport extends EventEmitter implements TransportLayer {
  readonly stats: TransportStats = { received: 0, sent: 0, parseErrors: 0, dropped: 0, connectionsOpened: 0, connectionsClosed: 0 };
  private readonly clock: Clock;
  private readonly limits: MessageLimits;
  private readonly bound: Listener[] = [];
  private readonly udpSockets = new Map<string, dgram.Socket>(); // 'udp4' | 'udp6'
  private udpAddr = new Map<string, { host: string; port: number }>();
  private readonly conns = new Map<string, StreamConn>(); // by id
  private readonly byRemote = new Map<string, StreamConn>(); // `${protocol}|${host}|${port}`
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: TransportOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
  }

  /** Start listening; returns the bound address (port 0 picks a free port). */
  async listen(l: ListenOptions): Promise<{ host: string; port: number }> {
    const host = unbracket(l.host);
    switch (l.protocol) {
      case 'udp':
        return this.listenUdp(host, l.port);
      case 'tcp':
      case 'tls': {
        const server =
          l.protocol === 'tls'
            ? tls.createServer({ key: l.tls?.key, cert: l.tls?.cert }, (s) => this.adoptStream(s, 'tls'))
            : net.createServer((s) => this.adoptStream(s, 'tcp'));
        server.on('error', (e) => this.emit('error', e));
        const port = await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.port, host, () => resolve((server.address() as net.AddressInfo).port));
        });
        this.bound.push({ protocol: l.protocol, host, port, close: () => new Promise((r) => server.close(() => r())) });
        return { host, port };
      }
      case 'ws':
      case 'wss': {
        const http: HttpServer = l.protocol === 'wss' ? createHttpsServer({ key: l.tls?.key, cert: l.tls?.cert }) : createHttpServer();
        const wss = new WebSocketServer({ server: http, handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false) });
        wss.on('connection', (ws, req) => {
          const remote = { host: unbracket(req.socket.remoteAddress ?? ''), port: req.socket.remotePort ?? 0 };
          this.adoptWs(ws, l.protocol as 'ws' | 'wss', { host, port: (http.address() as net.AddressInfo).port }, remote);
        });
        const port = await new Promise<number>((resolve, reject) => {
          http.once('error', reject);
          http.listen(l.port, host, () => resolve((http.address() as net.AddressInfo).port));
        });
        this.bound.push({
          protocol: l.protocol,
          host,
          port,
          close: () =>
            new Promise((r) => {
              for (const c of wss.clients) c.terminate();
              wss.close(() => http.close(() => r()));
            }),
        });
        return { host, port };
      }
    }
  }

  private async listenUdp(host: string, port: number): Promise<{ host: string; port: number }> {
    const type = net.isIPv6(host) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type, reuseAddr: false });
    sock.on('message', (buf, rinfo) => this.onDatagram(sock, buf, rinfo));
    sock.on('error', (e) => this.emit('error', e));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => resolve());
    });
    const bound = { host, port: sock.address().port };
    this.udpSockets.set(type, sock);
    this.udpAddr.set(type, bound);
    this.bound.push({ protocol: 'udp', host, port: bound.port, close: () => new Promise((r) => sock.close(() => r())) });
    return bound;
  }

  isReliable(p: TransportProtocol): boolean {
    return p !== 'udp';
  }

  /** sent-by for our Via: the first listener of that protocol (§18.1.1). */
  viaFor(protocol: TransportProtocol): { host: string; port: number } {
    const l = this.bound.find((x) => x.protocol === protocol) ?? this.bound[0];
    if (!l) return { host: '127.0.0.1', port: 5060 };
    const host = l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
    return { host, port: l.port };
  }

  /** The bound address of the first listener of a protocol. */
  address(protocol: TransportProtocol): { host: string; port: number } | undefined {
    const l = this.bound.find((x) => x.protocol === protocol);
    return l ? { host: l.host, port: l.port } : undefined;
  }

  // ---- receiving -------------------------------------------------------------------------

  private onDatagram(sock: dgram.Socket, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const local = { host: sock.address().address, port: sock.address().port };
    const remote = { host: rinfo.address, port: rinfo.port };
    // RFC 5626 §3.5.1 STUN/CRLF keep-alives on UDP: ignore
    if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10)) return;
    this.deliver(buf, 'udp', local, remote, undefined, (res) => sock.send(res, rinfo.port, rinfo.address));
  }

  /** Parse, stamp received/rport, emit; bad requests get their 400/505 back (never a crash). */
  private deliver(bytes: Buffer, protocol: TransportProtocol, local: Inbound['local'], remote: Inbound['remote'], connectionId: string | undefined, reply: (b: Buffer) => void): void {
    this.opts.tap?.({ direction: 'in', protocol, local, remote, bytes });
    let message;
    try {
      message = parseMessage(bytes, { mode: protocol === 'udp' ? 'datagram' : 'stream', limits: this.limits });
    } catch (e) {
      this.stats.parseErrors++;
      if (!(e instanceof SipParseError)) {
        this.stats.dropped++;
        return;
      }
      const res = responseForParseError(bytes, e);
      if (res) {
        const out = res.toBuffer();
        this.opts.tap?.({ direction: 'out', protocol, local, remote, bytes: out });
        try {
          reply(out);
        } catch {
          /* the peer is gone */
        }
      } else this.stats.dropped++;
      this.emit('parse-error', e, { protocol, remote });
      return;
    }
    this.stats.received++;
    if (message instanceof SipRequest) {
      // RFC 3261 §18.2.1 and RFC 3581 §4
      const via = message.topVia;
      if (via) {
        let changed = false;
        if (unbracket(via.host) !== remote.host) {
          via.params.set('received', remote.host);
          changed = true;
        }
        if (via.rport === true) {
          via.params.set('rport', String(remote.port));
          if (!via.received) via.params.set('received', remote.host);
          changed = true;
        }
        if (changed) message.set('Via', [via.toString(), ...message.via.slice(1).map(String)].join(', '));
      }
    }
    const inbound: Inbound = { message, protocol, remote, local };
    if (connectionId) inbound.connectionId = connectionId;
    this.emit('message', inbound);
  }

  private adoptStream(socket: net.Socket, protocol: 'tcp' | 'tls', ready?: Promise<void>): StreamConn {
    const id = `${protocol}-${++this.seq}`;
    const framer = new StreamFramer(this.limits);
    const conn: StreamConn = {
      id,
      protocol,
      local: { host: unbracket(socket.localAddress ?? ''), port: socket.localPort ?? 0 },
      remote: { host: unbracket(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 },
      write: (b) => socket.write(b),
      close: () => socket.destroy(),
      ready: ready ?? Promise.resolve(),
    };
    this.register(conn);
    socket.on('data', (chunk: Buffer) => {
      this.touch(conn);
      let events;
      try {
        events = framer.push(chunk);
      } catch (e) {
        // a framing error is unrecoverable on a stream: close this connection only
        this.stats.parseErrors++;
        this.emit('parse-error', e, { protocol, remote: conn.remote });
        socket.destroy();
        return;
      }
      for (const ev of events) {
        if (ev.type === 'ping') socket.write('\r\n'); // RFC 5626 §4.4.1 pong
        else if (ev.type === 'message') this.deliver(ev.bytes, protocol, conn.local, conn.remote, id, (b) => socket.write(b));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.unregister(conn));
    return conn;
  }

  private adoptWs(ws: WebSocket, protocol: 'ws' | 'wss', local: StreamConn['local'], remote: StreamConn['remote'], ready?: Promise<void>): StreamConn {
    const id = `${protocol}-${++this.seq}`;
    const conn: StreamConn = { id, protocol, local, remote, write: (b) => ws.send(b.toString('utf8')), close: () => ws.terminate(), ready: ready ?? Promise.resolve() };
    this.register(conn);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.touch(conn);
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      // RFC 7118 §5: one SIP message per WebSocket message; framing is the WebSocket's
      if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10)) return;
      this.deliver(buf, protocol, local, remote, id, (b) => ws.send(b.toString('utf8')));
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.unregister(conn));
    return conn;
  }

  private register(conn: StreamConn): void {
    this.conns.set(conn.id, conn);
    this.byRemote.set(`${conn.protocol}|${conn.remote.host}|${conn.remote.port}`, conn);
    this.stats.connectionsOpened++;
    this.touch(conn);
  }
  private unregister(conn: StreamConn): void {
    if (!this.conns.delete(conn.id)) return;
    const k = `${conn.protocol}|${conn.remote.host}|${conn.remote.port}`;
    if (this.byRemote.get(k) === conn) this.byRemote.delete(k);
    this.clock.clearTimeout(conn.idle);
    this.stats.connectionsClosed++;
  }
  private touch(conn: StreamConn): void {
    this.clock.clearTimeout(conn.idle);
    conn.idle = this.clock.setTimeout(() => conn.close(), this.opts.idleTimeout ?? 300_000);
  }

  // ---- sending ---------------------------------------------------------------------------

  async send(message: SipMessage, target: Target, opts: { connectionId?: string } = {}): Promise<void> {
    if (this.closed) throw new TransportError('transport closed', target);
    let t = target;
    // RFC 3261 §26.2.2 / §19.1: a sips: request goes only over TLS (or secure WebSocket)
    if (message instanceof SipRequest && message.uri.scheme === 'sips' && t.protocol !== 'tls' && t.protocol !== 'wss') {
      throw new TransportError(`refusing to send a sips: request over ${t.protocol}`, t);
    }
    let bytes = message.toBuffer();
    // RFC 3261 §18.1.1: large requests go over a congestion-controlled transport
    const max = this.opts.udpMaxBytes ?? 1300;
    if (t.protocol === 'udp' && message instanceof SipRequest && max > 0 && bytes.length > max && message.method !== 'ACK' && this.bound.some((l) => l.protocol === 'tcp')) {
      const via = message.topVia;
      if (via) {
        via.transport = 'TCP';
        const tcp = this.viaFor('tcp');
        via.host = tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host;
        via.port = tcp.port;
        message.set('Via', [via.toString(), ...message.via.slice(1).map(String)].join(', '));
        bytes = message.toBuffer();
      }
      t = { ...t, protocol: 'tcp' };
    }
    if (t.protocol === 'udp') return this.sendUdp(bytes, t);
    const conn = (opts.connectionId && this.conns.get(opts.connectionId)) || this.byRemote.get(`${t.protocol}|${unbracket(t.host)}|${t.port}`) || (await this.connect(t));
    await conn.ready;
    this.touch(conn);
    conn.write(bytes);
    this.stats.sent++;
    this.opts.tap?.({ direction: 'out', protocol: conn.protocol, local: conn.local, remote: conn.remote, bytes });
  }

  private sendUdp(bytes: Buffer, t: Target): Promise<void> {
    const host = unbracket(t.host);
    const type = net.isIPv6(host) ? 'udp6' : 'udp4';
    const sock = this.udpSockets.get(type);
    if (!sock) return Promise.reject(new TransportError(`no ${type} socket to send from`, t));
    return new Promise((resolve, reject) => {
      sock.send(bytes, t.port, host, (err) => {
        if (err) return reject(new TransportError(`UDP send to ${host}:${t.port} failed: ${err.message}`, t, err));
        this.stats.sent++;
        const a = sock.address();
        this.opts.tap?.({ direction: 'out', protocol: 'udp', local: { host: a.address, port: a.port }, remote: { host, port: t.port }, bytes });
        resolve();
      });
    });
  }

  private connect(t: Target): Promise<StreamConn> {
    const host = unbracket(t.host);
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(new TransportError(`${t.protocol} connection to ${host}:${t.port} failed: ${err.message}`, t, err));
      if (t.protocol === 'tcp') {
        const s = net.connect({ host, port: t.port });
        s.once('error', fail);
        s.once('connect', () => {
          s.off('error', fail);
          resolve(this.adoptStream(s, 'tcp'));
        });
      } else if (t.protocol === 'tls') {
        // certificate verification is on; servername for SNI/hostname checks when it is a name
        const s = tls.connect({
          host,
          port: t.port,
          ca: this.opts.tlsCa,
          key: this.opts.tlsClient?.key,
          cert: this.opts.tlsClient?.cert,
          servername: net.isIP(host) ? undefined : host,
          rejectUnauthorized: true,
        });
        s.once('error', fail);
        s.once('secureConnect', () => {
          s.off('error', fail);
          resolve(this.adoptStream(s, 'tls'));
        });
      } else {
        const scheme = t.protocol === 'wss' ? 'wss' : 'ws';
        const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${t.port}`;
        const ws = new WebSocket(url, 'sip', { ca: this.opts.tlsCa, rejectUnauthorized: true } as never);
        ws.once('error', fail);
        ws.once('open', () => {
          ws.off('error', fail);
          const sock = (ws as unknown as { _socket: net.Socket })._socket;
          resolve(this.adoptWs(ws, t.protocol as 'ws' | 'wss', { host: unbracket(sock?.localAddress ?? ''), port: sock?.localPort ?? 0 }, { host, port: t.port }));
        });
      }
    });
  }

  /** Close every listener and connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.conns.values()]) c.close();
    await Promise.all(this.bound.map((l) => l.close().catch(() => undefined)));
    this.bound.length = 0;
    this.udpSockets.clear();
  }
}
