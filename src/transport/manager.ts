import { type ListenerHost, listenStream, listenUdp, listenWs, type Listener } from './listeners.js';
import type { ListenOptions, TransportOptions } from './options.js';
import { unbracket } from './address.js';
import { TransportError, type TransportLayer, type TransportProtocol } from './types.js';
import { Sending } from './sending.js';
import { toList } from './connection-table.js';

export type { ConnectionInfo, ListenOptions, TransportOptions, TransportStats, WireEvent } from './options.js';

/**
 * The SIP transport layer (RFC 3261 §18, RFC 7118): UDP, TCP, TLS, WS and WSS listeners;
 * outgoing connections opened on demand and reused by (protocol, address, port) or by the
 * connection a request arrived on; Content-Length framing on streams; CRLF keep-alives
 * (RFC 5626 §4.4.1); received/rport on requests (RFC 3261 §18.2.1, RFC 3581 §4); bad input
 * answered or dropped and counted, never thrown; idle connections closed through the Clock.
 *
 * Events: 'message' (Inbound), 'parse-error' (error, {protocol, remote}), 'connection' and
 * 'connection-closed' (ConnectionInfo), 'pong' ({connectionId}), 'error' (only when listened to).
 *
 * Built in layers, one module each: connection-table (state, open connections), receiving,
 * streams (stream connections), sending, and here the listeners' lifecycle.
 */
export class TransportManager extends Sending implements TransportLayer {
  /** The manager as its listeners see it. */
  private readonly host: ListenerHost;

  constructor(opts: TransportOptions = {}) {
    super(opts);
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
        const u = await listenUdp(this.host, host, l.port, l.advertise, this.opts.udpRecvBuffer);
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

  /** The bound address of the first listener of a protocol. */
  address(protocol: TransportProtocol): { host: string; port: number } | undefined {
    const l = this.listeners_.find((x) => x.protocol === protocol);
    return l ? { host: l.host, port: l.port } : undefined;
  }

  /** Every bound listener. */
  get listening(): { protocol: TransportProtocol; host: string; port: number }[] {
    return this.listeners_.map((l) => ({ protocol: l.protocol, host: l.host, port: l.port }));
  }

  /** Close every listener and connection; sends afterwards reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // datagrams sent in this turn still go (a final response, a BYE at shutdown)
    this.outbox.drain();
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
