// Host syntax (RFC 3261 §25.1, RFC 5118): host names, IPv4 and IPv6 references, host:port.
import { isIPv6 } from 'node:net';
import { CHAR, HOST, isDigits } from './chars.js';
import { SipParseError } from './errors.js';

/**
 * End of the IPv6 reference `[...]` at b[p] (RFC 3261 §25.1, RFC 5118), within `end`: after
 * its ']', or -1 if there is none or the address is not valid.
 */
export function ipv6ReferenceEnd(s: string, b: Uint8Array, o: number, p: number, end: number): number {
  const close = ipv6CloseB(b, p + 1, end);
  if (close >= 0) return close + 1;
  let q = p + 1;
  while (q < end && b[q] !== 93 /* ] */) q++;
  return q < end && isIPv6Reference(s.slice(p + 1 - o, q - o)) ? q + 1 : -1;
}

/**
 * The ']' closing a plain IPv6 reference whose address starts at b[p] (hex groups, at most one
 * "::"), over the octets without a slice; -1 for anything else (an IPv4 tail, a zone id, the
 * ":::" of RFC 5118 §4.10, any fault), which isIPv6Reference then decides on the text.
 */
function ipv6CloseB(b: Uint8Array, p: number, end: number): number {
  let i = p;
  let groups = 0;
  let gap = false;
  if (i + 1 < end && b[i] === 58 && b[i + 1] === 58) {
    gap = true;
    i += 2;
    if (i < end && b[i] === 93) return i;
  }
  while (i < end) {
    let j = i;
    while (j < end && j - i < 5 && HEX[b[j]!] === 1) j++;
    if (j === i || j - i > 4 || j >= end) return -1;
    groups++;
    const c = b[j];
    if (c === 93 /* ] */) return (gap ? groups <= 7 : groups === 8) ? j : -1;
    if (c !== 58) return -1;
    if (j + 1 < end && b[j + 1] === 58) {
      if (gap) return -1;
      gap = true;
      i = j + 2;
      if (i < end && b[i] === 93) return groups <= 7 ? i : -1;
    } else i = j + 1;
  }
  return -1;
}
const HEX = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (isHexCode(c)) HEX[c] = 1;

/** RFC 5118 §4.10: tolerate the RFC 2373 ABNF bug that allows ":::" before an embedded IPv4. */
export function isIPv6Reference(addr: string): boolean {
  if (isIPv6Address(addr)) return true;
  return addr.includes(':::') && isIPv6Address(addr.replace(':::', '::'));
}

/**
 * IPv6address (RFC 4291 §2.2, RFC 3261 §25.1): 8 groups of 1-4 hex digits, one "::" standing for
 * one or more zero groups, an optional dotted IPv4 tail counting as two groups. One pass; node's
 * regexp-based net.isIPv6 is kept for zone ids only.
 */
export function isIPv6Address(s: string): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return n > 45 && s.includes('%') ? isIPv6(s) : false;
  let i = 0;
  let groups = 0;
  let gap = false;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = true;
    i = 2;
    if (i === n) return true;
  }
  while (i < n) {
    let j = i;
    while (j < n && j - i < 5 && isHexCode(s.charCodeAt(j))) j++;
    const c = s.charCodeAt(j);
    if (c === 46 /* . */) {
      // dotted IPv4 tail, two groups' worth
      if (!isIPv4Tail(s, i)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return c === 37 /* % */ ? isIPv6(s) : false;
    groups++;
    if (j === n) break;
    if (c === 37) return isIPv6(s);
    if (c !== 58) return false;
    if (s.charCodeAt(j + 1) === 58) {
      if (gap) return false;
      gap = true;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === n) return false;
    }
  }
  return gap ? groups <= 7 : groups === 8;
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/** Four decimal octets 0-255 without leading zeros, to the end of s. */
function isIPv4Tail(s: string, i: number): boolean {
  for (let k = 0; k < 4; k++) {
    const st = i;
    let v = 0;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57 && i - st < 4)
      v = v * 10 + s.charCodeAt(i++) - 48;
    const len = i - st;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(st) === 48)) return false;
    if (k < 3) {
      if (s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === s.length;
}

/**
 * End of the hostname / IPv4address (RFC 3261 §25.1) starting at b[p], within `end`: labels of
 * alnum and '-' (not at a label's edges), a trailing dot allowed after a label. -1 if there is
 * no valid host there. One pass, no allocation.
 */
export function hostNameEnd(b: Uint8Array, p: number, end: number): number {
  const start = p;
  let labelStart = p;
  let ok = true;
  for (; p < end; p++) {
    const k = HOST_CLASS[b[p]!]!;
    if (k === 1) continue;
    if (k === 0) break;
    if (k === 2) {
      if (p === labelStart || b[p - 1] === 45) ok = false;
      labelStart = p + 1;
    } else if (p === labelStart) ok = false;
  }
  if (p === labelStart) {
    // empty host, or a trailing dot: allowed after at least one label
    if (p - start < 2) ok = false;
  } else if (b[p - 1] === 45) ok = false;
  return ok && p - start <= 255 ? p : -1;
}

/** 1: alphanum, 2: '.', 3: '-', 0: anything else (ends a hostname). */
const HOST_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++)
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) HOST_CLASS[c] = 1;
HOST_CLASS[46] = 2;
HOST_CLASS[45] = 3;

/** hostname / IPv4address (RFC 3261 §25.1): dot-separated labels of alnum and '-' (one pass, no allocation). */
export function isHostName(h: string): boolean {
  const n = h.length;
  if (n === 0 || n > 255) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      const len = i - labelStart;
      if (len === 0) return i === n && i > 0 && h.charCodeAt(i - 1) === 46 ? n > 1 : false;
      if (h.charCodeAt(labelStart) === 45 || h.charCodeAt(i - 1) === 45) return false;
      labelStart = i + 1;
    } else if (!(c < 256 && CHAR[c]! & HOST)) return false;
  }
  return true;
}

/** A host (name, IPv4, or bracketed IPv6) with optional port, as in Via sent-by. */
export function parseHostPort(s: string): { host: string; port: number | undefined } {
  let p: number;
  let host: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || !isIPv6Reference(s.slice(1, close))) throw new SipParseError('invalid IPv6 reference', 0);
    host = s.slice(0, close + 1);
    p = close + 1;
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    if (!isHostName(host)) {
      throw new SipParseError('invalid host', 0);
    }
    p = host.length;
  }
  let port: number | undefined;
  if (p < s.length) {
    if (s[p] !== ':' || !isDigits(s.slice(p + 1))) throw new SipParseError('invalid port', p);
    port = Number(s.slice(p + 1));
    if (port > 65535) throw new SipParseError('port out of range', p + 1);
  }
  return { host, port };
}
