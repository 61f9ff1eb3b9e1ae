import { SipParseError } from './errors.js';
import { CHAR, TOKEN } from './chars.js';
import { COMPACT_FORMS, canonicalName, headerKey } from './header-names.js';
import { ID_VIA, KNOWN_KEYS, headerId } from './header-ids.js';
import { AuthHeader, parseAuth } from './headers/auth.js';
import { NameAddr, fastNameAddr, parseContact, parseNameAddr, parseNameAddrList } from './headers/name-addr.js';
import {
  parseAccept,
  parseCSeq,
  parseCallId,
  parseContentType,
  parseInteger,
  parseReason,
  parseReplaces,
  parseRetryAfter,
  parseSubscriptionState,
  parseTokenList,
  parseTokenParams,
  parseWarning,
  parseDate,
  type CSeq,
  type MediaType,
  type Reason,
  type Replaces,
  type RetryAfter,
  type SubscriptionState,
  type TokenWithParams,
  type Warning,
} from './headers/simple.js';
import { Via, fastViaAt, parseVia } from './headers/via.js';
import { splitList, trimLws } from './scanner.js';
import { parseUri, type Uri } from './uri.js';
import { fromWire, toWire } from './wire.js';

/** One header field line (possibly folded) as received, or as added by the stack. */
export interface HeaderField {
  /** Name as written on the wire (compact forms stay compact). */
  name: string;
  /** Canonical lower-case long name: the lookup key. */
  key: string;
  /** Value in wire form (octets as latin1), folding replaced by SP, outer LWS trimmed. */
  value: string;
  /** The original line(s) without the final CRLF, for byte-exact re-serialisation. */
  raw?: string | undefined;
  /** Byte offset of the value within the message, -1 for fields added locally. */
  offset: number;
}

/** How each header the stack understands is parsed; `list` headers combine across lines (RFC 3261 §7.3.1). */
const PARSERS: Record<string, { list: boolean; parse: (v: string, b?: Uint8Array, o?: number) => unknown }> = {
  via: { list: true, parse: parseVia },
  from: { list: false, parse: parseNameAddr },
  to: { list: false, parse: parseNameAddr },
  'call-id': { list: false, parse: parseCallId },
  cseq: { list: false, parse: parseCSeq },
  'max-forwards': { list: false, parse: (v, b, o) => parseInteger(v, 255, 'Max-Forwards', b, o) },
  contact: { list: true, parse: parseContact },
  route: { list: true, parse: parseNameAddrList },
  'record-route': { list: true, parse: parseNameAddrList },
  path: { list: true, parse: parseNameAddrList },
  'content-type': { list: false, parse: parseContentType },
  'content-length': { list: false, parse: (v, b, o) => parseInteger(v, 0xffffffff, 'Content-Length', b, o) },
  expires: { list: false, parse: (v, b, o) => parseInteger(v, 0xffffffff, 'Expires', b, o) },
  'min-expires': { list: false, parse: (v, b, o) => parseInteger(v, 0xffffffff, 'Min-Expires', b, o) },
  allow: { list: true, parse: parseTokenList },
  supported: { list: true, parse: parseTokenList },
  require: { list: true, parse: parseTokenList },
  'proxy-require': { list: true, parse: parseTokenList },
  unsupported: { list: true, parse: parseTokenList },
  'allow-events': { list: true, parse: parseTokenList },
  accept: { list: true, parse: parseAccept },
  event: { list: false, parse: (v, b, o) => parseTokenParams(v, 'event type', b, o) },
  'subscription-state': { list: false, parse: parseSubscriptionState },
  'refer-to': { list: false, parse: parseNameAddr },
  'referred-by': { list: false, parse: parseNameAddr },
  replaces: { list: false, parse: parseReplaces },
  'refer-sub': { list: false, parse: (v, b, o) => parseTokenParams(v, 'Refer-Sub value', b, o) },
  authorization: { list: true, parse: (v, b, o) => [parseAuth(v, b, o)] },
  'proxy-authorization': { list: true, parse: (v, b, o) => [parseAuth(v, b, o)] },
  'www-authenticate': { list: true, parse: (v, b, o) => [parseAuth(v, b, o)] },
  'proxy-authenticate': { list: true, parse: (v, b, o) => [parseAuth(v, b, o)] },
  reason: { list: true, parse: parseReason },
  'retry-after': { list: false, parse: parseRetryAfter },
  warning: { list: true, parse: parseWarning },
  date: { list: false, parse: parseDate },
};

/**
 * A typed header whose value failed to parse. Only the headers every element needs (MANDATORY_IDS)
 * make a message unparseable; a fault in any other header is kept with the message (its raw value
 * stays readable, and is forwarded as received), and the element decides whether it matters
 * (see needed.ts). Liberal receiving: RFC 3261 §7.3.1's robustness, RFC 4475 §3.1.2.12.
 */
export interface HeaderFault {
  /** Canonical header name, e.g. "Referred-By". */
  header: string;
  /** Lower-case long name, as HeaderField.key. */
  key: string;
  /** What is wrong and where (offset in the message). */
  error: SipParseError;
}

/** A typed header read that never throws for a peer's fault: the value (undefined when absent), or the fault. */
export type HeaderResult<T> = { ok: true; value: T | undefined } | { ok: false; error: SipParseError };

/**
 * Headers whose fault makes the message unparseable: every element needs them (RFC 3261 §8.1.1,
 * §16.3 step 1, §18.3 for Content-Length). Ids in KNOWN_KEYS order.
 */
