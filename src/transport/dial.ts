import * as net from 'node:net';
import * as tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { bracket, normalizeAddress } from './address.js';
import type { Pem, TransportOptions } from './options.js';
import { TransportError, type Target } from './types.js';

/** An outgoing stream connection, open and (TLS/WSS) verified, not yet adopted by the manager. */
export type Dialled =
  | { kind: 'stream'; protocol: 'tcp' | 'tls'; socket: net.Socket }
  | {
      kind: 'ws';
      protocol: 'ws' | 'wss';
      ws: WebSocket;
      local: { host: string; port: number };
      remote: { host: string; port: number };
    };

export interface DialOptions {
  opts: TransportOptions;
  /** Extra CAs trusted for TLS/WSS, in addition to the system roots. */
  trusted: Pem[];
  /** WebSocket maxPayload (the largest SIP message we accept). */
  maxPayload: number;
}

/**
 * Open a TCP, TLS, WS or WSS connection to `t` within connectTimeout (handshake and upgrade
 * included); rejects with a TransportError naming the target.
 */
export function dial(t: Target, d: DialOptions): Promise<Dialled> {
  const { opts } = d;
  const host = t.host;
  const ms = opts.connectTimeout ?? 10_000;
  const cas = d.trusted.length ? [...tls.rootCertificates, ...d.trusted] : undefined;
  const servername = t.servername ?? (net.isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    let done = false;
    let abort = () => undefined as void;
    const timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref?.();
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      abort();
      reject(new TransportError(`${t.protocol} connection to ${host}:${t.port} failed: ${err.message}`, t, err));
    };
    const ok = (x: Dialled) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(x);
    };
    if (t.protocol === 'tcp' || t.protocol === 'tls') {
      const protocol = t.protocol;
      const s =
        protocol === 'tcp'
          ? net.connect({ host, port: t.port })
          : tls.connect({
              host,
              port: t.port,
              ...(cas ? { ca: cas } : {}),
              ...(opts.tlsClient ? { key: opts.tlsClient.key, cert: opts.tlsClient.cert } : {}),
              ...(servername ? { servername } : {}),
              rejectUnauthorized: opts.rejectUnauthorized ?? true,
            });
      abort = () => void s.destroy();
      s.once('error', fail);
      s.once(protocol === 'tcp' ? 'connect' : 'secureConnect', () => {
        s.off('error', fail);
        ok({ kind: 'stream', protocol, socket: s });
      });
    } else if (t.protocol === 'ws' || t.protocol === 'wss') {
      const protocol = t.protocol;
      const url = `${protocol}://${bracket(host)}:${t.port}/`;
      const ws = new WebSocket(url, 'sip', {
        perMessageDeflate: false,
        handshakeTimeout: ms,
        maxPayload: d.maxPayload,
        ...(cas ? { ca: cas } : {}),
        ...(opts.tlsClient ? { key: opts.tlsClient.key, cert: opts.tlsClient.cert } : {}),
        ...(servername ? { servername } : {}),
        rejectUnauthorized: opts.rejectUnauthorized ?? true,
      });
      let sock: net.Socket | undefined;
      abort = () => void ws.terminate();
      ws.once('upgrade', (res: IncomingMessage) => (sock = res.socket));
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        if (ws.protocol !== 'sip') return fail(new Error('the server did not accept the "sip" subprotocol'));
        const local = { host: normalizeAddress(sock?.localAddress ?? ''), port: sock?.localPort ?? 0 };
        const remote = { host: normalizeAddress(sock?.remoteAddress ?? host), port: sock?.remotePort ?? t.port };
        ok({ kind: 'ws', protocol, ws, local, remote });
      });
    } else {
      fail(new Error('not a stream transport'));
    }
  });
}
