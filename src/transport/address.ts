import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { TransportProtocol } from './types.js';

/** `[::1]` → `::1`; anything else unchanged. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `::1` → `[::1]` for sent-by, URIs and URLs; names and IPv4 unchanged. */
export function bracket(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/**
 * A socket address as we report and compare it: no brackets, IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * what a dual-stack socket shows for an IPv4 peer) as plain IPv4, IPv6 lower-cased.
 */
export function normalizeAddress(host: string): string {
  // IPv4 and names have no colon: nothing to do (this runs for every datagram)
  if (!host.includes(':')) return host;
  const h = unbracket(host);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(h);
  if (m) return m[1]!;
  return isIPv6(h) ? h.toLowerCase() : h;
}

function expandIPv6(a: string): string | undefined {
  let s = a.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // a trailing dotted quad becomes two groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + ((b0 << 8) | b1).toString(16) + ':' + ((b2 << 8) | b3).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tail];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/**
 * Whether a Via sent-by host and a packet's source address are the same address
 * (RFC 3261 §18.2.1): IPv6 in any textual form, IPv4-mapped IPv6 as IPv4. Names never match.
 */
export function sameAddress(a: string, b: string): boolean {
  const x = normalizeAddress(a);
  const y = normalizeAddress(b);
  if (x === y) return isIP(x) !== 0;
  if (isIPv6(x) && isIPv6(y)) {
    const ex = expandIPv6(x);
    return ex !== undefined && ex === expandIPv6(y);
  }
  if (isIPv4(x) && isIPv4(y)) return x.split('.').map(Number).join('.') === y.split('.').map(Number).join('.');
  return false;
}

/** Default port of a transport (RFC 3261 §19.1.2, RFC 7118 §7 for WebSocket). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : protocol === 'ws' ? 80 : protocol === 'wss' ? 443 : 5060;
}

/** The Via sent-protocol transport token for a protocol (RFC 3261 §20.42, RFC 7118 §5.2). */
export function viaTransport(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

/** The protocol named by a Via transport token, if we know it (`SCTP` and others: undefined). */
export function protocolOfVia(token: string): TransportProtocol | undefined {
  const t = token.toLowerCase();
  return t === 'udp' || t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' ? t : undefined;
}

/**
 * A `lookup` for UDP sockets (dgram's `lookup` option). dgram resolves the address of every send()
 * through dns.lookup, which answers an IP literal only on the next tick: one process.nextTick per
 * datagram. SIP over UDP sends to IP literals (received/rport, resolved hops) and RTP to SDP
 * addresses, so answer those at once; names still go to dns.lookup.
 */
export function literalLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}