const MANDATORY_KEYS = ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length'];
const SOFT: boolean[] = KNOWN_KEYS.map((k) => !MANDATORY_KEYS.includes(k));
/** The typed-cache mark of a header whose value failed to parse (the error is in `faults`). */
const FAULT = Symbol('fault');
const BARE_CR = 'bare CR or LF in header value';

/** Header keys whose typed parse the message layer knows. */
export const KNOWN_HEADERS: readonly string[] = Object.keys(PARSERS);

/** Parsers by header id (see header-ids.ts). */
const SPECS = KNOWN_KEYS.map((k) => {
  const spec = PARSERS[k];
  if (!spec) throw new Error(`no parser for known header ${k}`);
  return spec;
});
if (KNOWN_HEADERS.length !== KNOWN_KEYS.length) throw new Error('PARSERS and KNOWN_KEYS differ');

const NO_CACHE = Symbol('none');
/**
 * What a list getter returns for an absent header: one shared, frozen empty list (a getter's list
 * is a read-only view of the message; edits go through set/append/remove).
 */
const NONE: readonly never[] = Object.freeze([]);
/** Copied per message: a packed array of undefined (no holes, no elements-kind transitions). */
const EMPTY_CACHE: unknown[] = new Array<unknown>(KNOWN_KEYS.length).fill(undefined);
/** The same for an eager parse, which finds every header at once: all absent until a line says otherwise. */
const ABSENT_CACHE: unknown[] = new Array<unknown>(KNOWN_KEYS.length).fill(NO_CACHE);

/** What the parser hands a message: the decoded header section and where each line starts. */
export interface ParsedHead {
  /**
   * The message as latin1 (one char per octet) from the start line: the header section, and
   * after it up to 1 KB of the body that the parser decoded with it (never read as header text).
   */
  src: string;
  /** Offset in `src` of each header line, then of the empty line (so line r ends at starts[r + 1] - 1). */
  starts: number[];
  /**
   * Per line, on an eager parse whose names are already checked: (offset of the value area after
   * the colon) * 128 + 64 if folded + (header id + 1). Undefined on a lazy parse.
   */
  ids: number[] | undefined;
  /** Whether any header line is folded (when none is, a lazy read need not look for LFs in values). */
  folded: boolean;
  /** Offset of `src` in `buf`; body bounds in `buf`. */
  base: number;
  buf: Buffer;
  bodyStart: number;
  end: number;
}

// value bounds found by locate() (single-threaded scratch, read right after the call)
let LOC_VS = 0;
/**
 * Set by valueAt(): the message's bytes when the value it returned is exactly src[LOC_VS, ...)
 * (so value[i] is the octet at base + LOC_VS + i, and parsers can read it in place), undefined
 * when unfolding made a new string.
 */
let LOC_BYTES: Uint8Array | undefined;
let LOC_VE = 0;
/**
 * Set by a lazy findLine(): where the value area of the line it returned starts (after the colon,
 * relative to the line start), so locate() need not scan the name again.
 */
let FOUND_AFTER = 0;

/** Throws at the first CR in src[from, end) that does not start a CRLF (end: where the line's LF is). */
function bareCr(src: string, base: number, from: number, end: number): void {
  // the line's own CR is at end - 1: one search per unfolded line
  for (let cr = src.indexOf('\r', from); cr >= 0 && cr < end - 1; cr = src.indexOf('\r', cr + 2)) {
    if (src.charCodeAt(cr + 1) !== 10) throw new SipParseError(BARE_CR, base + cr);
  }
}

/**
 * Header ids whose typed parser rejects a value holding a CR (no CR in any of the character
 * classes, quoted strings or LWS they accept): the eager parse need not search those lines.
 * Checked by a property test; Subscription-State, Replaces, the auth headers, Reason,
 * Retry-After, Warning and Date keep the search (their scanners take text up to a delimiter).
 */
const CR_SAFE: boolean[] = KNOWN_KEYS.map((k) =>
  [
    'via',
    'from',
    'to',
    'call-id',
    'cseq',
    'max-forwards',
    'contact',
    'route',
    'record-route',
    'path',
    'content-type',
    'content-length',
    'expires',
    'min-expires',
    'allow',
    'supported',
    'require',
    'proxy-require',
    'unsupported',
    'allow-events',
    'accept',
    'event',
    'refer-to',
    'referred-by',
    'refer-sub',
  ].includes(k),
);

/**
 * Header ids whose fast path (fastViaAt, fastNameAddr) the eager parse runs on the value in
 * place: Via, From, To, Contact, Route, Record-Route, Path, Refer-To, Referred-By. Whatever it
 * does not take goes to accumulate as before.
 */
const IN_PLACE: boolean[] = KNOWN_KEYS.map((k) =>
  ['via', 'from', 'to', 'contact', 'route', 'record-route', 'path', 'refer-to', 'referred-by'].includes(k),
);

/** End of line r of the header section (before its CR LF), in src positions. */
function lineEnd(buf: Buffer, base: number, starts: number[], r: number): number {
  const end = starts[r + 1]! - 1;
  return buf[base + end - 1] === 13 ? end - 1 : end;
}

/** A value's bounds into LOC_VS/LOC_VE: from p (after the colon) and LWS, to `end` less LWS. */
function valueBounds(buf: Buffer, base: number, p: number, end: number): void {
  let c: number;
  while (p < end && ((c = buf[base + p]!) === 32 || c === 9)) p++;
  let ve = end;
  while (ve > p && ((c = buf[base + ve - 1]!) === 32 || c === 9)) ve--;
  LOC_VS = p;
  LOC_VE = ve;
}

