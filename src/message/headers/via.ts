import { SipParseError } from '../errors.js';
import { CHAR, TOKEN, isDigits, latin1Bytes } from '../chars.js';
import { Params, type Param } from '../params.js';
import { decimalValueB, digitsEndB, lwsEndB, portEndB, splitList, tokenEndB } from '../scanner.js';
import { GEN_VALUE } from './params.js';
import { hostNameEnd, ipv6ReferenceEnd, isIPv6Reference } from '../uri.js';

/** RFC 3261 §17.1.1.3: branches of RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** One Via value (RFC 3261 §20.42, RFC 3581 rport, RFC 5118 IPv6). */
export class Via {
  protocol: string;
  version: string;
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;

  constructor(init: {
    transport: string;
    host: string;
    port?: number | undefined;
    params?: Params;
    protocol?: string;
    version?: string;
  }) {
    this.protocol = init.protocol ?? 'SIP';
    this.version = init.version ?? '2.0';
    const t = init.transport;
    this.transport = t === 'UDP' || t === 'TCP' || t === 'TLS' || t === 'WSS' || t === 'WS' ? t : t.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
  }
  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }
  set branch(v: string | undefined) {
    if (v === undefined) this.params.delete('branch');
    else this.params.set('branch', v);
  }
  /** True when the branch starts with the RFC 3261 magic cookie and has something after it. */
  get isRfc3261Branch(): boolean {
    const b = this.branch;
    return b !== undefined && b.length > MAGIC_COOKIE.length && b.startsWith(MAGIC_COOKIE);
  }
  get received(): string | undefined {
    return this.params.get('received') ?? undefined;
  }
  /** `rport` as requested (`true` flag) or filled in (number). */
  get rport(): number | true | undefined {
    const v = this.params.get('rport');
    if (v === undefined) return undefined;
    return v === null ? true : Number(v);
  }
  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }
  get ttl(): number | undefined {
    const v = this.params.get('ttl');
    return v ? Number(v) : undefined;
  }
  /** Host without IPv6 brackets. */
  get hostname(): string {
    return this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
  }
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }
  clone(): Via {
    return new Via({
      protocol: this.protocol,
      version: this.version,
      transport: this.transport,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
    });
  }
  toString(): string {
    return `${this.protocol}/${this.version}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }
  toJSON(): unknown {
    return {
      protocol: `${this.protocol}/${this.version}`,
      transport: this.transport,
      host: this.host,
      port: this.port,
      branch: this.branch,
      received: this.received,
      rport: this.rport,
      maddr: this.maddr,
      ttl: this.ttl,
      params: this.params.toJSON(),
    };
  }
}

const enum C {
  HT = 9,
  SP = 32,
  COMMA = 44,
  SLASH = 47,
  COLON = 58,
  SEMI = 59,
  EQUAL = 61,
  LBRACKET = 91,
}

/**
 * One via-parm (RFC 3261 §20.42, §25.1) in s[from, end): a hand-written scanner, one pass over
 * the octets (s.charCodeAt(i) === b[o + i]), substrings only for the fields it returns.
 */
function parseOne(s: string, from: number, end: number, b: Uint8Array, o: number): Via {
  const E = o + end;
  // positions below are in b; fields are cut from s at (position - o)
  const ws = (p: number) => lwsEndB(b, p, E);
  let p = ws(o + from);
  let q: number;
  let protocol = 'SIP';
  let version = '2.0';
  if (s.startsWith('SIP/2.0/', p - o) && E - p > 8) p = ws(p + 8);
  else {
    q = tokenEndB(b, p, E);
    if (q === p) throw new SipParseError('expected protocol name', p - o);
    protocol = s.slice(p - o, q - o);
    p = slash(b, q, E, o);
    q = tokenEndB(b, p, E);
    if (q === p) throw new SipParseError('expected protocol version', p - o);
    version = s.slice(p - o, q - o);
    p = slash(b, q, E, o);
  }
  q = tokenEndB(b, p, E);
  if (q === p) throw new SipParseError('expected transport', p - o);
  const transport = s.slice(p - o, q - o);
  p = ws(q);
  if (p === q) throw new SipParseError('expected LWS before sent-by', p - o);
  // sent-by = host [ COLON port ]; LWS is allowed around the colon
  let host: string;
  const hs = p;
  if (p < E && b[p] === C.LBRACKET) {
    const close = s.indexOf(']', p - o) + o;
    if (close < o || close >= E || !isIPv6Reference(s.slice(p - o + 1, close - o)))
      throw new SipParseError('invalid IPv6 reference', hs - o);
    host = s.slice(p - o, close + 1 - o);
    p = close + 1;
  } else {
    p = hostNameEnd(b, p, E);
    if (p < 0) throw new SipParseError('invalid host', hs - o);
    host = s.slice(hs - o, p - o);
  }
  let port: number | undefined;
  q = ws(p);
  if (q < E && b[q] === C.COLON) {
    const ps = ws(q + 1);
    p = digitsEndB(b, ps, E);
    if (p === ps || p - ps > 5) throw new SipParseError('invalid port', ps - o);
    const n = decimalValueB(b, ps, p);
    if (n > 65535) throw new SipParseError('port out of range', ps - o);
    port = n;
  }
  // *( SEMI via-params )
  const list: Param[] = [];
  for (;;) {
    q = ws(p);
    if (q >= E || b[q] !== C.SEMI) break;
    p = ws(q + 1);
    q = tokenEndB(b, p, E);
    if (q === p) throw new SipParseError('expected parameter name', p - o);
    const name = s.slice(p - o, q - o);
    let value: string | null = null;
    p = ws(q);
    if (p < E && b[p] === C.EQUAL) {
      p = ws(p + 1);
      const vs = p;
      if (p < E && b[p] === 34) {
        p = quotedEnd(b, p, E, o);
      } else {
        while (p < E && GEN_VALUE[b[p]!] === 1) p++;
        if (p === vs) throw new SipParseError(`empty value for parameter "${name}"`, p - o);
      }
      value = s.slice(vs - o, p - o);
    } else p = q;
    checkViaParam(name, value, q - o);
    list.push({ name, value });
  }
  p = ws(p);
  if (p < E) throw new SipParseError('unexpected character in Via', p - o);
  return new Via({ protocol, version, transport, host, port, params: new Params(list) });
}

function slash(b: Uint8Array, p: number, end: number, o: number): number {
  p = lwsEndB(b, p, end);
  if (p >= end || b[p] !== C.SLASH) throw new SipParseError('expected "/"', p - o);
  return lwsEndB(b, p + 1, end);
}

/** End of the quoted-string starting at b[p] (RFC 3261 §25.1 quoted-pair aware). */
function quotedEnd(b: Uint8Array, p: number, end: number, o: number): number {
  const start = p;
  p++;
  while (p < end) {
    const c = b[p]!;
    if (c === 34) return p + 1;
    if (c === 92) {
      if (p + 1 >= end) throw new SipParseError('invalid quoted-pair', p - o);
      const n = b[p + 1]!;
      if (n > 0x7f || n === 0x0a || n === 0x0d) throw new SipParseError('invalid quoted-pair', p - o);
      p += 2;
      continue;
    }
    if (c < 32 && c !== 9) throw new SipParseError('control character in quoted string', p - o);
    p++;
  }
  throw new SipParseError('unterminated quoted string', start - o);
}

/** ttl, rport and branch have fixed shapes (RFC 3261 §20.42, RFC 3581). */
function checkViaParam(name: string, value: string | null, at: number): void {
  const bad = viaParamFault(name, value);
  if (bad) throw new SipParseError(bad, at);
}

function viaParamFault(name: string, value: string | null): string | undefined {
  const n = name.length;
  // (toLowerCase is a runtime call: only for a name that may be one of these in another case)
  const c0 = name.charCodeAt(0) | 0x20;
  if (n === 6 && c0 === 98 /* b */ && (name === 'branch' || name.toLowerCase() === 'branch')) {
    if (value === null || value.length === 0) return 'empty branch';
  } else if (n === 5 && c0 === 114 /* r */ && (name === 'rport' || name.toLowerCase() === 'rport')) {
    if (value !== null && !(isDigits(value) && value.length <= 5 && Number(value) <= 65535)) return 'invalid rport';
  } else if (n === 3 && c0 === 116 /* t */ && name.toLowerCase() === 'ttl') {
    if (value === null || !(isDigits(value) && value.length <= 3 && Number(value) <= 255)) return 'invalid ttl';
  }
  return undefined;
}

/**
 * The common Via shape, `SIP/2.0/TRANSPORT host[:port]` with token parameters and no LWS inside,
 * in one pass over the octets (s.charCodeAt(i) === b[o + i]), cutting the fields as it goes.
 * Anything else gives undefined and goes to parseOne, which accepts a superset of this shape and
 * names the fault. (Over octets this is as fast as a regex test plus indexOf was, measured A/B, and
 * scans the way every other header scanner here does.)
 *
 * @internal exported for the equivalence test
 */
export function fastVia(v: string, bytes?: Uint8Array, off = 0): Via | undefined {
  return fastViaAt(v, bytes ?? latin1Bytes(v), bytes ? off : 0, 0, v.length);
}

/**
 * fastVia for the value at s[from, end) (s[i] is b[o + i]): a parsed message's header section
 * is read in place, without a slice of the value.
 */
export function fastViaAt(s: string, b: Uint8Array, o: number, from: number, end: number): Via | undefined {
  const n = end - from;
  if (n > 1024 || n < 9) return undefined;
  const S = o + from;
  // `SIP/2.0/` (octet compares: startsWith on a sliced string cost as much as the transport scan)
  for (let i = 0; i < 8; i++) if (b[S + i] !== SIP20[i]) return undefined;
  const E = o + end;
  let p = S + 8;
  // transport: upper-case letters, then exactly one SP
  while (p < E && b[p]! >= 65 && b[p]! <= 90) p++;
  if (p === S + 8 || p >= E || b[p] !== C.SP) return undefined;
  const transport = knownTransport(b, S + 8, p) ?? s.slice(S + 8 - o, p - o);
  const hs = ++p;
  p = b[p] === C.LBRACKET ? ipv6ReferenceEnd(s, b, o, p, E) : hostNameEnd(b, p, E);
  if (p < 0) return undefined;
  const host = s.slice(hs - o, p - o);
  let port: number | undefined;
  if (p < E && b[p] === C.COLON) {
    const ps = p + 1;
    p = portEndB(b, ps, E);
    if (p < 0) return undefined;
    port = decimalValueB(b, ps, p);
  }
  const list: Param[] = [];
  while (p < E) {
    if (b[p] !== C.SEMI) return undefined;
    const ns = ++p;
    while (p < E && CHAR[b[p]!]! & TOKEN) p++;
    if (p === ns) return undefined;
    const name = s.slice(ns - o, p - o);
    let value: string | null = null;
    if (p < E && b[p] === C.EQUAL) {
      const vs = ++p;
      while (p < E && GEN_VALUE[b[p]!] === 1) p++;
      if (p === vs) return undefined;
      value = s.slice(vs - o, p - o);
    }
    if (viaParamFault(name, value)) return undefined;
    list.push({ name, value });
  }
  return new Via({ protocol: 'SIP', version: '2.0', transport, host, port, params: new Params(list) });
}

const SIP20 = Uint8Array.from('SIP/2.0/', (ch) => ch.charCodeAt(0));

/** UDP, TCP, TLS, WS or WSS at b[a, e) as the shared constant (no copy per Via), else undefined. */
function knownTransport(b: Uint8Array, a: number, e: number): string | undefined {
  const n = e - a;
  const c0 = b[a];
  if (n === 3) {
    if (c0 === 85 /* U */) return b[a + 1] === 68 && b[a + 2] === 80 ? 'UDP' : undefined;
    if (c0 !== 84 /* T */) return c0 === 87 && b[a + 1] === 83 && b[a + 2] === 83 ? 'WSS' : undefined;
    if (b[a + 1] === 67) return b[a + 2] === 80 ? 'TCP' : undefined;
    return b[a + 1] === 76 && b[a + 2] === 83 ? 'TLS' : undefined;
  }
  return n === 2 && c0 === 87 && b[a + 1] === 83 ? 'WS' : undefined;
}

export function parseVia(value: string, bytes?: Uint8Array, off = 0): Via[] {
  // (a value the fast path takes holds no comma)
  const fast = fastVia(value, bytes, off);
  if (fast) return [fast];
  if (value.indexOf(',') < 0) {
    if (/^[ \t]*$/.test(value)) throw new SipParseError('empty Via value', 0);
    return [parseOne(value, 0, value.length, bytes ?? latin1Bytes(value), bytes ? off : 0)];
  }
  const b = bytes ?? latin1Bytes(value);
  const o = bytes ? off : 0;
  const out: Via[] = [];
  for (const part of splitList(value)) {
    if (part.text.length === 0) throw new SipParseError('empty Via value', part.offset);
    // part.text is value[part.offset, ...): scan it in place
    out.push(parseOne(value, part.offset, part.offset + part.text.length, b, o));
  }
  return out;
}
