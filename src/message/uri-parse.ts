// Parsing a URI from text (or in place, over the message's octets): RFC 3261 §19.1, RFC 3966.
import { CHAR, HNV, HOST, PARAM, PASSWORD, USER, badEscapedIndex, isHex, latin1Bytes } from './chars.js';
import { SipParseError } from './errors.js';
import { Params, type Param } from './params.js';
import { decimalValueB, portEndB } from './scanner.js';
import { hostNameEnd, ipv6ReferenceEnd, isIPv6Reference } from './host.js';
import { AbsoluteUri, SipUri, TelUri, type Uri } from './uri-types.js';

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
