// Receiving: a datagram or a framed stream message is parsed, checked and handed up as an
// Inbound; bad input is answered (400/505/513) or dropped, and counted, never thrown.
import type * as dgram from 'node:dgram';
import { SipParseError, fatalFault, parseMessage, responseForParseError, type SipRequest } from '../message/index.js';
import { normalizeAddress } from './address.js';
import { isKeepAlive } from './util.js';
import { stampReceived } from './routing.js';
import { type Inbound, type TransportProtocol } from './types.js';
import { ConnectionTable } from './connection-table.js';

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

export abstract class Receiving extends ConnectionTable {
  /** Local address of each UDP socket, read once. */
  protected readonly udpLocal = new WeakMap<dgram.Socket, { host: string; port: number }>();

  protected onDatagram(sock: dgram.Socket, buf: Buffer, rinfo: dgram.RemoteInfo): void {
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
  protected deliver(
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
        eager: this.opts.eagerHeaders,
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

  protected reject(
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
}