export abstract class SipMessage {
  /** Header fields once materialised; parsed messages start with only the line index. */
  private _headers: HeaderField[] | undefined;
  private _body: Buffer | undefined;
  /** Bytes this message was parsed from (exactly the message: start line to end of body). */
  private rawBytes: Buffer | undefined;
  protected dirty: boolean;
  /** The parsed header section while it is still the truth (dropped on the first header edit). */
  private head: ParsedHead | undefined;
  /** Whether bare CRs have been checked on every line (eager parse). */
  private checked = true;
  /** Typed values by header id: undefined = not parsed yet, NO_CACHE = absent, FAULT = see faults. */
  private tcache: unknown[] | undefined;
  /** Faults of the headers that are not mandatory, in the order found. */
  private faults: HeaderFault[] | undefined;
  private topViaCache: Via | undefined;

  constructor(headers: HeaderField[], body: Buffer, raw?: Buffer) {
    this._headers = headers;
    this._body = body;
    this.rawBytes = raw;
    this.dirty = raw === undefined;
  }

  abstract get isRequest(): boolean;
  abstract startLine(): string;

  /**
   * @internal Called by the parser. An eager parse (head.ids) calls parseAll at once, which finds
   * every bare CR before the message is handed out.
   */
  attachParsed(head: ParsedHead): void {
    this.head = head;
    this._headers = undefined;
    this._body = undefined;
    this.dirty = false;
    this.checked = head.ids !== undefined;
  }

  /**
   * Bounds of line r's value (after the colon, LWS trimmed) into LOC_VS/LOC_VE. On a lazy parse
   * the name is checked here, when the line is first read.
   */
  private locate(r: number, known: number): void {
    // octets are read from the message buffer: src index i is buf[base + i]
    const { buf, base, starts, ids } = this.head!;
    const ls = starts[r]!;
    const end = lineEnd(buf, base, starts, r);
    let c: number;
    const after = ids ? ids[r]! >> 7 : known;
    let p: number;
    if (after > 0) {
      // the name was checked and the colon found (by the eager parse, or by findLine)
      p = ls + after;
    } else {
      p = ls;
      c = buf[base + p]!;
      while (p < end && CHAR[c]! & TOKEN) c = buf[base + ++p]!;
      const nameEnd = p;
      while (p < end && (c === 32 || c === 9)) c = buf[base + ++p]!;
      if (c !== 58 || p >= end || nameEnd === ls) {
        const colon = buf.indexOf(58, base + ls) - base;
        if (colon < 0 || colon >= end) throw new SipParseError('header line without ":"', base + ls);
        // the same faults, at the same offsets, as the eager scan reports (parse.ts scanName)
        throw new SipParseError(
          nameEnd === ls && c === 58 ? 'empty header name' : 'invalid character in header name',
          base + nameEnd,
        );
      }
      p++;
    }
    valueBounds(buf, base, p, end);
  }

  /**
   * The value of line r: folding replaced by SP (RFC 3261 §7.3.1); a bare CR is an error.
   * `known`: the value area's start from findLine (0: scan the name). `crSafe`: the caller's typed
   * parser rejects any CR, and accumulate names it (see CR_SAFE), so an unfolded line need not be
   * searched for one here.
   */
  private valueAt(r: number, known = 0, crSafe = false): string {
    this.locate(r, known);
    const vs = LOC_VS;
    const head = this.head!;
    let v = head.src.slice(vs, LOC_VE);
    LOC_BYTES = head.buf;
    // an eager parse knows which lines are folded; a lazy one looks, if the framing saw any fold
    const folded = head.ids ? (head.ids[r]! & 64) !== 0 : head.folded && v.indexOf('\n') >= 0;
    if (folded) {
      v = unfold(v);
      LOC_BYTES = undefined;
    }
    if (!this.checked && (folded || !crSafe)) {
      const cr = v.indexOf('\r');
      if (cr >= 0) throw new SipParseError(BARE_CR, this.head!.base + vs + cr);
    }
    return v;
  }

  /** The first line at or after `from` that is header `id`, or -1. */
  private findLine(id: number, from: number): number {
    const head = this.head!;
    const n = head.starts.length - 1;
    const ids = head.ids;
    if (ids) {
      for (let r = from; r < n; r++) if ((ids[r]! & 63) - 1 === id) return r;
      return -1;
    }
    // lazy: most lines are ruled out by their first octet
    const { buf, base, starts } = head;
    const key = KNOWN_KEYS[id]!;
    const k0 = key.charCodeAt(0);
    const kc = COMPACT_OF[id]!;
    for (let r = from; r < n; r++) {
      const ls = base + starts[r]!;
      const c0 = buf[ls]! | 0x20;
      if (c0 === k0 || c0 === kc) {
        const after = nameIs(buf, ls, base + starts[r + 1]!, key, kc);
        if (after > 0) {
          FOUND_AFTER = after;
          return r;
        }
      }
    }
    return -1;
  }

  /**
   * The first line at or after `from` whose header is `key` (a canonical key; `id` its header id,
   * -1 for headers the layer keeps untyped), or -1. Untyped names are compared in place.
   */
  private findKey(key: string, id: number, from: number): number {
    if (id >= 0) return this.findLine(id, from);
    const { buf, base, starts, ids } = this.head!;
    const n = starts.length - 1;
    const k0 = key.charCodeAt(0);
    const kc = COMPACT_LETTER.get(key) ?? -1;
    for (let r = from; r < n; r++) {
      // an eager parse has classified the line: a typed header is not `key`
      if (ids && (ids[r]! & 63) !== 0) continue;
      const ls = base + starts[r]!;
      const c0 = lower(buf[ls]!);
      if ((c0 === k0 || c0 === kc) && nameIs(buf, ls, base + starts[r + 1]!, key, kc) > 0) return r;
    }
    return -1;
  }

