import { CHAR, TOKEN, latin1Bytes } from '../chars.js';
import { SipParseError } from '../errors.js';
import { Params, type Param } from '../params.js';
import { Scanner, lwsEndB, splitList, trimLws } from '../scanner.js';
import { parseSipUri, parseUri, sipScheme, type Uri } from '../uri.js';
import { fromWire, toWire } from '../wire.js';
import { parseGenericParams, quote, simpleParamsEnd, unquote } from './params.js';

/**
 * name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route, Path,
 * Refer-To, Referred-By (RFC 3261 §20, RFC 3515, RFC 3892).
 */
export class NameAddr {
  /** Display name as text (quotes and escapes removed, UTF-8 decoded); undefined if none. */
  displayName: string | undefined;
  uri: Uri;
  params: Params;
  /** Whether the URI was (or must be) written in <...>. */
  angle: boolean;

  constructor(uri: Uri, opts: { displayName?: string | undefined; params?: Params; angle?: boolean } = {}) {
    this.uri = uri;
    this.displayName = opts.displayName;
    this.params = opts.params ?? new Params();
    this.angle = opts.angle ?? true;
  }
  get tag(): string | undefined {
    return this.params.get('tag') ?? undefined;
  }
  set tag(v: string | undefined) {
    if (v === undefined) this.params.delete('tag');
    else this.params.set('tag', v);
  }
  /** Contact `expires` parameter as a number, if present and valid. */
  get expires(): number | undefined {
    const v = this.params.get('expires');
    return v && /^\d+$/.test(v) ? Math.min(Number(v), 0xffffffff) : undefined;
  }
  /** Contact `q` parameter (0..1); undefined when absent. */
  get q(): number | undefined {
    const v = this.params.get('q');
    return v ? Number(v) : undefined;
  }
  /** A parameter's value as text: quotes removed, UTF-8 decoded. */
  param(name: string): string | undefined {
    const v = unquote(this.params.get(name));
    return v === undefined ? undefined : fromWire(v);
  }
  clone(): NameAddr {
    return new NameAddr(this.uri.clone(), {
      displayName: this.displayName,
      params: this.params.clone(),
      angle: this.angle,
    });
  }
  toString(): string {
    const uri = this.uri.toString();
    // RFC 3261 §20: a URI with ',', ';' or '?' must be in <> (and we always use <> with a display name)
    const angle = this.angle || this.displayName !== undefined || /[;,?]/.test(uri);
    let s = '';
    if (this.displayName !== undefined) s += quote(toWire(this.displayName)) + ' ';
    s += angle ? `<${uri}>` : uri;
    return s + this.params.toString();
  }
  toJSON(): unknown {
    return {
      displayName: this.displayName,
      uri: this.uri.toJSON(),
      params: this.params.size ? this.params.toJSON() : undefined,
    };
  }
}

function isDisplayToken(c: number): boolean {
  return c < 256 && (CHAR[c]! & TOKEN) !== 0;
}

