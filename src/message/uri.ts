import { isIPv6 } from 'node:net';
import {
  CHAR,
  HNV,
  HOST,
  PARAM,
  PASSWORD,
  USER,
  badEscapedIndex,
  isDigits,
  isHex,
  latin1Bytes,
  unescape,
} from './chars.js';
import { SipParseError } from './errors.js';
import { Params, type Param } from './params.js';
import { decimalValueB, portEndB } from './scanner.js';

/** sip: / sips: URI (RFC 3261 §19.1). Textual parts are kept escaped, as written. */
export class SipUri {
  readonly kind = 'sip' as const;
  scheme: 'sip' | 'sips';
  user: string | undefined;
  password: string | undefined;
  /** Host as written; an IPv6 reference keeps its brackets. */
  host: string;
  port: number | undefined;
  params: Params;
  headers: Params;

  constructor(init: {
    scheme?: 'sip' | 'sips';
    user?: string | undefined;
    password?: string | undefined;
    host: string;
    port?: number | undefined;
    params?: Params;
    headers?: Params;
  }) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
    this.headers = init.headers ?? new Params();
  }

  /** The user part with %HH escapes resolved once (octets as a binary string). */
  get userDecoded(): string | undefined {
    return this.user === undefined ? undefined : unescape(this.user);
  }
  /** Host without IPv6 brackets, lower-cased — what you connect to. */
  get hostname(): string {
    const h = this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
    return h.toLowerCase();
  }
  get transport(): string | undefined {
    const t = this.params.get('transport');
    return t ? t.toLowerCase() : undefined;
  }
  get lr(): boolean {
    return this.params.has('lr');
  }
  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }
  /** The decoded value of an embedded header (`?Replaces=...`), if present. */
  header(name: string): string | undefined {
    const v = this.headers.get(name);
    return v === undefined || v === null ? undefined : unescape(v);
  }
  clone(): SipUri {
    return new SipUri({
      scheme: this.scheme,
      user: this.user,
      password: this.password,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
      headers: this.headers.clone(),
    });
  }
  /** Host and port as `host:port` (port only if set). */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }
  toString(): string {
    let s = this.scheme + ':';
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.hostport;
    s += this.params.toString();
    if (this.headers.size > 0) {
      s += '?' + this.headers.list.map((h) => `${h.name}=${h.value ?? ''}`).join('&');
    }
    return s;
  }
  toJSON(): unknown {
    return {
      scheme: this.scheme,
      user: this.user,
      password: this.password === undefined ? undefined : '***',
      host: this.host,
      port: this.port,
      params: this.params.toJSON(),
      headers: this.headers.size ? this.headers.toJSON() : undefined,
    };
  }
}

/** tel: URI (RFC 3966): the number and its parameters. */
export class TelUri {
  readonly kind = 'tel' as const;
  readonly scheme = 'tel';
  constructor(
    public number: string,
    public params: Params = new Params(),
  ) {}
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }
  clone(): TelUri {
    return new TelUri(this.number, this.params.clone());
  }
  toString(): string {
    return `tel:${this.number}${this.params.toString()}`;
  }
  toJSON(): unknown {
    return { scheme: 'tel', number: this.number, params: this.params.toJSON() };
  }
}

