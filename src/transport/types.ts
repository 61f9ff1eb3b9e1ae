import type { SipMessage, SipRequest, SipResponse } from '../message/index.js';

/** Transport protocols of RFC 3261 §18 and RFC 7118 (WebSocket). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Where to send: resolved address (no brackets on IPv6), port and protocol. */
export interface Target {
  protocol: TransportProtocol;
  host: string;
  port: number;
  /**
   * For TLS/WSS: the domain the server's certificate must match (RFC 5922 §4: the host of the
   * URI being resolved, not the SRV target or address). Defaults to `host` when it is a name.
   */
  servername?: string;
}

/** One received, parsed message and where it came from (RFC 3261 §18.2.1 needs the source). */
export interface Inbound {
  message: SipRequest | SipResponse;
  protocol: TransportProtocol;
  /** Remote address/port of the packet or connection. */
  remote: { host: string; port: number };
  /** Local address/port it arrived on. */
  local: { host: string; port: number };
  /** For stream transports: the connection it arrived on, to send responses back on it (§18.2.2). */
  connectionId?: string;
}

/** What the transaction layer needs from the transport layer. */
export interface TransportLayer {
  /** Send a message; rejects with a TransportError on failure (RFC 3261 §18.4 reports to the TU). */
  send(message: SipMessage, target: Target, opts?: { connectionId?: string }): Promise<void>;
  /** Whether a protocol is reliable (no retransmissions of requests, Timer E/A off: §17.1.1.2). */
  isReliable(protocol: TransportProtocol): boolean;
  /** The sent-by host:port to put in our Via for this protocol (§18.1.1). */
  viaFor(protocol: TransportProtocol): { host: string; port: number };
  on(event: 'message', fn: (m: Inbound) => void): this;
  off(event: 'message', fn: (m: Inbound) => void): this;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly target?: Target,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