/** Parse one name-addr / addr-spec with params from `sc` (stops before ',' or at the end). */
export function parseNameAddrAt(sc: Scanner): NameAddr {
  sc.ws();
  let displayName: string | undefined;
  const s = sc.s;
  if (sc.peek() === 34 /* " */) {
    displayName = fromWire(quotedFast(sc));
    sc.ws();
    if (sc.peek() !== 60) sc.fail('expected "<" after display name');
  } else if (sc.peek() !== 60) {
    // Either `*(token LWS) <uri>` or a bare addr-spec. Look for '<' before any ';' or ','.
    const lt = s.indexOf('<', sc.pos);
    // no '<' at all: a bare addr-spec, nothing to look for
    const stop = lt < 0 ? -1 : firstOf(s, sc.pos);
    if (lt >= 0 && stop >= 0 && stop < lt && s[stop] === ',' && !s.slice(sc.pos, stop).includes(':')) {
      // RFC 4475 §3.1.2.16: an unquoted display name may not hold ','
      sc.fail('invalid character "," in unquoted display name', stop);
    }
    if (lt >= 0 && (stop < 0 || lt < stop)) {
      const start = sc.pos;
      const raw = trimLws(s.slice(start, lt));
      const { b, o } = sc;
      for (let i = o + start, e = i + raw.length; i < e; i++) {
        const c = b[i]!;
        if (!isDisplayToken(c) && c !== 32 && c !== 9) sc.fail('invalid character in unquoted display name', i - o);
      }
      // RFC 4475 §3.1.1.6: no LWS before '<' is tolerated
      displayName = raw.length ? fromWire(raw.replace(/[ \t]+/g, ' ')) : undefined;
      sc.pos = lt;
    }
  }
  let uri: Uri;
  let angle: boolean;
  if (sc.peek() === 60 /* < */) {
    const open = sc.pos;
    const close = s.indexOf('>', open);
    if (close < 0) sc.fail('missing ">"', open);
    const text = s.slice(open + 1, close);
    try {
      uri = parseUri(text, sc.b, sc.o + open + 1);
    } catch (e) {
      // no URI scheme admits whitespace, so it is looked for only to name the fault well
      const sp = firstWs(text);
      if (sp >= 0) sc.fail('whitespace inside <URI>', open + 1 + sp);
      throw relocate(e, open + 1);
    }
    angle = true;
    sc.pos = close + 1;
  } else {
    const start = sc.pos;
    const { b, o } = sc;
    let end = o + start;
    const limit = o + s.length;
    while (end < limit) {
      const c = b[end]!;
      if (c === 59 || c === 44 || c === 32 || c === 9) break;
      end++;
    }
    end -= o;
    const text = s.slice(start, end);
    if (text.length === 0) sc.fail('expected URI');
    // RFC 3261 §20: a URI carrying ',', ';' or '?' must be enclosed in <>
    if (text.includes('?')) sc.fail('URI with headers must be enclosed in <>', start + text.indexOf('?'));
    try {
      uri = parseUri(text, sc.b, sc.o + start);
    } catch (e) {
      throw relocate(e, start);
    }
    angle = false;
    sc.pos = end;
  }
  const params = parseGenericParams(sc);
  return new NameAddr(uri, { displayName, params, angle });
}

/** First ';' or ',' outside a quoted string, or -1. */
function firstOf(s: string, from: number): number {
  let inQ = false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQ) {
      if (c === 92) i++;
      else if (c === 34) inQ = false;
    } else if (c === 34) inQ = true;
    else if (c === 59 || c === 44) return i;
  }
  return -1;
}

function firstWs(s: string): number {
  const a = s.indexOf(' ');
  const b = s.indexOf('\t');
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}

/** quoted-string content; a slice when it holds no quoted-pair (the common case). */
function quotedFast(sc: Scanner): string {
  const s = sc.s;
  const start = sc.pos;
  const close = s.indexOf('"', start + 1);
  if (close > 0) {
    const bs = s.indexOf('\\', start + 1);
    if (bs < 0 || bs > close) {
      const { b, o } = sc;
      for (let i = o + start + 1, e = o + close; i < e; i++) {
        const c = b[i]!;
        if (c < 32 && c !== 9) sc.fail('control character in quoted string', i - o);
      }
      sc.pos = close + 1;
      return s.slice(start + 1, close);
    }
  }
  return sc.quoted();
}

function relocate(e: unknown, base: number): SipParseError {
  if (e instanceof SipParseError) return new SipParseError(e.reason, e.offset + base);
  throw e;
}

/**
 * The common name-addr shapes in one pass over the octets of s[from, end) (s.charCodeAt(i) ===
 * b[o + i]): `"Display" <sip:...>`, `Display <sip:...>`, `<sip:...>` or a bare `sip:...`
 * addr-spec, then `;name=value` parameters. The display name is quoted without quoted-pairs or is
 * tokens separated by one SP; the URI is sip or sips; parameters are tokens or hosts, without
 * LWS. Anything else, and any
 * fault, gives undefined and goes to parseNameAddrAt, which accepts a superset of these shapes and
 * names the fault. (The general path costs a Scanner, several indexOf calls, a regexp test of the
 * display name and a slice of the URI text; name-addrs were a third of a full parse.)
 *
 * @internal exported for the equivalence test
 */