  /** Header name of line r as written. */
  private nameAt(r: number): string {
    const { src, starts } = this.head!;
    const ls = starts[r]!;
    let ne = ls;
    while (CHAR[src.charCodeAt(ne)]! & TOKEN) ne++;
    return src.slice(ls, ne);
  }

  private materialize(): HeaderField[] {
    const head = this.head;
    if (!head) return [];
    const out: HeaderField[] = [];
    const { src, starts } = head;
    for (let r = 0; r + 1 < starts.length; r++) {
      const ls = starts[r]!;
      const value = this.valueAt(r);
      const vs = LOC_VS;
      const name = this.nameAt(r);
      let end = starts[r + 1]! - 1;
      if (src.charCodeAt(end - 1) === 13) end--;
      const id = head.ids ? (head.ids[r]! & 63) - 1 : -1;
      out.push({
        name,
        key: id >= 0 ? KNOWN_KEYS[id]! : headerKey(name),
        value,
        raw: src.slice(ls, end),
        offset: head.base + vs,
      });
    }
    return out;
  }

  /** The header fields become the truth: materialise what still lives in the parsed bytes. */
  private dropHead(): void {
    if (!this.head) return;
    this._headers ??= this.materialize();
    this._body ??= this.head.buf.subarray(this.head.bodyStart, this.head.end);
    this.head = undefined;
  }

  /** Header fields in order. Edit them through set/append/prepend/remove, or assign a new array. */
  get headers(): HeaderField[] {
    return (this._headers ??= this.materialize());
  }
  set headers(h: HeaderField[]) {
    this._headers = h;
    this.dropHead();
    this.tcache = undefined;
    this.faults = undefined;
    this.topViaCache = undefined;
    this.dirty = true;
  }

  // ---- untyped access -------------------------------------------------------------------

