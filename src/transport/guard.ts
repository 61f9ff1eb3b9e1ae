import type * as net from 'node:net';
import type { Clock, TimerHandle } from '../util/clock.js';
import { normalizeAddress } from './address.js';

/** Limits on inbound stream connections (TCP, TLS, WS, WSS): what one peer or all peers may hold. */
export interface StreamLimits {
  /** Inbound connections open at once, all listeners together; more are closed on accept (default 10,000). */
  maxConnections: number;
  /** Inbound connections open at once from one source address (default 100). */
  maxConnectionsPerSource: number;
  /** Time from accept to a finished TLS handshake or WebSocket upgrade (default 10 s). */
  handshakeTimeout: number;
  /**
   * Time for one SIP message to arrive whole once its first byte is in; a peer trickling bytes
   * (slowloris) is closed after it (default 30 s; 0 = no limit).
   */
  messageTimeout: number;
}

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerSource: 100,
  handshakeTimeout: 10_000,
  messageTimeout: 30_000,
});

export type RefusalReason = 'total' | 'per-source' | 'handshake-timeout';

/**
 * Admission of inbound stream connections at accept time, before any TLS or HTTP work is spent
 * on them: a cap in total and per source address, and a deadline for the handshake (TLS) or
 * upgrade (WebSocket) on the injectable Clock. Counts drop when the socket closes.
 */
export class ConnectionGuard {
  private total = 0;
  private readonly perSource = new Map<string, number>();
  /** Accepted sockets whose handshake is under way, by remote address and port. */
  private readonly handshaking = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: StreamLimits,
    private readonly onRefuse: (reason: RefusalReason, remote: { host: string; port: number }) => void,
  ) {}

  /** Open inbound connections counted now (all sources). */
  get open(): number {
    return this.total;
  }

  /** Open inbound connections from one source address. */
  openFrom(host: string): number {
    return this.perSource.get(normalizeAddress(host)) ?? 0;
  }

  /**
   * A raw TCP socket was accepted. Returns false (and destroys it) when over a limit. With
   * `handshake`, the socket is closed unless ready() is called for it within handshakeTimeout.
   */
  admit(socket: net.Socket, handshake: boolean): boolean {
    const remote = { host: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const n = this.perSource.get(remote.host) ?? 0;
    const reason: RefusalReason | undefined =
      this.total >= this.limits.maxConnections
        ? 'total'
        : n >= this.limits.maxConnectionsPerSource
          ? 'per-source'
          : undefined;
    if (reason) {
      socket.destroy();
      this.onRefuse(reason, remote);
      return false;
    }
    this.total++;
    this.perSource.set(remote.host, n + 1);
    const key = `${remote.host}|${remote.port}`;
    socket.once('close', () => {
      this.total--;
      const left = (this.perSource.get(remote.host) ?? 1) - 1;
      if (left > 0) this.perSource.set(remote.host, left);
      else this.perSource.delete(remote.host);
      this.clock.clearTimeout(this.handshaking.get(key));
      this.handshaking.delete(key);
    });
    const ms = this.limits.handshakeTimeout;
    if (handshake && ms > 0 && Number.isFinite(ms)) {
      const timer = this.clock.setTimeout(() => {
        if (!this.handshaking.delete(key)) return;
        socket.destroy();
        this.onRefuse('handshake-timeout', remote);
      }, ms);
      this.handshaking.set(key, timer);
    }
    return true;
  }

  /** The handshake or upgrade of the connection from `remote` finished: its deadline is off. */
  ready(remote: { host: string; port: number }): void {
    const key = `${normalizeAddress(remote.host)}|${remote.port}`;
    this.clock.clearTimeout(this.handshaking.get(key));
    this.handshaking.delete(key);
  }
}

/**
 * The deadline for the message being received on one stream (slowloris): armed by the first
 * byte of a message, restarted when a whole message has been framed, off while nothing waits.
 */
export class MessageDeadline {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  /** After each chunk: `pending` bytes wait for the rest of a message; `framed` whole messages came out. */
  update(pending: number, framed: number): void {
    if (pending === 0 || framed > 0) this.stop();
    if (pending > 0 && !this.timer && this.ms > 0 && Number.isFinite(this.ms))
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.onExpire();
      }, this.ms);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
