// Stream connections: dialled or accepted TCP/TLS sockets and WebSockets become Connections,
// with Content-Length framing (RFC 3261 §18.3), RFC 5626 keep-alives and a per-message deadline.
import { isUtf8 } from 'node:buffer';
import type * as net from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { SipParseError, StreamFramer } from '../message/index.js';
import { normalizeAddress } from './address.js';
import { dial } from './dial.js';
import { MessageDeadline } from './guard.js';
import type { ConnectionInfo } from './options.js';
import { isKeepAlive } from './util.js';
import { TransportError, type Target } from './types.js';
import { connKey, type Connection } from './connection-table.js';
import { Receiving } from './receiving.js';

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

export abstract class StreamHandling extends Receiving {
  protected async open(t: Target): Promise<Connection> {
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

  protected adoptStream(socket: net.Socket, protocol: 'tcp' | 'tls', direction: 'in' | 'out'): Connection {
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

  protected adoptWs(
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
}