  /** First value of a header as text (UTF-8 decoded), or undefined. Compact names work too. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    if (this.head) {
      // read in place: a parsed message's fields are not built for a lookup
      const r = this.findKey(key, headerId(key), 0);
      return r < 0 ? undefined : fromWire(this.valueAt(r));
    }
    for (const h of this.headers) if (h.key === key) return fromWire(h.value);
    return undefined;
  }
  /** Every line's value of a header, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    if (this.head) {
      const id = headerId(key);
      for (let r = this.findKey(key, id, 0); r >= 0; r = this.findKey(key, id, r + 1))
        out.push(fromWire(this.valueAt(r)));
      return out;
    }
    for (const h of this.headers) if (h.key === key) out.push(fromWire(h.value));
    return out;
  }
  has(name: string): boolean {
    const key = headerKey(name);
    if (this.head) return this.findKey(key, headerId(key), 0) >= 0;
    for (const h of this.headers) if (h.key === key) return true;
    return false;
  }
  /** Number of header lines with this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    if (this.head) {
      const id = headerId(key);
      for (let r = this.findKey(key, id, 0); r >= 0; r = this.findKey(key, id, r + 1)) n++;
      return n;
    }
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  /** Replace every line of `name` with one line holding `value` (at the first one's place). */
  set(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    const field = newField(name, key, value);
    const i = this.headers.findIndex((h) => h.key === key);
    this.headers = this.headers.filter((h) => h.key !== key);
    this.headers.splice(i < 0 ? this.headers.length : i, 0, field);
    return this.touch(key);
  }
  /** Add a line after the last line of the same name (or at the end). */
  append(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    let i = -1;
    for (let j = 0; j < this.headers.length; j++) if (this.headers[j]!.key === key) i = j;
    this.headers.splice(i < 0 ? this.headers.length : i + 1, 0, newField(name, key, value));
    return this.touch(key);
  }
  /** Add a line before the first line of the same name (or at the top): Via, Record-Route. */
  prepend(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    this.headers.splice(i < 0 ? 0 : i, 0, newField(name, key, value));
    return this.touch(key);
  }
  remove(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this.touch(key);
  }
  /** Remove the first value of a list header (top Via, first Route), keeping the rest byte for byte. */
  removeFirstValue(name: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i < 0) return this;
    const first = this.headers[i]!;
    const parts = splitList(first.value);
    if (parts.length <= 1) this.headers.splice(i, 1);
    else
      this.headers.splice(i, 1, {
        name: first.name,
        key,
        value: first.value.slice(parts[1]!.offset),
        offset: first.offset < 0 ? -1 : first.offset + parts[1]!.offset,
      });
    return this.touch(key);
  }
  get body(): Buffer {
    return (this._body ??= this.head ? this.head.buf.subarray(this.head.bodyStart, this.head.end) : Buffer.alloc(0));
  }
  /** Replacing the body marks the message modified; Content-Length follows on serialisation. */
  set body(b: Buffer) {
    this._body = b;
    this.touch();
  }
  setBody(body: Buffer | string, contentType?: string): this {
    this._body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType !== undefined) this.set('Content-Type', contentType);
    if (this._body!.length === 0 && contentType === undefined) this.remove('Content-Type');
    this.set('Content-Length', String(this.body.length));
    return this;
  }
  protected touch(key?: string): this {
    this.dirty = true;
    if (key !== undefined) {
      // the header fields are now the truth; the parsed line index is stale
      this.dropHead();
      const id = headerId(key);
      if (id >= 0 && this.tcache) this.tcache[id] = undefined;
      if (id >= 0 && this.faults) this.faults = this.faults.filter((f) => f.key !== key);
      if (id === ID_VIA) this.topViaCache = undefined;
    }
    return this;
  }

  // ---- typed access (parsed on first use, cached) ---------------------------------------

  /** Parse header `key` with its typed parser; undefined if absent. Throws SipParseError anchored to the message. */
  typed<T>(key: string): T | undefined {
    const id = headerId(key);
    if (id < 0) throw new Error(`no typed parser for header "${key}"`);
    return this.typedId<T>(id);
  }

  /**
   * The typed value of a header, or its fault, never throwing for what the peer sent (a header
   * not in the mandatory set may be malformed and the message still parse: see `headerFaults`).
   */
  parsed<T>(name: string): HeaderResult<T> {
    const id = headerId(headerKey(name));
    if (id < 0) throw new Error(`no typed parser for header "${name}"`);
    try {
      return { ok: true, value: this.typedId<T>(id) };
    } catch (e) {
      if (e instanceof SipParseError) return { ok: false, error: e };
      throw e;
    }
  }

  /**
   * Faults found in headers that are not mandatory (their getters throw the fault; `parsed()` returns
   * it). Complete on an eager parse; on a lazy one, after parseAll().
   */
  get headerFaults(): readonly HeaderFault[] {
    return this.faults ?? NONE;
  }

  /** The cached typed value, else a parse: small, so each getter inlines the cache read. */
  private typedId<T>(id: number): T | undefined {
    const c = this.tcache?.[id];
    if (c === undefined || c === FAULT) return this.parseTyped<T>(id);
    return c === NO_CACHE ? undefined : (c as T);
  }

  private parseTyped<T>(id: number): T | undefined {
    const tc = (this.tcache ??= EMPTY_CACHE.slice());
    if (tc[id] === FAULT) throw this.faultOf(id);
    let result: unknown = NO_CACHE;
    const head = this.head;
    try {
      if (head) {
        const crSafe = CR_SAFE[id]!;
        for (let r = this.findLine(id, 0); r >= 0; r = this.findLine(id, r + 1)) {
          const v = this.valueAt(r, FOUND_AFTER, crSafe);
          result = accumulate(result, v, LOC_BYTES, head.base + LOC_VS, id);
        }
      } else {
        const key = KNOWN_KEYS[id]!;
        for (const h of this._headers!) {
          if (h.key === key) result = accumulate(result, h.value, undefined, Math.max(h.offset, 0), id);
        }
      }
    } catch (e) {
      tc[id] = this.soften(id, e);
      throw e;
    }
    tc[id] = result;
    return result === NO_CACHE ? undefined : (result as T);
  }

  /**
   * A parse error in header `id`: recorded as a fault (returns FAULT for the cache) when the
   * header is not mandatory, else rethrown. A bare CR is a fault of the message's framing, never
   * of one header (it could end the line for another parser: RFC 3261 §7.3.1).
   */
  private soften(id: number, e: unknown): typeof FAULT {
    if (!SOFT[id] || !(e instanceof SipParseError) || e.reason === BARE_CR) throw e;
    const key = KNOWN_KEYS[id]!;
    (this.faults ??= []).push({ header: canonicalName(key), key, error: e });
    return FAULT;
  }

  private faultOf(id: number): SipParseError {
    const key = KNOWN_KEYS[id]!;
    return this.faults!.find((f) => f.key === key)!.error;
  }

  get via(): readonly Via[] {
    return this.typedId<Via[]>(ID_VIA) ?? NONE;
  }
  /** The first Via value only (a proxy or transaction needs no more): parsed on its own, cached. */
  get topVia(): Via | undefined {
    const all = this.tcache?.[ID_VIA];
    if (all !== undefined) return all === NO_CACHE ? undefined : (all as Via[])[0];
    if (this.topViaCache) return this.topViaCache;
    let value: string | undefined;
    let offset = 0;
    let bytes: Uint8Array | undefined;
    const head = this.head;
    if (head) {
      const r = this.findLine(ID_VIA, 0);
      if (r >= 0) {
        // (the rest of the line is not parsed here: it is still searched for a bare CR)
        value = this.valueAt(r, FOUND_AFTER);
        offset = head.base + LOC_VS;
        bytes = LOC_BYTES;
      }
    } else {
      const h = this._headers!.find((f) => f.key === 'via');
      if (h) {
        value = h.value;
        offset = Math.max(h.offset, 0);
      }
    }
    if (value === undefined) return undefined;
    let v: Via;
    try {
      if (value.indexOf(',') < 0) v = parseVia(value, bytes, offset)[0]!;
      else {
        const first = splitList(value)[0]!;
        v = parseVia(first.text, bytes, offset + first.offset)[0]!;
      }
    } catch (e) {
      throw SipParseError.within(e, offset, 'Via');
    }
    return (this.topViaCache = v);
  }
  get from(): NameAddr | undefined {
    return this.typedId(1 /* from */);
  }
  get to(): NameAddr | undefined {
    return this.typedId(2 /* to */);
  }
  get callId(): string | undefined {
    return this.typedId(3 /* call-id */);
  }
  get cseq(): CSeq | undefined {
    return this.typedId(4 /* cseq */);
  }
  get maxForwards(): number | undefined {
    return this.typedId(5 /* max-forwards */);
  }
  /** Contact values, or '*' (REGISTER wildcard). */
  get contact(): readonly NameAddr[] | '*' {
    return this.typedId<NameAddr[] | '*'>(6 /* contact */) ?? NONE;
  }
  get route(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(7 /* route */) ?? NONE;
  }
  get recordRoute(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(8 /* record-route */) ?? NONE;
  }
  get path(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(9 /* path */) ?? NONE;
  }
  get contentType(): MediaType | undefined {
    return this.typedId(10 /* content-type */);
  }
  get contentLength(): number | undefined {
    return this.typedId(11 /* content-length */);
  }
  get expires(): number | undefined {
    return this.typedId(12 /* expires */);
  }
  get minExpires(): number | undefined {
    return this.typedId(13 /* min-expires */);
  }
  get allow(): readonly string[] {
    return this.typedId<string[]>(14 /* allow */) ?? NONE;
  }
  get supported(): readonly string[] {
    return this.typedId<string[]>(15 /* supported */) ?? NONE;
  }
  get require(): readonly string[] {
    return this.typedId<string[]>(16 /* require */) ?? NONE;
  }
  get proxyRequire(): readonly string[] {
    return this.typedId<string[]>(17 /* proxy-require */) ?? NONE;
  }
  get unsupported(): readonly string[] {
    return this.typedId<string[]>(18 /* unsupported */) ?? NONE;
  }
  get accept(): MediaType[] | undefined {
    return this.typedId(20 /* accept */);
  }
  get event(): TokenWithParams | undefined {
    return this.typedId(21 /* event */);
  }
  get subscriptionState(): SubscriptionState | undefined {
    return this.typedId(22 /* subscription-state */);
  }
  get referTo(): NameAddr | undefined {
    return this.typedId(23 /* refer-to */);
  }
  get referredBy(): NameAddr | undefined {
    return this.typedId(24 /* referred-by */);
  }
  get replaces(): Replaces | undefined {
    return this.typedId(25 /* replaces */);
  }
  get referSub(): boolean | undefined {
    const v = this.typedId<TokenWithParams>(26 /* refer-sub */);
    return v === undefined ? undefined : v.value.toLowerCase() !== 'false';
  }
  get authorization(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(27 /* authorization */) ?? NONE;
  }
  get proxyAuthorization(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(28 /* proxy-authorization */) ?? NONE;
  }
  get wwwAuthenticate(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(29 /* www-authenticate */) ?? NONE;
  }
  get proxyAuthenticate(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(30 /* proxy-authenticate */) ?? NONE;
  }
  /** The Reason header (RFC 3326); on responses `reason` is the Reason-Phrase. */
  get reasons(): readonly Reason[] {
    return this.typedId<Reason[]>(31 /* reason */) ?? NONE;
  }
  get retryAfter(): RetryAfter | undefined {
    return this.typedId(32 /* retry-after */);
  }
  get warning(): readonly Warning[] {
    return this.typedId<Warning[]>(33 /* warning */) ?? NONE;
  }

  /** Date (RFC 3261 §20.17): an RFC 1123 date that must be in GMT. */
  get date(): Date | undefined {
    return this.typedId(34 /* date */);
  }

  /** Parse every header the stack knows, so that any syntax error surfaces now. */
  parseAll(): this {
    const head = this.head;
    if (head?.ids && this.tcache === undefined) {
      // one pass in line order; afterwards every typed getter is a cache hit
      // every header starts absent (NO_CACHE), which is also what accumulate starts from
      const tc = (this.tcache = ABSENT_CACHE.slice());
      const { ids, starts, buf, base, src } = head;
      for (let r = 0; r < ids.length; r++) {
        const packed = ids[r]!;
        const id = (packed & 63) - 1;
        // RFC 3261 §7.3.1: a CR only before LF. The typed parsers in CR_SAFE reject any CR
        // (accumulate names it); every other line is searched.
        if (id < 0 || (packed & 64) !== 0 || !CR_SAFE[id]) bareCr(src, base, starts[r]!, starts[r + 1]! - 1);
        if (id < 0) continue;
        // a header that failed on an earlier line stays a fault; its later lines stay raw
        if (tc[id] === FAULT) continue;
        if ((packed & 64) !== 0 || packed < 128) {
          // folded (or a name scan that kept no colon offset): the general path
          const v = this.valueAt(r);
          tc[id] = this.accumulateSoft(tc[id], v, LOC_BYTES, base + LOC_VS, id);
          continue;
        }
        // the value after the colon, as locate() finds it (without its method call and destructuring)
        valueBounds(buf, base, starts[r]! + (packed >> 7), lineEnd(buf, base, starts, r));
        if (id <= 13 && tc[id] === NO_CACHE) {
          // the few-octet headers in their plain form, without a slice of the value
          const v = plainValue(id, buf, base + LOC_VS, base + LOC_VE, src, base);
          if (v !== undefined) {
            tc[id] = v;
            continue;
          }
        }
        if (IN_PLACE[id]) {
          // Via and the name-addr headers: their fast paths read the value in place, in src
          const v =
            id === ID_VIA ? fastViaAt(src, buf, base, LOC_VS, LOC_VE) : fastNameAddr(src, buf, base, LOC_VS, LOC_VE);
          if (v !== undefined) {
            const prev = tc[id];
            // as accumulate combines them (list headers join; a second single-value line is a fault)
            if (prev === NO_CACHE) tc[id] = SPECS[id]!.list ? [v] : v;
            else {
              try {
                tc[id] = combine(SPECS[id]!.list, prev, [v], base + LOC_VS, id);
              } catch (e) {
                tc[id] = this.soften(id, e);
              }
            }
            continue;
          }
        }
        tc[id] = this.accumulateSoft(tc[id], src.slice(LOC_VS, LOC_VE), buf, base + LOC_VS, id);
      }
    } else if (head) {
      for (let r = 0; r + 1 < head.starts.length; r++) {
        const id = head.ids ? (head.ids[r]! & 63) - 1 : headerId(headerKey(this.nameAt(r)));
        if (id >= 0) this.typedQuiet(id);
      }
    } else for (const h of this.headers) if (PARSERS[h.key]) this.typedQuiet(headerId(h.key));
    return this;
  }

  /** accumulate, with a fault in a header that is not mandatory recorded instead of thrown. */
  private accumulateSoft(result: unknown, value: string, bytes: Uint8Array | undefined, at: number, id: number) {
    try {
      return accumulate(result, value, bytes, at, id);
    } catch (e) {
      return this.soften(id, e);
    }
  }

  /** Parse header `id` into the cache; a fault that parseTyped recorded is not thrown again. */
  private typedQuiet(id: number): void {
    try {
      this.typedId(id);
    } catch (e) {
      if (this.tcache?.[id] !== FAULT) throw e;
    }
  }

  // ---- serialisation --------------------------------------------------------------------

  /** Wire bytes. An unmodified parsed message is returned byte-identical. */
  toBuffer(): Buffer {
    if (!this.dirty) {
      if (this.rawBytes) return this.rawBytes;
      if (this.head) return (this.rawBytes = this.head.buf.subarray(this.head.base, this.head.end));
    }
    // RFC 3261 §20.14: Content-Length always matches the body we send
    const cl = this.headers.find((h) => h.key === 'content-length');
    if (!cl || cl.value !== String(this.body.length)) {
      if (!cl || Number(cl.value) !== this.body.length) this.set('Content-Length', String(this.body.length));
    }
    let head = this.startLine() + '\r\n';
    for (const h of this.headers) head += (h.raw ?? `${h.name}: ${h.value}`) + '\r\n';
    head += '\r\n';
    const headBuf = Buffer.from(head, 'latin1');
    const body = this.body;
    const out = body.length ? Buffer.concat([headBuf, body]) : headBuf;
    this.rawBytes = out;
    this.dirty = false;
    return out;
  }
  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

