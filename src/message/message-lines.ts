// The base of SipMessage: its state, and reads of a parsed message's header lines in place
// (a parsed message keeps the line index until its first header edit, then materialised fields).
import { SipParseError } from './errors.js';
import { CHAR, TOKEN } from './chars.js';
import { headerKey } from './header-names.js';
import { KNOWN_KEYS } from './header-ids.js';
import { type Via } from './headers/via.js';
import { type HeaderFault } from './header-specs.js';
import {
  BARE_CR,
  COMPACT_LETTER,
  COMPACT_OF,
  lineEnd,
  lower,
  nameIs,
  unfold,
  type HeaderField,
  type ParsedHead,
} from './parsed-head.js';

/** Start of a value: from p (after the colon) past LWS, within `end`. */
export function valueStart(buf: Buffer, base: number, p: number, end: number): number {
  let c: number;
  while (p < end && ((c = buf[base + p]!) === 32 || c === 9)) p++;
  return p;
}

/** End of the value starting at vs on a line ending at `end`, less trailing LWS. */
export function valueEnd(buf: Buffer, base: number, vs: number, end: number): number {
  let c: number;
  let ve = end;
  while (ve > vs && ((c = buf[base + ve - 1]!) === 32 || c === 9)) ve--;
  return ve;
}

export abstract class MessageLines {
  /** Header fields once materialised; parsed messages start with only the line index. */
  protected _headers: HeaderField[] | undefined;
  protected _body: Buffer | undefined;
  /** Bytes this message was parsed from (exactly the message: start line to end of body). */
  protected rawBytes: Buffer | undefined;
  protected dirty: boolean;
  /** The parsed header section while it is still the truth (dropped on the first header edit). */
  protected head: ParsedHead | undefined;
  /** Whether bare CRs have been checked on every line (eager parse). */
  protected checked = true;
  /** Typed values by header id: undefined = not parsed yet, NO_CACHE = absent, FAULT = see faults. */
  protected tcache: unknown[] | undefined;
  /** Faults of the headers that are not mandatory, in the order found. */
  protected faults: HeaderFault[] | undefined;
  protected topViaCache: Via | undefined;
  /** Set by valueAt(): where in src the value it returned starts (read right after the call). */
  protected readVs = 0;
  /**
   * Set by valueAt(): the message's bytes when the value it returned is exactly src[readVs, ...)
   * (so value[i] is the octet at base + readVs + i, and parsers can read it in place), undefined
   * when unfolding made a new string.
   */
  protected readBytes: Uint8Array | undefined;
  /**
   * Set by a lazy findLine(): where the value area of the line it returned starts (after the colon,
   * relative to the line start), so locate() need not scan the name again.
   */
  protected foundAfter = 0;

  constructor(headers: HeaderField[], body: Buffer, raw?: Buffer) {
    this._headers = headers;
    this._body = body;
    this.rawBytes = raw;
    this.dirty = raw === undefined;
  }

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
   * Start of line r's value (after the colon and LWS; `end`: the line's end). On a lazy parse the
   * name is checked here, when the line is first read.
   */
  protected locate(r: number, known: number, end: number): number {
    // octets are read from the message buffer: src index i is buf[base + i]
    const { buf, base, starts, ids } = this.head!;
    const ls = starts[r]!;
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
    return valueStart(buf, base, p, end);
  }

  /**
   * The value of line r: folding replaced by SP (RFC 3261 §7.3.1); a bare CR is an error.
   * `known`: the value area's start from findLine (0: scan the name). `crSafe`: the caller's typed
   * parser rejects any CR, and accumulate names it (see CR_SAFE), so an unfolded line need not be
   * searched for one here.
   */
  protected valueAt(r: number, known = 0, crSafe = false): string {
    const head = this.head!;
    const end = lineEnd(head.buf, head.base, head.starts, r);
    const vs = (this.readVs = this.locate(r, known, end));
    let v = this.text(head).slice(vs, valueEnd(head.buf, head.base, vs, end));
    this.readBytes = head.buf;
    // an eager parse knows which lines are folded; a lazy one looks, if the framing saw any fold
    const folded = head.ids ? (head.ids[r]! & 64) !== 0 : head.folded && v.indexOf('\n') >= 0;
    if (folded) {
      v = unfold(v);
      this.readBytes = undefined;
    }
    if (!this.checked && (folded || !crSafe)) {
      const cr = v.indexOf('\r');
      if (cr >= 0) throw new SipParseError(BARE_CR, this.head!.base + vs + cr);
    }
    return v;
  }

  /**
   * The header section as latin1 (ParsedHead.src): decoded again from the bytes when
   * releaseParsed() let it go (a message waiting in a transaction is rarely read again).
   */
  protected text(head: ParsedHead): string {
    return (head.src ??= head.buf.toString('latin1', head.base, head.bodyStart));
  }

  /** The first line at or after `from` that is header `id`, or -1. */
  protected findLine(id: number, from: number): number {
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
          this.foundAfter = after;
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
  protected findKey(key: string, id: number, from: number): number {
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
  protected nameAt(r: number): string {
    const head = this.head!;
    const src = this.text(head);
    const starts = head.starts;
    const ls = starts[r]!;
    let ne = ls;
    while (CHAR[src.charCodeAt(ne)]! & TOKEN) ne++;
    return src.slice(ls, ne);
  }

  protected materialize(): HeaderField[] {
    const head = this.head;
    if (!head) return [];
    const out: HeaderField[] = [];
    const src = this.text(head);
    const starts = head.starts;
    for (let r = 0; r + 1 < starts.length; r++) {
      const ls = starts[r]!;
      const value = this.valueAt(r);
      const vs = this.readVs;
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
  protected dropHead(): void {
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
}
