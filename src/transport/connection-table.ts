// The base of TransportManager: its state and the table of open stream connections (lookup by
// id and by target, one dial per target at a time, idle timeout, keep-alive pongs).
import { EventEmitter } from 'node:events';
import { DEFAULT_LIMITS, type MessageLimits } from '../message/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { normalizeAddress } from './address.js';
import { type Listener } from './listeners.js';
import { ConnectionGuard, DEFAULT_STREAM_LIMITS } from './guard.js';
import type { ConnectionInfo, Pem, TransportOptions, TransportStats } from './options.js';
import { TransportError, type Target } from './types.js';

export interface Connection extends ConnectionInfo {
  keys: string[];
  write(b: Buffer): Promise<void>;
  /** RFC 5626 keep-alive: CRLFCRLF on TCP/TLS, a WebSocket ping on WS/WSS. */
  ping(): void;
  close(): void;
  lastActivity: number;
  idle?: TimerHandle | undefined;
  pongWaiters: Set<() => void>;
}

export const connKey = (t: Target) => `${t.protocol}|${normalizeAddress(t.host)}|${t.port}|${t.servername ?? ''}`;
export const toList = (x: Pem | Pem[] | undefined): Pem[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

export abstract class ConnectionTable extends EventEmitter {
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
  protected readonly clock: Clock;
  protected readonly limits: MessageLimits;
  protected readonly listeners_: Listener[] = [];
  protected readonly conns = new Map<string, Connection>();
  protected readonly byKey = new Map<string, Connection>();
  protected readonly pending = new Map<string, Promise<Connection>>();
  protected readonly trusted: Pem[];
  /** Admission of inbound stream connections: caps and handshake deadline. */
  protected readonly guard: ConnectionGuard;
  protected readonly messageTimeout: number;
  protected seq = 0;
  protected closed = false;

  constructor(protected readonly opts: TransportOptions = {}) {
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
  }

  protected get handshakeTimeout(): number {
    return this.opts.handshakeTimeout ?? DEFAULT_STREAM_LIMITS.handshakeTimeout;
  }

  /** Inbound stream connections counted by the admission limits now (all sources, or one address). */
  inboundConnections(source?: string): number {
    return source === undefined ? this.guard.open : this.guard.openFrom(source);
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

  /** One connection attempt per key at a time: concurrent sends share it. */
  protected connect(t: Target): Promise<Connection> {
    const key = connKey(t);
    let p = this.pending.get(key);
    if (!p) {
      p = this.open(t).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  protected abstract open(t: Target): Promise<Connection>;

  protected register(c: Omit<Connection, 'id' | 'keys' | 'lastActivity' | 'pongWaiters'>): Connection {
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

  protected unregister(conn: Connection): void {
    if (!this.conns.delete(conn.id)) return;
    for (const k of conn.keys) if (this.byKey.get(k) === conn) this.byKey.delete(k);
    this.clock.clearTimeout(conn.idle);
    conn.idle = undefined;
    this.stats.connectionsClosed++;
    this.emit('connection-closed', this.info(conn));
  }

  protected info(c: Connection): ConnectionInfo {
    return { id: c.id, protocol: c.protocol, direction: c.direction, local: c.local, remote: c.remote };
  }

  /** Idle timeout on the Clock: one timer per connection, re-armed for the time left since the last traffic. */
  protected armIdle(conn: Connection, delay?: number): void {
    const ms = this.opts.idleTimeout ?? 300_000;
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    conn.idle = this.clock.setTimeout(() => {
      if (!this.conns.has(conn.id)) return;
      const quiet = this.clock.now() - conn.lastActivity;
      if (quiet >= ms) conn.close();
      else this.armIdle(conn, ms - quiet);
    }, delay ?? ms);
  }

  protected onPong(conn: Connection): void {
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

  protected emitError(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
