// Sending (RFC 3261 §18.1, §18.2.2): UDP from the listener's socket, streams over a reused or new
// connection, large requests switched to TCP, responses routed back to where the request came from.
import type * as dgram from 'node:dgram';
import * as net from 'node:net';
import { type SipMessage, type SipRequest } from '../message/index.js';
import { bracket, normalizeAddress, unbracket } from './address.js';
import { hostAddress, replaceTopVia, requestScheme } from './util.js';
import { responseTarget, type ResponseRoute } from './routing.js';
import { TransportError, type Inbound, type Target, type TransportProtocol } from './types.js';
import { connKey, type Connection } from './connection-table.js';
import { StreamHandling } from './streams.js';
import { UdpOutbox } from './udp-outbox.js';

const isSecure = (p: TransportProtocol) => p === 'tls' || p === 'wss';

export abstract class Sending extends StreamHandling {
  protected readonly udp = new Map<4 | 6, { sock: dgram.Socket; host: string; port: number }>();
  /** UDP datagrams sent together after each turn of the event loop (udp-outbox.ts). */
  protected readonly outbox = new UdpOutbox(this.opts.udpSendNow === true);
  /** UDP targets where the §18.1.1 switch to TCP failed: large requests go over UDP there. */
  protected readonly noTcp = new Set<string>();

  /** The sent-by for our Via (§18.1.1): the first listener of that protocol, else the first listener. */
  viaFor(protocol: TransportProtocol): { host: string; port: number } {
    const l = this.listeners_.find((x) => x.protocol === protocol) ?? this.listeners_[0];
    if (!l) return { host: '127.0.0.1', port: 5060 };
    if (l.advertise) return { host: unbracket(l.advertise.host), port: l.advertise.port ?? l.port };
    const host = l.host === '0.0.0.0' ? hostAddress(4) : l.host === '::' ? hostAddress(6) : l.host;
    return { host, port: l.port };
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
  protected async switchToTcp(req: SipRequest, t: Target): Promise<boolean> {
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

  protected sendUdp(bytes: Buffer, t: Target): Promise<void> {
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
    // The send callback stays, unlike RTP's sends (src/media): without it dgram drops a send error
    // (EHOSTUNREACH, EPERM, EMSGSIZE) silently, and §18.4 wants it reported to the transaction. It
    // comes on a later tick, never inside send(), so no transaction is re-entered. It costs one
    // process.nextTick per datagram, measured at under 1 µs; the address lookup's tick is gone
    // (literalLookup in listeners.ts).
    return new Promise((resolve, reject) => {
      this.outbox.send(sock, bytes, t.port, host, (err) => {
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

  protected async sendStream(bytes: Buffer, t: Target, connectionId: string | undefined): Promise<void> {
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

  protected async write(conn: Connection, bytes: Buffer): Promise<void> {
    await conn.write(bytes);
    conn.lastActivity = this.clock.now();
    this.stats.sent++;
    this.opts.tap?.({ direction: 'out', protocol: conn.protocol, local: conn.local, remote: conn.remote, bytes });
  }
}
