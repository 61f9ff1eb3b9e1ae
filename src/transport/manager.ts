import { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { WebSocket, type RawData } from 'ws';
import {
  DEFAULT_LIMITS,
  SipParseError,
  StreamFramer,
  fatalFault,
  parseMessage,
  responseForParseError,
  type MessageLimits,
  type SipMessage,
  type SipRequest,
} from '../message/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { bracket, normalizeAddress, unbracket } from './address.js';
import { dial } from './dial.js';
import { listenStream, listenUdp, listenWs, type Listener, type ListenerHost } from './listeners.js';
import { ConnectionGuard, DEFAULT_STREAM_LIMITS, MessageDeadline } from './guard.js';
import type { ConnectionInfo, ListenOptions, Pem, TransportOptions, TransportStats } from './options.js';
import { hostAddress, isKeepAlive, replaceTopVia, requestScheme } from './util.js';
import { responseTarget, stampReceived, type ResponseRoute } from './routing.js';
import { TransportError, type Inbound, type Target, type TransportLayer, type TransportProtocol } from './types.js';

export type { ConnectionInfo, ListenOptions, TransportOptions, TransportStats, WireEvent } from './options.js';

interface Connection extends ConnectionInfo {
  keys: string[];
  write(b: Buffer): Promise<void>;
  /** RFC 5626 keep-alive: CRLFCRLF on TCP/TLS, a WebSocket ping on WS/WSS. */
  ping(): void;
  close(): void;
  lastActivity: number;
  idle?: TimerHandle | undefined;
  pongWaiters: Set<() => void>;
}

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

const isSecure = (p: TransportProtocol) => p === 'tls' || p === 'wss';
const connKey = (t: Target) => `${t.protocol}|${normalizeAddress(t.host)}|${t.port}|${t.servername ?? ''}`;
const toList = (x: Pem | Pem[] | undefined): Pem[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * The SIP transport layer (RFC 3261 §18, RFC 7118): UDP, TCP, TLS, WS and WSS listeners;
 * outgoing connections opened on demand and reused by (protocol, address, port) or by the
 * connection a request arrived on; Content-Length framing on streams; CRLF keep-alives
 * (RFC 5626 §4.4.1); received/rport on requests (RFC 3261 §18.2.1, RFC 3581 §4); bad input
 * answered or dropped and counted, never thrown; idle connections closed through the Clock.
 *
 * Events: 'message' (Inbound), 'parse-error' (error, {protocol, remote}), 'connection' and
 * 'connection-closed' (ConnectionInfo), 'pong' ({connectionId}), 'error' (only when listened to).
 */
export class TransportManager extends EventEmitter implements TransportLayer {
  readonly stats: TransportStats = {
    received: 0,
    sent: 0,
    parseErrors: 0,
    dropped: 0,
    errorResponses: 0,
    keepAlives: 0,
    udpToTcp: 0,
    handlerErrors: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsRefused: 0,
    handshakeTimeouts: 0,
    messageTimeouts: 0,
  };
  private readonly clock: Clock;
  private readonly limits: MessageLimits;
  private readonly listeners_: Listener[] = [];
  private readonly udp = new Map<4 | 6, { sock: dgram.Socket; host: string; port: number }>();
  /** Local address of each UDP socket, read once. */
  private readonly udpLocal = new WeakMap<dgram.Socket, { host: string; port: number }>();
  private readonly conns = new Map<string, Connection>();
  private readonly byKey = new Map<string, Connection>();
  private readonly pending = new Map<string, Promise<Connection>>();
  /** UDP targets where the §18.1.1 switch to TCP failed: large requests go over UDP there. */
  private readonly noTcp = new Set<string>();
  private readonly trusted: Pem[];
  /** Admission of inbound stream connections: caps and handshake deadline. */
  private readonly guard: ConnectionGuard;
  private readonly messageTimeout: number;
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: TransportOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.trusted = toList(opts.tlsCa);
    this.messageTimeout = opts.messageTimeout ?? DEFAULT_STREAM_LIMITS.messageTimeout;
    this.guard = new ConnectionGuard(
      this.clock,
      {
        maxConnections: opts.maxConnections ?? DEFAULT_STREAM_LIMITS.maxConnections,
        maxConnectionsPerSource: opts.maxConnectionsPerSource ?? DEFAULT_STREAM_LIMITS.maxConnectionsPerSource,
        handshakeTimeout: this.handshakeTimeout,
        messageTimeout: this.messageTimeout,
      },
      (reason, remote) => {
        if (reason === 'handshake-timeout') this.stats.handshakeTimeouts++;
        else this.stats.connectionsRefused++;
        this.emit('connection-refused', { reason, remote });
      },
    );
    this.host = {
      limits: this.limits,
      guard: this.guard,
      handshakeTimeout: this.handshakeTimeout,
      onDatagram: (sock, buf, rinfo) => this.onDatagram(sock, buf, rinfo),
      adoptStream: (sock, protocol, direction) => void this.adoptStream(sock, protocol, direction),
      adoptWs: (ws, protocol, direction, local, remote) => void this.adoptWs(ws, protocol, direction, local, remote),
      emitError: (e) => this.emitError(e),
    };
  }

  private get handshakeTimeout(): number {
    return this.opts.handshakeTimeout ?? DEFAULT_STREAM_LIMITS.handshakeTimeout;
  }

  /** The manager as its listeners see it. */
  private readonly host: ListenerHost;

  /** Inbound stream connections counted by the admission limits now (all sources, or one address). */
  inboundConnections(source?: string): number {
    return source === undefined ? this.guard.open : this.guard.openFrom(source);
  }

  // ---- listeners -------------------------------------------------------------------------

  /** Start listening; returns the bound address (port 0 picks a free port). */
  async listen(l: ListenOptions): Promise<{ host: string; port: number }> {
    if (this.closed) throw new TransportError('transport closed');
    const host = unbracket(l.host);
    if ((l.protocol === 'tls' || l.protocol === 'wss') && !l.tls)
      throw new TransportError(`a ${l.protocol} listener needs tls.key and tls.cert`);
    this.trusted.push(...toList(l.tls?.ca));
    let listener: Listener;
    switch (l.protocol) {
      case 'udp': {
        const u = await listenUdp(this.host, host, l.port, l.advertise);
        if (!this.udp.has(u.family))
          this.udp.set(u.family, { sock: u.sock, host: u.listener.host, port: u.listener.port });
        listener = u.listener;
        break;
      }
      case 'tcp':
      case 'tls':
        listener = await listenStream(this.host, l.protocol, host, l.port, l);
        break;
      case 'ws':
      case 'wss':
        listener = await listenWs(this.host, l.protocol, host, l.port, l);
        break;
      default:
        throw new TransportError(`unknown transport ${String(l.protocol)}`);
    }
    this.listeners_.push(listener);
    return { host: listener.host, port: listener.port };
  }

  // ---- TransportLayer --------------------------------------------------------------------

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'udp';
  }

  /** The sent-by for our Via (§18.1.1): the first listener of that protocol, else the first listener. */
  viaFor(protocol: TransportProtocol): { host: string; port: number } {
    const l = this.listeners_.find((x) => x.protocol === protocol) ?? this.listeners_[0];
    if (!l) return { host: '127.0.0.1', port: 5060 };
    if (l.advertise) return { host: unbracket(l.advertise.host), port: l.advertise.port ?? l.port };
    const host = l.host === '0.0.0.0' ? hostAddress(4) : l.host === '::' ? hostAddress(6) : l.host;
    return { host, port: l.port };
  }

  /** The bound address of the first listener of a protocol. */
  address(protocol: TransportProtocol): { host: string; port: number } | undefined {
    const l = this.listeners_.find((x) => x.protocol === protocol);
    return l ? { host: l.host, port: l.port } : undefined;
  }

  /** Every bound listener. */
  get listening(): { protocol: TransportProtocol; host: string; port: number }[] {
    return this.listeners_.map((l) => ({ protocol: l.protocol, host: l.host, port: l.port }));
  }

  /** Open stream connections. */
  connections(): ConnectionInfo[] {
    return [...this.conns.values()].map(({ id, protocol, direction, local, remote }) => ({
      id,
      protocol,
      direction,
      local,
      remote,
    }));
  }

  isOpen(connectionId: string): boolean {
    return this.conns.has(connectionId);
  }

  /** Close one stream connection; false when it is not open. */
  closeConnection(connectionId: string): boolean {
    const c = this.conns.get(connectionId);
    if (!c) return false;
    c.close();
    return true;
  }

  /** RFC 3261 §18.2.2 / RFC 3581 §4 for a request received here (see routing.ts). */
  responseTarget(inbound: Pick<Inbound, 'message' | 'protocol' | 'remote' | 'connectionId'>): ResponseRoute {
    return responseTarget(inbound, (id) => this.conns.has(id));
  }

  /**
   * Send a response to an inbound request by §18.2.2: on its connection while open; when that
   * fails, a new connection to received / sent-by port.
   */
  async respond(inbound: Inbound, response: SipMessage): Promise<void> {
    const route = this.responseTarget(inbound);
    try {
      await this.send(response, route.target, route.connectionId ? { connectionId: route.connectionId } : {});
    } catch (e) {
      if (!route.connectionId || !(e instanceof TransportError)) throw e;
      const { connectionId: _gone, ...rest } = inbound;
      await this.send(response, responseTarget(rest).target);
    }
  }

  /**
   * Send a message. Streams: the connection `connectionId` when still open, else one to the same
   * (protocol, address, port), else a new one. Rejects with a TransportError (§18.4).
   */
  async send(message: SipMessage, target: Target, opts: { connectionId?: string | undefined } = {}): Promise<void> {
    if (this.closed) throw new TransportError('transport closed', target);
    if (!target.host || !Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new TransportError(`invalid target ${target.host}:${target.port}`, target);
    }
    const t: Target = { ...target, host: normalizeAddress(target.host) };
    const request = message.isRequest ? (message as SipRequest) : undefined;
    // RFC 3261 §26.2.2: a sips: Request-URI means TLS on every hop (RFC 7118: or secure WebSocket)
    if (request && !isSecure(t.protocol) && requestScheme(request) === 'sips') {
      throw new TransportError(`refusing to send a sips: request over ${t.protocol}`, t);
    }
    if (t.protocol !== 'udp') return this.sendStream(message.toBuffer(), t, opts.connectionId);
    const bytes = message.toBuffer();
    const max = this.opts.udpMaxBytes ?? 1300;
    if (request && max > 0 && bytes.length > max && !this.noTcp.has(connKey(t)) && (await this.switchToTcp(request, t)))
      return;
    return this.sendUdp(message.toBuffer(), t);
  }

  /** RFC 3261 §18.1.1: send a large request over TCP, the top Via saying so; false when TCP failed. */
  private async switchToTcp(req: SipRequest, t: Target): Promise<boolean> {
    const via = req.topVia;
    const original = via?.toString();
    if (via && via.transport !== 'TCP') {
      via.transport = 'TCP';
      const tcp = this.listeners_.find((l) => l.protocol === 'tcp');
      if (tcp) {
        const s = this.viaFor('tcp');
        via.host = bracket(s.host);
        via.port = s.port;
      }
      replaceTopVia(req, via.toString());
    }
    try {
      await this.sendStream(req.toBuffer(), { ...t, protocol: 'tcp' }, undefined);
      this.stats.udpToTcp++;
      return true;
    } catch (e) {
      if (!(e instanceof TransportError) || this.closed) throw e;
      // the target does not take TCP: back to a UDP Via (the original one unless it was ours for TCP), over UDP
      if (via && original !== undefined) {
        if (/^SIP\/2\.0\/TCP /i.test(original)) {
          const udp = this.viaFor('udp');
          via.transport = 'UDP';
          via.host = bracket(udp.host);
          via.port = udp.port;
          replaceTopVia(req, via.toString());
        } else replaceTopVia(req, original);
      }
      if (this.noTcp.size >= 1024) this.noTcp.clear();
      this.noTcp.add(connKey(t));
      return false;
    }
  }

  private sendUdp(bytes: Buffer, t: Target): Promise<void> {
    const family = net.isIP(t.host);
    let entry = family === 6 ? this.udp.get(6) : (this.udp.get(4) ?? (family === 0 ? this.udp.get(6) : undefined));
    let host = t.host;
    if (!entry && family === 4) {
      // a dual-stack IPv6 socket bound to :: reaches IPv4 peers as IPv4-mapped addresses
      const v6 = this.udp.get(6);
      if (v6 && v6.host === '::') {
        entry = v6;
        host = `::ffff:${t.host}`;
      }
    }
    if (!entry)
      return Promise.reject(new TransportError(`no UDP listener for IPv${family === 6 ? 6 : 4} to send from`, t));
    const { sock } = entry;
    return new Promise((resolve, reject) => {
      sock.send(bytes, t.port, host, (err) => {
        if (err) return reject(new TransportError(`UDP send to ${t.host}:${t.port} failed: ${err.message}`, t, err));
        this.stats.sent++;
        this.opts.tap?.({
          direction: 'out',
          protocol: 'udp',
          local: { host: entry.host, port: entry.port },
          remote: { host: t.host, port: t.port },
          bytes,
        });
        resolve();
      });
    });
  }

  private async sendStream(bytes: Buffer, t: Target, connectionId: string | undefined): Promise<void> {
    const given = connectionId ? this.conns.get(connectionId) : undefined;
    const reused = given ?? this.byKey.get(connKey(t));
    const conn = reused ?? (await this.connect(t));
    try {
      await this.write(conn, bytes);
    } catch (e) {
      conn.close();
      if (!reused || given)
        throw new TransportError(
          `${conn.protocol} write to ${conn.remote.host}:${conn.remote.port} failed: ${(e as Error).message}`,
          t,
          e,
        );
      // a reused connection died under us: one fresh attempt
      await this.write(await this.connect(t), bytes).catch((e2: unknown) => {
        throw new TransportError(`${t.protocol} write to ${t.host}:${t.port} failed: ${(e2 as Error).message}`, t, e2);
      });
    }
  }

  private async write(conn: Connection, bytes: Buffer): Promise<void> {
    await conn.write(bytes);
    conn.lastActivity = this.clock.now();
    this.stats.sent++;
    this.opts.tap?.({ direction: 'out', protocol: conn.protocol, local: conn.local, remote: conn.remote, bytes });
  }

  // ---- connections -----------------------------------------------------------------------

  /** One connection attempt per key at a time: concurrent sends share it. */
  private connect(t: Target): Promise<Connection> {
    const key = connKey(t);
    let p = this.pending.get(key);
    if (!p) {
      p = this.open(t).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async open(t: Target): Promise<Connection> {
    const d = await dial(t, {
      opts: this.opts,
      trusted: this.trusted,
      maxPayload: this.limits.maxHeaderBytes + this.limits.maxBodyBytes,
    });
    if (this.closed) {
      if (d.kind === 'stream') d.socket.destroy();
      else d.ws.terminate();
      throw new TransportError('transport closed', t);
    }
    const conn =
      d.kind === 'stream'
        ? this.adoptStream(d.socket, d.protocol, 'out')
        : this.adoptWs(d.ws, d.protocol, 'out', d.local, d.remote);
    const key = connKey(t);
    conn.keys.push(key);
    this.byKey.set(key, conn);
    return conn;
  }

  private adoptStream(socket: net.Socket, protocol: 'tcp' | 'tls', direction: 'in' | 'out'): Connection {
    const framer = new StreamFramer(this.limits);
    socket.setNoDelay(true);
    const conn = this.register({
      protocol,
      direction,
      local: { host: normalizeAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 },
      remote: { host: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 },
      write: (b) =>
        new Promise((resolve, reject) => {
          if (socket.destroyed || !socket.writable) return reject(new Error('connection closed'));
          socket.write(b, (err) => (err ? reject(err) : resolve()));
        }),
      ping: () => void (socket.writable && socket.write(CRLFCRLF)),
      close: () => void socket.destroy(),
    });
    const deadline = new MessageDeadline(this.clock, this.messageTimeout, () => {
      this.stats.messageTimeouts++;
      this.emit('parse-error', new SipParseError(`message not complete within ${this.messageTimeout} ms`, 0), {
        protocol,
        remote: conn.remote,
        connectionId: conn.id,
      });
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      conn.lastActivity = this.clock.now();
      let events;
      try {
        events = framer.push(chunk);
        deadline.update(framer.pending, events.length);
      } catch (e) {
        // RFC 3261 §18.3: a framing error leaves the stream unusable: close this connection only
        this.stats.parseErrors++;
        this.stats.dropped++;
        this.emit('parse-error', e, { protocol, remote: conn.remote, connectionId: conn.id });
        socket.destroy();
        return;
      }
      for (const ev of events) {
        if (socket.destroyed) return;
        if (ev.type === 'ping') {
          // RFC 5626 §4.4.1: answer a double-CRLF ping with a single-CRLF pong
          this.stats.keepAlives++;
          socket.write(CRLF);
        } else if (ev.type === 'pong') this.onPong(conn);
        else this.deliver(ev.bytes, protocol, conn, (b) => conn.write(b));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      deadline.stop();
      this.unregister(conn);
    });
    return conn;
  }

  private adoptWs(
    ws: WebSocket,
    protocol: 'ws' | 'wss',
    direction: 'in' | 'out',
    local: ConnectionInfo['local'],
    remote: ConnectionInfo['remote'],
  ): Connection {
    const conn = this.register({
      protocol,
      direction,
      local,
      remote,
      // RFC 7118 §5: text frames for UTF-8 messages, binary frames otherwise
      write: (b) =>
        new Promise((resolve, reject) => {
          if (ws.readyState !== WebSocket.OPEN) return reject(new Error('WebSocket closed'));
          ws.send(b, { binary: !isUtf8(b) }, (err) => (err ? reject(err) : resolve()));
        }),
      ping: () => ws.readyState === WebSocket.OPEN && ws.ping(),
      close: () => ws.terminate(),
    });
    ws.on('message', (data: RawData) => {
      conn.lastActivity = this.clock.now();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isKeepAlive(buf)) {
        this.stats.keepAlives++;
        return;
      }
      // RFC 7118 §5: one SIP message per WebSocket message; the WebSocket frames it
      this.deliver(buf, protocol, conn, (b) => conn.write(b));
    });
    ws.on('pong', () => this.onPong(conn));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.unregister(conn));
    return conn;
  }

  private register(c: Omit<Connection, 'id' | 'keys' | 'lastActivity' | 'pongWaiters'>): Connection {
    const conn: Connection = {
      ...c,
      id: `${c.protocol}-${++this.seq}`,
      keys: [],
      lastActivity: this.clock.now(),
      pongWaiters: new Set(),
    };
    if (this.closed) {
      conn.close();
      return conn;
    }
    this.conns.set(conn.id, conn);
    if (conn.direction === 'in') {
      const key = connKey({ protocol: conn.protocol, host: conn.remote.host, port: conn.remote.port });
      conn.keys.push(key);
      this.byKey.set(key, conn);
    }
    this.stats.connectionsOpened++;
    this.armIdle(conn);
    this.emit('connection', this.info(conn));
    return conn;
  }

  private unregister(conn: Connection): void {
    if (!this.conns.delete(conn.id)) return;
    for (const k of conn.keys) if (this.byKey.get(k) === conn) this.byKey.delete(k);
    this.clock.clearTimeout(conn.idle);
    conn.idle = undefined;
    this.stats.connectionsClosed++;
    this.emit('connection-closed', this.info(conn));
  }

  private info(c: Connection): ConnectionInfo {
    return { id: c.id, protocol: c.protocol, direction: c.direction, local: c.local, remote: c.remote };
  }

  /** Idle timeout on the Clock: one timer per connection, re-armed for the time left since the last traffic. */
  private armIdle(conn: Connection, delay?: number): void {
    const ms = this.opts.idleTimeout ?? 300_000;
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    conn.idle = this.clock.setTimeout(() => {
      if (!this.conns.has(conn.id)) return;
      const quiet = this.clock.now() - conn.lastActivity;
      if (quiet >= ms) conn.close();
      else this.armIdle(conn, ms - quiet);
    }, delay ?? ms);
  }

  private onPong(conn: Connection): void {
    this.stats.keepAlives++;
    for (const w of conn.pongWaiters) w();
    conn.pongWaiters.clear();
    this.emit('pong', { connectionId: conn.id });
  }

  /**
   * RFC 5626 §4.4.1 keep-alive on a connection: CRLFCRLF on TCP/TLS (a WebSocket ping on WS),
   * resolved by the pong; rejects with a TransportError after `timeoutMs` (on the Clock).
   */
  keepAlive(connectionId: string, timeoutMs = 10_000): Promise<void> {
    const conn = this.conns.get(connectionId);
    if (!conn) return Promise.reject(new TransportError(`no open connection ${connectionId}`));
    return new Promise((resolve, reject) => {
      const waiter = () => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        conn.pongWaiters.delete(waiter);
        reject(new TransportError(`no pong on ${connectionId} within ${timeoutMs} ms`));
      }, timeoutMs);
      conn.pongWaiters.add(waiter);
      conn.ping();
    });
  }

  // ---- receiving -------------------------------------------------------------------------

  private onDatagram(sock: dgram.Socket, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (isKeepAlive(buf)) {
      this.stats.keepAlives++;
      return;
    }
    // a bound socket's address does not change: one getsockname per socket, not per datagram
    let local = this.udpLocal.get(sock);
    if (!local) {
      const a = sock.address();
      local = { host: normalizeAddress(a.address), port: a.port };
      this.udpLocal.set(sock, local);
    }
    const remote = { host: normalizeAddress(rinfo.address), port: rinfo.port };
    this.deliver(
      buf,
      'udp',
      { local, remote },
      (res) =>
        new Promise<void>((resolve, reject) =>
          sock.send(res, rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve())),
        ),
    );
  }

  /** Parse, check the mandatory headers, stamp received/rport, emit; bad requests get their 400/505/513. */
  private deliver(
    bytes: Buffer,
    protocol: TransportProtocol,
    from: { local: Inbound['local']; remote: Inbound['remote']; id?: string },
    reply: (b: Buffer) => Promise<void>,
  ): void {
    const { local, remote } = from;
    this.opts.tap?.({ direction: 'in', protocol, local, remote, bytes });
    let message;
    try {
      message = parseMessage(bytes, {
        mode: protocol === 'tcp' || protocol === 'tls' ? 'stream' : 'datagram',
        limits: this.limits,
      });
      const missing = MANDATORY.find((h) => !message!.has(h));
      if (missing) throw new SipParseError(`missing ${missing} header`, 0);
      // liberal receiving: a malformed header the message does not need travels on as a fault
      const fault = fatalFault(message);
      if (fault) throw fault.error;
      if (message.isRequest) stampReceived(message as SipRequest, remote);
    } catch (e) {
      this.reject(bytes, e, protocol, local, remote, from.id, reply);
      return;
    }
    this.stats.received++;
    const inbound: Inbound = { message, protocol, remote, local };
    if (from.id) inbound.connectionId = from.id;
    try {
      this.emit('message', inbound);
    } catch (e) {
      // a listener choked on this message: report it, keep serving
      this.stats.handlerErrors++;
      this.emitError(e);
    }
  }

  private reject(
    bytes: Buffer,
    e: unknown,
    protocol: TransportProtocol,
    local: Inbound['local'],
    remote: Inbound['remote'],
    connectionId: string | undefined,
    reply: (b: Buffer) => Promise<void>,
  ): void {
    this.stats.parseErrors++;
    let res;
    try {
      res = e instanceof SipParseError ? responseForParseError(bytes, e) : null;
    } catch {
      res = null;
    }
    this.emit('parse-error', e, { protocol, remote, ...(connectionId ? { connectionId } : {}) });
    if (!res) {
      this.stats.dropped++;
      return;
    }
    const out = res.toBuffer();
    this.stats.errorResponses++;
    reply(out).then(
      () => {
        this.stats.sent++;
        this.opts.tap?.({ direction: 'out', protocol, local, remote, bytes: out });
      },
      () => undefined, // the peer is gone
    );
  }

  private emitError(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  /** Close every listener and connection; sends afterwards reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns.values()]) {
      c.close();
      this.unregister(c);
    }
    await Promise.all(this.listeners_.map((l) => l.close().catch(() => undefined)));
    this.listeners_.length = 0;
    this.udp.clear();
    this.byKey.clear();
  }
}