/** Any other absolute URI (RFC 3986): kept opaque. */
export class AbsoluteUri {
  readonly kind = 'absolute' as const;
  constructor(
    public scheme: string,
    public opaque: string,
  ) {}
  clone(): AbsoluteUri {
    return new AbsoluteUri(this.scheme, this.opaque);
  }
  toString(): string {
    return `${this.scheme}:${this.opaque}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, opaque: this.opaque };
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

function isSchemeChar(c: number, first: boolean): boolean {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (first) return alpha;
  return alpha || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

/**
 * Parse a URI. Offsets in errors are relative to `s`. A parser that holds the octets already
 * passes them: s.charCodeAt(i) === b[o + i] (see Scanner).
 */
export function parseUri(s: string, b?: Uint8Array, o = 0): Uri {
  // sip: and sips: first (RFC 3261 §19.1.1; schemes are case-insensitive)
  if (b) {
    const sl = sipScheme(b, o, o + s.length);
    if (sl > 0) return parseSipUri(s, sl === 4 ? 'sip' : 'sips', sl, b, o);
  } else if ((s.charCodeAt(0) | 0x20) === 115 && (s.charCodeAt(1) | 0x20) === 105 && (s.charCodeAt(2) | 0x20) === 112) {
    const c3 = s.charCodeAt(3);
    if (c3 === 58) return parseSipUri(s, 'sip', 4, b, o);
    if ((c3 | 0x20) === 115 && s.charCodeAt(4) === 58) return parseSipUri(s, 'sips', 5, b, o);
  }
  let i = 0;
  while (i < s.length && isSchemeChar(s.charCodeAt(i), i === 0)) i++;
  if (i === 0 || s.charCodeAt(i) !== 58 /* : */) throw new SipParseError('invalid URI scheme', i);
  if (
    (i === 3 || i === 4) &&
    (s.charCodeAt(0) | 0x20) === 115 &&
    (s.charCodeAt(1) | 0x20) === 105 &&
    (s.charCodeAt(2) | 0x20) === 112
  ) {
    if (i === 3) return parseSipUri(s, 'sip', 4, b, o);
    if ((s.charCodeAt(3) | 0x20) === 115) return parseSipUri(s, 'sips', 5, b, o);
  }
  const scheme = s.slice(0, i).toLowerCase();
  if (scheme === 'tel') return parseTelUri(s, i + 1);
  // RFC 3986 absolute-URI: no whitespace, quotes or angle brackets.
  for (let p = i + 1; p < s.length; p++) {
    const c = s.charCodeAt(p);
    if (c <= 32 || c >= 127 || c === 34 || c === 60 || c === 62) throw new SipParseError('invalid character in URI', p);
  }
  if (i + 1 >= s.length) throw new SipParseError('empty URI after scheme', i + 1);
  return new AbsoluteUri(scheme, s.slice(i + 1));
}

/**
 * The sip/sips URI in s[start - scheme, limit): `start` is just after the scheme's colon. Error
 * offsets are in s. (A name-addr parser passes its whole value and the URI's bounds in it.)
 */
/** Length of a `sip:` (4) or `sips:` (5) scheme at b[p], case-insensitive; 0 if neither. */
export function sipScheme(b: Uint8Array, p: number, end: number): number {
  if (end - p < 5 || (b[p]! | 0x20) !== 115 || (b[p + 1]! | 0x20) !== 105 || (b[p + 2]! | 0x20) !== 112) return 0;
  if (b[p + 3] === 58) return 4;
  return (b[p + 3]! | 0x20) === 115 && b[p + 4] === 58 ? 5 : 0;
}

export function parseSipUri(
  s: string,
  scheme: 'sip' | 'sips',
  start: number,
  bytes?: Uint8Array,
  off = 0,
  limit = s.length,
): SipUri {
  const b = bytes ?? latin1Bytes(s);
  const o = bytes ? off : 0;
  return sipUriOnePass(s, scheme, start, b, o, limit) ?? sipUriGeneral(s, scheme, start, b, o, limit);
}

/**
 * The common shapes in one pass: `user@host[:port]` or `host[:port]` with parameters and
 * headers. Anything else (a password, a user part the general scanner must read) and any fault
 * gives undefined: sipUriGeneral looks for the '@' and the '?' first, decides, and names the fault.
 *
 * A host name run is read first. Ended by ':', ';', '?' or the end, it is the host (no userinfo:
 * Route, Record-Route and many Request-URIs), read once; nothing after it may then hold an '@'
 * (parameters and the port stop at one, the headers are searched). Ended by '@', it was the user
 * part (host chars are all user chars). Otherwise the user part has other chars: it is read as
 * a run of user chars ended by '@'.
 */
/** @internal exported for the equivalence test */
export function sipUriOnePass(
  s: string,
  scheme: 'sip' | 'sips',
  start: number,
  b: Uint8Array,
  o: number,
  limit: number,
): SipUri | undefined {
  const L = o + limit;
  const st = o + start;
  let user: string | undefined;
  let hs = st;
  let p = b[st] === 91 /* [ */ ? -1 : hostNameEnd(b, st, L);
  if (p > st && p < L && b[p] === 64 /* @ */) {
    user = s.slice(start, p - o);
    hs = p + 1;
    p = b[hs] === 91 ? ipv6ReferenceEnd(s, b, o, hs, L) : hostNameEnd(b, hs, L);
  } else if (p < 0 || (p < L && b[p] !== 58 && b[p] !== 59 && b[p] !== 63)) {
    const u = userEnd(b, st, L);
    if (u < L && b[u] === 64) {
      if (u === st) return undefined;
      user = s.slice(start, u - o);
      hs = u + 1;
    } else if (u === st && b[u] === 91 && noAt(s, start, limit)) hs = u;
    else return undefined;
    p = b[hs] === 91 ? ipv6ReferenceEnd(s, b, o, hs, L) : hostNameEnd(b, hs, L);
  }
  if (p < 0) return undefined;
  const host = s.slice(hs - o, p - o);
  let port: number | undefined;
  if (p < L && b[p] === 58) {
    const ps = p + 1;
    p = portEndB(b, ps, L);
    if (p < 0) return undefined;
    port = decimalValueB(b, ps, p);
  }
  // uri-parameters up to the headers' '?' (no paramchar is '?')
  const list: Param[] = [];
  while (p < L && b[p] !== 63 /* ? */) {
    if (b[p] !== 59 /* ; */) return undefined;
    const ns = ++p;
    p = paramEnd(b, p, L);
    if (p === ns) return undefined;
    const name = s.slice(ns - o, p - o);
    let value: string | null = null;
    if (p < L && b[p] === 61 /* = */) {
      const vs = ++p;
      p = paramEnd(b, p, L);
      if (p === vs) return undefined;
      value = s.slice(vs - o, p - o);
    }
    list.push({ name, value });
  }
  // without userinfo, an '@' in the headers would make what came before it a user part
  if (p < L && user === undefined && !noAt(s, p - o, limit)) return undefined;
  const headers = p < L ? uriHeaders(s, p - o, limit, b, o) : new Params();
  return new SipUri({ scheme, user, password: undefined, host, port, params: new Params(list), headers });
}

/** `?hname=hvalue&...` from s[q] (the '?') to `limit` (RFC 3261 §19.1.1, §25.1), over the octets. */
function uriHeaders(s: string, q: number, limit: number, b: Uint8Array, o: number): Params {
  const headers = new Params();
  const L = o + limit;
  let p = o + q + 1;
  if (p >= L) throw new SipParseError('empty URI headers', p - o);
  for (;;) {
    let pe = p;
    while (pe < L && b[pe] !== 38 /* & */) pe++;
    let eq = p;
    while (eq < pe && b[eq] !== 61 /* = */) eq++;
    if (eq === pe || eq === p) throw new SipParseError('URI header without name=value', p - o);
    if (escapedEnd(b, p, eq, HNV) !== eq || escapedEnd(b, eq + 1, pe, HNV) !== pe)
      throw new SipParseError('invalid character in URI header', p - o);
    headers.list.push({ name: s.slice(p - o, eq - o), value: s.slice(eq + 1 - o, pe - o) });
    if (pe >= L) return headers;
    p = pe + 1;
  }
}

/** @internal exported for the equivalence test */
export function sipUriGeneral(
  s: string,
  scheme: 'sip' | 'sips',
  start: number,
  b: Uint8Array,
  o: number,
  limit: number,
): SipUri {
  // '@' may not appear unescaped after the userinfo, while the user part may hold '?' and ';'
  // (RFC 4475 §3.1.1.2, §3.1.1.9): so find the '@' first, then the headers' '?'.
  let at = s.indexOf('@', start);
  if (at >= limit) at = -1;
  let q = s.indexOf('?', at < 0 ? start : at);
  if (q >= limit) q = -1;
  const end = q < 0 ? limit : q;
  let user: string | undefined;
  let password: string | undefined;
  let p = start;
  if (at >= start) {
    // user: USER octets and %HH escapes up to ':' (password follows) or '@', in one pass
    const u = userEnd(b, o + start, o + at) - o;
    if (u === start && (u === at || s.charCodeAt(u) === 58)) throw new SipParseError('empty user part', start);
    if (u < at && s.charCodeAt(u) !== 58) throw new SipParseError('invalid character in URI user part', u);
    user = s.slice(start, u);
    if (u < at) {
      password = s.slice(u + 1, at);
      const bad = badEscapedIndex(password, PASSWORD);
      if (bad >= 0) throw new SipParseError('invalid character in URI password', u + 1 + bad);
    }
    p = at + 1;
  }
  // host
  let host: string;
  if (s.charCodeAt(p) === 91 /* [ */) {
    const close = s.indexOf(']', p);
    if (close < 0 || close >= limit) throw new SipParseError('unterminated IPv6 reference', p);
    const addr = s.slice(p + 1, close);
    if (!isIPv6Reference(addr)) throw new SipParseError('invalid IPv6 address', p + 1);
    host = s.slice(p, close + 1);
    p = close + 1;
  } else {
    const hs = p;
    const he = hostNameEnd(b, o + p, o + end);
    if (he < 0)
      throw new SipParseError(
        s.charCodeAt(hs) === 46 || (CHAR[s.charCodeAt(hs)]! & HOST) !== 0 ? 'invalid host' : 'missing host',
        hs,
      );
    p = he - o;
    host = s.slice(hs, p);
  }
  let port: number | undefined;
  if (p < end && b[o + p] === 58) {
    const ps = ++p;
    // leading zeros are allowed (port = 1*DIGIT)
    let n = 0;
    while (p < end) {
      const d = b[o + p]! - 48;
      if (d < 0 || d > 9) break;
      if (n <= 65535) n = n * 10 + d;
      p++;
    }
    if (p === ps) throw new SipParseError('invalid port', ps);
    if (n > 65535) throw new SipParseError('port out of range', ps);
    port = n;
  }
  // uri-parameters (RFC 3261 §19.1.1): one pass, %HH escapes checked in place
  const list: Param[] = [];
  const oe = o + end;
  while (p < end) {
    if (b[o + p] !== 59 /* ; */) throw new SipParseError('unexpected character in URI', p);
    const ns = ++p;
    p = paramEnd(b, o + p, oe) - o;
    let c = p < end ? b[o + p]! : -1;
    if (p === ns)
      throw new SipParseError(
        p >= end || c === 59 || c === 61 ? 'empty URI parameter' : 'invalid character in URI parameter',
        p,
      );
    const name = s.slice(ns, p);
    let value: string | null = null;
    if (c === 61 /* = */) {
      const vs = ++p;
      p = paramEnd(b, o + p, oe) - o;
      c = p < end ? b[o + p]! : -1;
      if (p === vs && (p >= end || c === 59)) throw new SipParseError('empty URI parameter value', vs);
      value = s.slice(vs, p);
    }
    if (p < end && c !== 59) throw new SipParseError('invalid character in URI parameter', p);
    list.push({ name, value });
  }
  const params = new Params(list);
  const headers = q >= 0 ? uriHeaders(s, q, limit, b, o) : new Params();
  return new SipUri({ scheme, user, password, host, port, params, headers });
}

function parseTelUri(s: string, start: number): TelUri {
  const semi = s.indexOf(';', start);
  const number = s.slice(start, semi < 0 ? s.length : semi);
  if (!/^\+?[0-9A-Fa-f*#().-]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number)) {
    throw new SipParseError('invalid telephone number', start);
  }
  const params = new Params();
  if (semi >= 0) {
    let p = semi + 1;
    for (const part of s.slice(semi + 1).split(';')) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      if (!name || badEscapedIndex(name, PARAM) >= 0 || (eq >= 0 && badEscapedIndex(part.slice(eq + 1), PARAM) >= 0)) {
        throw new SipParseError('invalid tel URI parameter', p);
      }
      params.list.push({ name, value: eq < 0 ? null : part.slice(eq + 1) });
      p += part.length + 1;
    }
  }
  return new TelUri(number, params);
}

/** Whether s[from, limit) holds no '@' (then there is no userinfo). */
function noAt(s: string, from: number, limit: number): boolean {
  const at = s.indexOf('@', from);
  return at < 0 || at >= limit;
}

/** End of a run of `flag` octets and valid %HH escapes in b[p, end) (RFC 3261 §25.1 user, paramchar). */
function escapedEnd(b: Uint8Array, p: number, end: number, flag: number): number {
  while (p < end) {
    const c = b[p]!;
    if (CHAR[c]! & flag) p++;
    else if (c === 37 && p + 2 < end && isHex(b[p + 1]!) && isHex(b[p + 2]!)) p += 3;
    else break;
  }
  return p;
}
function userEnd(b: Uint8Array, p: number, end: number): number {
  return escapedEnd(b, p, end, USER);
}
function paramEnd(b: Uint8Array, p: number, end: number): number {
  return escapedEnd(b, p, end, PARAM);
}

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

/** URI equality per RFC 3261 §19.1.4 (sip/sips), RFC 3966 §4 (tel), case-insensitive scheme otherwise. */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind === 'sip' && b.kind === 'sip') return sipUriEquals(a, b);
  if (a.kind === 'tel' && b.kind === 'tel') {
    const norm = (n: string) => n.replace(/[-.()]/g, '').toLowerCase();
    return norm(a.number) === norm(b.number) && paramsEqualAll(a.params, b.params);
  }
  if (a.kind === 'absolute' && b.kind === 'absolute') return a.scheme === b.scheme && a.opaque === b.opaque;
  return false;
}

function sipUriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  // userinfo is case-sensitive, compared after unescaping
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && unescape(a.user) !== unescape(b.user!)) return false;
  if ((a.password ?? null) !== (b.password ?? null) && unescape(a.password ?? '') !== unescape(b.password ?? ''))
    return false;
  if (a.hostname !== b.hostname) return false;
  if (a.port !== b.port) return false; // an explicit port never equals an absent one
  // user, ttl, method, maddr and transport must match when present in either
  for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if (va === undefined && vb === undefined) continue;
    if (va === undefined || vb === undefined) return false;
    if (unescape(va ?? '').toLowerCase() !== unescape(vb ?? '').toLowerCase()) return false;
  }
  // any other parameter appearing in both must match
  for (const p of a.params) {
    const vb = b.params.get(p.name);
    if (vb === undefined) continue;
    if (unescape(p.value ?? '').toLowerCase() !== unescape(vb ?? '').toLowerCase()) return false;
  }
  // headers: all must be present in both and equal
  if (a.headers.size !== b.headers.size) return false;
  for (const h of a.headers) {
    const vb = b.headers.get(h.name);
    if (vb === undefined || unescape(vb ?? '') !== unescape(h.value ?? '')) return false;
  }
  return true;
}

function paramsEqualAll(a: Params, b: Params): boolean {
  if (a.size !== b.size) return false;
  for (const p of a) {
    const v = b.get(p.name);
    if (v === undefined || (v ?? '').toLowerCase() !== (p.value ?? '').toLowerCase()) return false;
  }
  return true;
}