/**
 * Max-Forwards, Content-Length, Expires, Min-Expires (1*DIGIT) and CSeq (1*DIGIT SP token) in
 * their plain form at buf[a, e) (src[i] is buf[base + i]): what the typed parser would give, or
 * undefined for anything else (LWS inside, an empty or over-long number, other headers), which
 * takes the parser's path.
 */
function plainValue(
  id: number,
  buf: Buffer,
  a: number,
  e: number,
  src: string,
  base: number,
): CSeq | number | undefined {
  if (id !== 4 && id !== 5 && id !== 11 && id !== 12 && id !== 13) return undefined;
  let p = a;
  let n = 0;
  for (; p < e && p - a < 10; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (p === a || n > (id === 5 ? 255 : 0xffffffff)) return undefined;
  if (id !== 4) return p === e ? n : undefined;
  // CSeq: one SP, then the method token to the end
  if (p >= e || buf[p] !== 32) return undefined;
  const ms = ++p;
  while (p < e && CHAR[buf[p]!]! & TOKEN) p++;
  return p === e && p > ms ? { seq: n, method: src.slice(ms - base, e - base) } : undefined;
}

/**
 * Folding is one SP (RFC 3261 §7.3.1): `[LWS] [CR] LF 1*WSP` becomes SP, and a fold right after
 * the colon or at the end is outer LWS, so the result is trimmed. (Every LF in a joined value is
 * followed by WSP: that is what joined the lines.)
 */
export function unfold(v: string): string {
  let out = '';
  let from = 0;
  for (let i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) {
    let e = i + 1;
    while (e < v.length && isWsp(v.charCodeAt(e))) e++;
    // not followed by WSP: not a fold (kept; the bare-LF check reports it)
    if (e === i + 1) continue;
    let a = i > from && v.charCodeAt(i - 1) === 13 ? i - 1 : i;
    while (a > from && isWsp(v.charCodeAt(a - 1))) a--;
    out += v.slice(from, a) + ' ';
    from = e;
    i = e - 1;
  }
  return trimLws(out + v.slice(from));
}
function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Parse one line's value of header `id` and fold it into the header's result so far: list
 * headers combine (RFC 3261 §7.3.1). `at` anchors errors in the message; with `bytes`, the value's
 * octets are bytes[at, at + value.length).
 */
function accumulate(result: unknown, value: string, bytes: Uint8Array | undefined, at: number, id: number): unknown {
  let v: unknown;
  try {
    v = parseById(id, value, bytes, at);
  } catch (e) {
    // a bare CR is named as such, whatever the parser tripped on (see CR_SAFE)
    const cr = value.indexOf('\r');
    if (cr >= 0) throw new SipParseError(BARE_CR, at + cr);
    throw SipParseError.within(e, at, canonicalName(KNOWN_KEYS[id]!));
  }
  return result === NO_CACHE ? v : combine(SPECS[id]!.list, result, v, at, id);
}

/** A later line's value joins the earlier ones (list headers) or is an error (single-value headers). */
function combine(list: boolean, result: unknown, v: unknown, offset: number, id: number): unknown {
  if (!list) throw new SipParseError('header appears more than once', offset, canonicalName(KNOWN_KEYS[id]!));
  if (v === '*' || result === '*') {
    if (v !== '*' || (result as unknown[]).length)
      throw new SipParseError('"*" mixed with other values', offset, canonicalName(KNOWN_KEYS[id]!));
    return '*';
  }
  const more = v as unknown[];
  if (more.length === 1) (result as unknown[]).push(more[0]);
  else for (let i = 0; i < more.length; i++) (result as unknown[]).push(more[i]);
  return result;
}

/**
 * The typed parse of header `id`, with direct calls (one call site per parser, so each can be
 * inlined; a table of functions makes the call megamorphic). Same parsers as PARSERS.
 */
function parseById(id: number, v: string, b: Uint8Array | undefined, o: number): unknown {
  switch (id) {
    case 0:
      return parseVia(v, b, o);
    case 1:
    case 2:
    case 23:
    case 24:
      return parseNameAddr(v, b, o);
    case 3:
      return parseCallId(v, b, o);
    case 4:
      return parseCSeq(v, b, o);
    case 5:
      return parseInteger(v, 255, 'Max-Forwards', b, o);
    case 6:
      return parseContact(v, b, o);
    case 7:
    case 8:
    case 9:
      return parseNameAddrList(v, b, o);
    case 11:
      return parseInteger(v, 0xffffffff, 'Content-Length', b, o);
    case 10:
      return parseContentType(v, b, o);
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 19:
      return parseTokenList(v, b, o);
    default:
      return SPECS[id]!.parse(v, b, o);
  }
}

/**
 * Whether the header line at buf[ls, le) is named `key` (lower-case long form) or its compact
 * letter `kc` (char code, -1 if none), followed by LWS and the colon. Case-insensitive. Returns
 * the offset after the colon from `ls` (so > 0) if so, 0 if not.
 */
function nameIs(buf: Uint8Array, ls: number, le: number, key: string, kc: number): number {
  const c0 = lower(buf[ls]!);
  const n = key.length;
  let same = c0 === key.charCodeAt(0) && ls + n < le;
  for (let i = 1; same && i < n; i++) same = lower(buf[ls + i]!) === key.charCodeAt(i);
  // the name, then LWS and the colon (a compact form is one letter)
  let p = same ? ls + n : kc === c0 ? ls + 1 : -1;
  if (p < 0) return 0;
  let c = buf[p]!;
  while (p < le && (c === 32 || c === 9)) c = buf[++p]!;
  return p < le && c === 58 ? p + 1 - ls : 0;
}
/** ASCII lower case of an octet (`| 0x20` would also turn '_' into DEL and '@' into '`'). */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
/** Compact form letter (char code) by canonical key, for every compact form (typed or not). */
const COMPACT_LETTER = new Map<string, number>(
  Object.entries(COMPACT_FORMS).map(([letter, key]) => [key, letter.charCodeAt(0)]),
);
const COMPACT_OF: number[] = KNOWN_KEYS.map((k) => {
  const letter = Object.keys(COMPACT_FORMS).find((l) => COMPACT_FORMS[l] === k);
  return letter ? letter.charCodeAt(0) : -1;
});

function newField(name: string, key: string, value: string | { toString(): string }): HeaderField {
  return { name: name.length === 1 ? name : canonicalName(name), key, value: toWire(String(value)), offset: -1 };
}

export class SipRequest extends SipMessage {
  private _method: string;
  private _uri: Uri | undefined;
  private uriText: string;
  /** uri.toString() when the URI object was last handed out, to notice in-place edits. */
  private uriSnapshot: string | undefined;
  /** Where uriText's octets are (set by the parser; cleared when the URI is replaced). */
  private uriBytes: Uint8Array | undefined;
  private uriOffset = 0;
  version: string;
  constructor(
    method: string,
    uri: Uri | string,
    headers: HeaderField[] = [],
    body: Buffer = Buffer.alloc(0),
    raw?: Buffer,
    version = 'SIP/2.0',
  ) {
    super(headers, body, raw);
    this._method = method;
    if (typeof uri === 'string') this.uriText = uri;
    else {
      this._uri = uri;
      this.uriText = this.uriSnapshot = uri.toString();
    }
    this.version = version;
  }
  get isRequest(): true {
    return true;
  }
  get method(): string {
    return this._method;
  }
  set method(m: string) {
    this._method = m;
    this.touch();
  }
  /** @internal The parser tells where uriText's octets are, so the URI is scanned in place. */
  uriAt(bytes: Uint8Array, offset: number): void {
    this.uriBytes = bytes;
    this.uriOffset = offset;
  }
  /** Request-URI (parsed on first use). */
  get uri(): Uri {
    // the serialised form to detect in-place edits is taken when the message is serialised (toBuffer),
    // not here: most parsed requests are read and never written again
    return (this._uri ??= parseUri(this.uriText, this.uriBytes, this.uriOffset));
  }
  set uri(u: Uri) {
    this._uri = u;
    this.uriText = u.toString();
    this.uriSnapshot = this.uriText;
    this.uriBytes = undefined;
    this.touch();
  }
  override toBuffer(): Buffer {
    if (this._uri && this.uriSnapshot === undefined)
      this.uriSnapshot = parseUri(this.uriText, this.uriBytes, this.uriOffset).toString();
    if (this._uri && this._uri.toString() !== this.uriSnapshot) {
      // the URI object was edited in place
      this.uriText = this.uriSnapshot = this._uri.toString();
      this.uriBytes = undefined;
      this.touch();
    }
    return super.toBuffer();
  }
  startLine(): string {
    return `${this._method} ${this.uriText} ${this.version}`;
  }
}

export class SipResponse extends SipMessage {
  private _status: number;
  private _reason: string;
  version: string;
  constructor(
    status: number,
    reason: string,
    headers: HeaderField[] = [],
    body: Buffer = Buffer.alloc(0),
    raw?: Buffer,
    version = 'SIP/2.0',
  ) {
    super(headers, body, raw);
    this._status = status;
    this._reason = reason;
    this.version = version;
  }
  get isRequest(): false {
    return false;
  }
  get status(): number {
    return this._status;
  }
  set status(s: number) {
    this._status = s;
    this.touch();
  }
  /** Reason-Phrase as text (UTF-8 decoded). */
  get reason(): string {
    return fromWire(this._reason);
  }
  set reason(r: string) {
    this._reason = toWire(r);
    this.touch();
  }
  startLine(): string {
    return `${this.version} ${this._status} ${this._reason}`;
  }
}

export type SipMessageAny = SipRequest | SipResponse;
export { Via, NameAddr, AuthHeader };
