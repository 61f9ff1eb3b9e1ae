/** Shared helpers for the transport tests: managers closed after each file, bounded waits, raw peers. */
import { after } from 'node:test';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { createRequest, createVia, type SipRequest } from '../../src/message/index.js';
import { TransportManager, type Inbound, type TransportOptions } from '../../src/transport/index.js';

const open: { close(): unknown }[] = [];
after(async () => {
  await Promise.all(open.map(async (x) => x.close()));
});

/** A TransportManager closed when the test file ends. */
export function manager(opts: TransportOptions = {}): TransportManager {
  const t = new TransportManager(opts);
  open.push(t);
  return t;
}

/** Register anything with close() (sockets, servers) to be closed when the file ends. */
export function track<T extends { close(): unknown }>(x: T): T {
  open.push(x);
  return x;
}

/** Resolve with the first value `subscribe` hands over, or reject after `ms`. */
export function within<T>(ms: number, what: string, subscribe: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    subscribe((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

export function nextMessage(t: TransportManager, ms = 2000): Promise<Inbound> {
  return within(ms, 'message', (r) => t.once('message', r));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An OPTIONS request with a Via for `viaTransport` at viaHost:viaPort. */
export function options(opts: {
  transport: string;
  viaHost: string;
  viaPort?: number;
  target: string;
  scheme?: 'sip' | 'sips';
  rport?: boolean;
}): SipRequest {
  const scheme = opts.scheme ?? 'sip';
  return createRequest({
    method: 'OPTIONS',
    uri: `${scheme}:bob@${opts.target}`,
    from: `${scheme}:alice@example.com`,
    to: `${scheme}:bob@example.com`,
    via: createVia(opts.transport.toUpperCase(), opts.viaHost, opts.viaPort, opts.rport ?? true),
  });
}

export const hostport = (host: string, port: number) => `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;

/** A raw UDP peer: send bytes, await the next datagram. */
export async function udpPeer(
  host = '127.0.0.1',
): Promise<{ port: number; send(b: Buffer | string, port: number): void; next(ms?: number): Promise<Buffer> }> {
  const sock = track(dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4'));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  sock.on('message', (b) => (waiters.length ? waiters.shift()!(b) : queue.push(b)));
  return {
    port: sock.address().port,
    send: (b, port) => sock.send(b, port, host),
    next: (ms = 1000) =>
      queue.length ? Promise.resolve(queue.shift()!) : within(ms, 'datagram', (r) => waiters.push(r)),
  };
}

/** A raw TCP client: write, read everything received so far, await close. */
export async function tcpPeer(
  port: number,
  host = '127.0.0.1',
): Promise<{
  sock: net.Socket;
  data(): string;
  waitFor(pred: (s: string) => boolean, ms?: number): Promise<string>;
  closed: Promise<void>;
}> {
  const sock = net.connect(port, host);
  open.push({ close: () => sock.destroy() });
  await within(1000, 'connect', (r) => sock.once('connect', () => r(undefined)));
  let buf = '';
  const listeners = new Set<() => void>();
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    for (const l of listeners) l();
  });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return {
    sock,
    data: () => buf,
    closed,
    waitFor: (pred, ms = 1000) =>
      within(ms, 'tcp data', (r) => {
        const check = () => {
          if (pred(buf)) {
            listeners.delete(check);
            r(buf);
          }
        };
        listeners.add(check);
        check();
      }),
  };
}
