import type { Clock } from '../util/clock.js';
import type { MessageLimits, ParseOptions } from '../message/index.js';
import type { TransportProtocol } from './types.js';

export type Pem = string | Buffer;

export interface ListenOptions {
  protocol: TransportProtocol;
  /** Address to bind: IPv4, IPv6 (with or without brackets), `0.0.0.0`/`::`, or a name. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * TLS / WSS server credentials. `ca`, when given, is also trusted for our outgoing TLS/WSS
   * connections (a development CA), in addition to the system roots.
   */
  tls?: { key: Pem; cert: Pem; ca?: Pem | Pem[] };
  /** The sent-by to put in our Via for this listener (NAT, wildcard binds); default the bound address. */
  advertise?: { host: string; port?: number };
}

export interface TransportOptions {
  /** Timers (idle connection timeout, keep-alive timeout). Default: the system clock. */
  clock?: Clock;
  limits?: Partial<MessageLimits>;
  /**
   * Which typed headers of a received message are parsed (and their faults judged) on arrival
   * (ParseOptions.eager); the rest are parsed when the element reads them. Default: all.
   */
  eagerHeaders?: ParseOptions['eager'];
  /** CA certificate(s) to trust for outgoing TLS/WSS, added to the system roots. Verification stays on. */
  tlsCa?: Pem | Pem[];
  /** Client certificate for mutual TLS (optional). */
  tlsClient?: { key: Pem; cert: Pem };
  /** Verify the server certificate of outgoing TLS/WSS connections (default true; false is for debugging only). */
  rejectUnauthorized?: boolean;
  /** Idle stream connections are closed after this many ms without traffic (default 5 min; 0 = never). */
  idleTimeout?: number;
  /** Inbound stream connections open at once, all listeners together (default 10,000). */
  maxConnections?: number;
  /** Inbound stream connections open at once from one source address (default 100). */
  maxConnectionsPerSource?: number;
  /** Time from accept to a finished TLS handshake or WebSocket upgrade (default 10 s). */
  handshakeTimeout?: number;
  /** Time for a SIP message on TCP/TLS to arrive whole once its first byte is in (slowloris; default 30 s; 0 = none). */
  messageTimeout?: number;
  /** Time allowed to open an outgoing connection, TLS handshake / WS upgrade included (default 10 s). */
  connectTimeout?: number;
  /** Observe every message sent/received (traces). Bytes are the exact wire bytes. */
  tap?: (entry: WireEvent) => void;
  /**
   * RFC 3261 §18.1.1: a request over UDP larger than this goes over TCP instead (default 1300,
   * i.e. MTU 1500 − 200); 0 disables. If the TCP connection cannot be opened the request goes over UDP.
   */
  udpMaxBytes?: number;
  /**
   * Send each UDP datagram at once instead of with the others of the same event-loop turn (default
   * false: gathered, which wakes the peer once per burst; see udp-outbox.ts).
   */
  udpSendNow?: boolean;
  /**
   * Receive buffer (SO_RCVBUF) asked for each UDP listener, in bytes (default 4 MB); the kernel caps
   * it at net.core.rmem_max. A larger buffer rides out longer pauses of the event loop without drops.
   */
  udpRecvBuffer?: number;
}

export interface WireEvent {
  direction: 'in' | 'out';
  protocol: TransportProtocol;
  local: { host: string; port: number };
  remote: { host: string; port: number };
  bytes: Buffer;
}

export interface TransportStats {
  /** Messages parsed and delivered to 'message' listeners. */
  received: number;
  /** Messages written to the network (error responses included). */
  sent: number;
  /** Inputs that failed to parse or frame, or lacked a mandatory header. */
  parseErrors: number;
  /** Inputs discarded without an answer (broken responses, requests without a Via, garbage). */
  dropped: number;
  /** 400/505/513 responses sent back for unparseable requests. */
  errorResponses: number;
  /** CRLF / CRLFCRLF / STUN keep-alives received. */
  keepAlives: number;
  /** Requests moved from UDP to TCP by RFC 3261 §18.1.1. */
  udpToTcp: number;
  /** Exceptions thrown by 'message' listeners (caught so a bad packet never crashes the process). */
  handlerErrors: number;
  connectionsOpened: number;
  connectionsClosed: number;
  /** Inbound connections closed on accept: over maxConnections or maxConnectionsPerSource. */
  connectionsRefused: number;
  /** Inbound connections closed because the TLS handshake / WebSocket upgrade took too long. */
  handshakeTimeouts: number;
  /** Connections closed because a message did not arrive whole within messageTimeout. */
  messageTimeouts: number;
}

/** A stream connection (TCP, TLS, WS, WSS) as seen from outside. */
export interface ConnectionInfo {
  id: string;
  protocol: TransportProtocol;
  direction: 'in' | 'out';
  local: { host: string; port: number };
  remote: { host: string; port: number };
}