export function fastNameAddr(s: string, b: Uint8Array, o: number, from: number, end: number): NameAddr | undefined {
  const E = o + end;
  let p = o + from;
  let displayName: string | undefined;
  if (p < E && b[p] === 34 /* " */) {
    const ds = p + 1;
    let wide = false;
    for (p = ds; p < E; p++) {
      const c = b[p]!;
      if (c === 34) break;
      if (c === 92 || (c < 32 && c !== 9)) return undefined;
      if (c > 127) wide = true;
    }
    if (p >= E) return undefined;
    displayName = s.slice(ds - o, p - o);
    // UTF-8 in a display name (RFC 3261 §25.1 TEXT-UTF8)
    if (wide) displayName = fromWire(displayName);
    p = lwsEndB(b, p + 1, E);
    if (p >= E || b[p] !== 60 /* < */) return undefined;
  } else if (p < E && CHAR[b[p]!]! & TOKEN && sipScheme(b, p, E) === 0) {
    // `*(token LWS)` display name: tokens separated by one SP (anything else takes the general path)
    const ds = p;
    while (p < E && (CHAR[b[p]!]! & TOKEN || (b[p] === 32 && b[p - 1] !== 32))) p++;
    if (p >= E || b[p] !== 60) return undefined;
    displayName = s.slice(ds - o, (b[p - 1] === 32 ? p - 1 : p) - o);
  }
  let angle = true;
  let ue: number;
  if (p < E && b[p] === 60) p++;
  else {
    // addr-spec: the URI ends at ';' ',' or LWS, and has neither parameters nor headers
    angle = false;
    ue = p;
    while (ue < E && ADDR_SPEC_END[b[ue]!] === 0) ue++;
  }
  // sip: or sips:, case-insensitive (RFC 3261 §19.1.1)
  const sl = sipScheme(b, p, E);
  if (sl === 0) return undefined;
  const scheme = sl === 4 ? 'sip' : 'sips';
  const after = p + sl - o;
  let close: number;
  if (angle) {
    close = s.indexOf('>', after);
    if (close < 0 || close >= end) return undefined;
  } else close = ue! - o;
  let uri: Uri;
  try {
    uri = parseSipUri(s, scheme, after, b, o, close);
  } catch {
    return undefined;
  }
  const list: Param[] = [];
  if (simpleParamsEnd(s, b, o, o + close + (angle ? 1 : 0), E, list) !== E) return undefined;
  return new NameAddr(uri, { displayName, params: new Params(list), angle });
}

/** Octets that end a bare addr-spec's URI: ';' ',' SP HT, and '?' (headers need <>). */
const ADDR_SPEC_END = new Uint8Array(256);
for (const c of [59, 44, 32, 9, 63]) ADDR_SPEC_END[c] = 1;

/** A single name-addr (From, To, Refer-To, Referred-By). */
export function parseNameAddr(value: string, b?: Uint8Array, o = 0): NameAddr {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  const fast = fastNameAddr(value, bytes, base, 0, value.length);
  if (fast) return fast;
  const sc = new Scanner(value, bytes, base);
  const na = parseNameAddrAt(sc);
  sc.ws();
  if (!sc.atEnd) sc.fail(sc.peek() === 44 ? 'more than one value in a single-value header' : 'unexpected character');
  return na;
}

/** A comma list of name-addrs (Contact, Route, Record-Route, Path). */
export function parseNameAddrList(value: string, b?: Uint8Array, o = 0): NameAddr[] {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  // one value (the common case): no split needed. A value the fast path takes whole is one
  // element: it holds a comma only inside quotes or <>, where splitList does not split either.
  const fast = fastNameAddr(value, bytes, base, 0, value.length);
  if (fast) return [fast];
  if (value.indexOf(',') < 0) {
    if (value.length === 0) throw new SipParseError('empty list element', 0);
    return [parseNameAddr(value, bytes, base)];
  }
  const out: NameAddr[] = [];
  for (const part of splitList(value)) {
    if (part.text.length === 0) throw new SipParseError('empty list element', part.offset);
    try {
      out.push(parseNameAddr(part.text, bytes, base + part.offset));
    } catch (e) {
      throw relocate(e, part.offset);
    }
  }
  return out;
}

/** Contact: `*` or a list (RFC 3261 §20.10). */
export function parseContact(value: string, b?: Uint8Array, o = 0): NameAddr[] | '*' {
  if (value.length <= 3 && trimLws(value) === '*') return '*';
  return parseNameAddrList(value, b, o);
}
