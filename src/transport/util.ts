/** Small helpers of the transport manager. */
import { networkInterfaces } from 'node:os';
import type { SipRequest } from '../message/index.js';

/** CRLF keep-alives (RFC 5626 §4.4.1) and STUN binding requests on UDP. */
export function isKeepAlive(buf: Buffer): boolean {
  if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10)) return true;
  // RFC 5389 STUN (RFC 5626 §4.4.2 UDP keep-alive): top two bits 0, magic cookie at offset 4
  return buf.length >= 20 && (buf[0]! & 0xc0) === 0 && buf.readUInt32BE(4) === 0x2112a442;
}

/** A concrete address of this host for a wildcard bind, to advertise in Via (loopback as a last resort). */
export function hostAddress(family: 4 | 6): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? [])
      if (!a.internal && a.family === (family === 4 ? 'IPv4' : 'IPv6') && !a.address.startsWith('fe80'))
        return a.address;
  }
  return family === 4 ? '127.0.0.1' : '::1';
}

/** The Request-URI scheme, or undefined when the URI does not parse. */
export function requestScheme(req: SipRequest): string | undefined {
  try {
    return req.uri.scheme;
  } catch {
    return undefined;
  }
}

export function replaceTopVia(req: SipRequest, text: string): void {
  req.removeFirstValue('Via');
  req.prepend('Via', text);
}
