import { CHAR, TOKEN, latin1Bytes } from './chars.js';
import { SipParseError } from './errors.js';

/**
 * A cursor over one header value (folding already replaced by SP). Offsets in errors are
 * relative to the value; the message parser re-anchors them to the message.
 *
 * The loops read the value's octets from `b`, where s.charCodeAt(i) === b[o + i] for every i in
 * [0, s.length): a parsed message passes its own bytes (no copy); otherwise they are made here.
 * Every read is bounded by s.length, since `b` may go on past the value.
 */
export class Scanner {
  pos = 0;
  readonly b: Uint8Array;
  readonly o: number;
  constructor(
    readonly s: string,
    b?: Uint8Array,
    o = 0,
  ) {
    this.b = b ?? latin1Bytes(s);
    this.o = b ? o : 0;
  }

  get atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  /** The char code at the cursor, or -1 at the end (never NaN, which would slow every caller). */
  peek(): number {
    return this.pos < this.s.length ? this.b[this.o + this.pos]! : -1;
  }
  fail(reason: string, at = this.pos): never {
    throw new SipParseError(reason, at);
  }
  /** Trailing LWS, then the end of the value: anything else is an error naming `what`. */
  end(what: string): void {
    this.ws();
    if (!this.atEnd) this.fail(`unexpected character in ${what}`);
  }
  /** Skip SP/HT (LWS after folding has been normalised). */
  ws(): void {
    this.pos = lwsEndB(this.b, this.o + this.pos, this.o + this.s.length) - this.o;
  }
  /** Consume `ch` (with optional LWS around it, RFC 3261 §25.1 SEMI/COMMA/EQUAL...). */
  eat(ch: number): boolean {
    const save = this.pos;
    this.ws();
    if (this.peek() === ch) {
      this.pos++;
      this.ws();
      return true;
    }
    this.pos = save;
    return false;
  }
  expect(ch: number, what: string): void {
    if (!this.eat(ch)) this.fail(`expected ${what}`);
  }
  token(what = 'token'): string {
    const start = this.pos;
    const p = tokenEndB(this.b, this.o + start, this.o + this.s.length) - this.o;
    if (p === start) this.fail(`expected ${what}`);
    this.pos = p;
    return this.s.slice(start, p);
  }
  /** Run of chars matching flag (no escapes), possibly empty. */
  run(flag: number): string {
    const { b, o } = this;
    const start = this.pos;
    const end = o + this.s.length;
    let p = o + start;
    while (p < end && CHAR[b[p]!]! & flag) p++;
    this.pos = p - o;
    return this.s.slice(start, this.pos);
  }
  digits(what: string): string {
    const start = this.pos;
    const p = digitsEndB(this.b, this.o + start, this.o + this.s.length) - this.o;
    if (p === start) this.fail(`expected ${what}`);
    this.pos = p;
    return this.s.slice(start, p);
  }
  /**
   * Step over a quoted-string (RFC 3261 §25.1), checking it, without building its content: for
   * callers that keep the value as written (parameters, auth-params).
   */
  skipQuoted(): void {
    const { b, o } = this;
    const start = this.pos;
    if (this.peek() !== 34) this.fail('expected quoted string');
    const end = o + this.s.length;
    let p = o + start + 1;
    while (p < end) {
      const c = b[p]!;
      if (c === 34) {
        this.pos = p + 1 - o;
        return;
      }
      if (c === 92) {
        if (p + 1 >= end) break;
        const n = b[p + 1]!;
        if (n > 0x7f || n === 0x0a || n === 0x0d) this.fail('invalid quoted-pair', p - o);
        p += 2;
        continue;
      }
      if (c < 32 && c !== 9) this.fail('control character in quoted string', p - o);
      p++;
    }
    this.fail('unterminated quoted string', start);
  }

  /** quoted-string (RFC 3261 §25.1): returns the content with quoted-pairs resolved. */
  quoted(): string {
    const s = this.s;
    const start = this.pos;
    if (s.charCodeAt(start) !== 34) this.fail('expected quoted string');
    let out = '';
    let p = start + 1;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 34) {
        this.pos = p + 1;
        return out;
      }
      if (c === 92) {
        if (p + 1 >= s.length) break;
        const n = s.charCodeAt(p + 1);
        if (n > 0x7f || n === 0x0a || n === 0x0d) this.fail('invalid quoted-pair', p);
        out += s[p + 1];
        p += 2;
        continue;
      }
      if (c < 32 && c !== 9) this.fail('control character in quoted string', p);
      out += s[p];
      p++;
    }
    this.fail('unterminated quoted string', start);
  }
  /** Everything up to (not including) the first of `stops` outside quotes and <>. */
  until(stops: string): string {
    const s = this.s;
    const start = this.pos;
    let p = start;
    let inQ = false;
    let inA = false;
    const s0 = stops.charCodeAt(0);
    const s1 = stops.length > 1 ? stops.charCodeAt(1) : s0;
    const more = stops.length > 2;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (inQ) {
        if (c === 92) p++;
        else if (c === 34) inQ = false;
      } else if (c === 34) inQ = true;
      else if (c === 60) inA = true;
      else if (c === 62) inA = false;
      else if (!inA && (c === s0 || c === s1 || (more && stops.includes(s[p]!)))) break;
      p++;
    }
    this.pos = Math.min(p, s.length);
    return s.slice(start, this.pos);
  }
  rest(): string {
    const r = this.s.slice(this.pos);
    this.pos = this.s.length;
    return r;
  }
}

// ---- position helpers for hand scanners, over octets: each returns where its run ends in
// b[p, end) (absolute positions; see Scanner for how a value maps onto its octets)

/** End of a run of SP/HT. */
export function lwsEndB(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c !== 32 && c !== 9) break;
    p++;
  }
  return p;
}

/** End of a run of token chars (RFC 3261 §25.1). */
export function tokenEndB(b: Uint8Array, p: number, end: number): number {
  while (p < end && CHAR[b[p]!]! & TOKEN) p++;
  return p;
}

/** End of a run of decimal digits. */
export function digitsEndB(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c < 48 || c > 57) break;
    p++;
  }
  return p;
}

/** Value of the digits b[a, e) (checked by digitsEndB); past 2^53 only approximate, callers bound it. */
export function decimalValueB(b: Uint8Array, a: number, e: number): number {
  let n = 0;
  for (let i = a; i < e; i++) n = n * 10 + (b[i]! - 48);
  return n;
}

/**
 * `s` without leading and trailing SP/HT: LWS after folding (RFC 3261 §25.1). String.trim would
 * also drop CR, LF, NBSP and others that a header value may not hold and a parser must see.
 */
export function trimLws(s: string): string {
  let a = 0;
  let e = s.length;
  while (a < e && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (e > a && (s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
  return a === 0 && e === s.length ? s : s.slice(a, e);
}

/** End of a port at b[p]: 1 to 5 digits, at most 65535 (its value is decimalValueB); -1 if none. */
export function portEndB(b: Uint8Array, p: number, end: number): number {
  const e = digitsEndB(b, p, end);
  return e === p || e - p > 5 || decimalValueB(b, p, e) > 65535 ? -1 : e;
}

/** What follows a list element ending at b[p]: END (nothing but LWS), the next element's start after LWS "," LWS, or -1 (anything else). */
export function listNextB(b: Uint8Array, p: number, end: number): number {
  p = lwsEndB(b, p, end);
  if (p >= end) return LIST_END;
  return b[p] === 44 /* , */ ? lwsEndB(b, p + 1, end) : -1;
}
export const LIST_END = -2;

/** Split a header value on commas outside quoted strings and <...> (RFC 3261 §7.3.1). */
export function splitList(value: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let inQ = false;
  let inA = false;
  let start = 0;
  for (let p = 0; p < value.length; p++) {
    const c = value.charCodeAt(p);
    if (inQ) {
      if (c === 92) p++;
      else if (c === 34) inQ = false;
    } else if (c === 34) inQ = true;
    else if (c === 60) inA = true;
    else if (c === 62) inA = false;
    else if (c === 44 && !inA) {
      out.push(trimmed(value, start, p));
      start = p + 1;
    }
  }
  out.push(trimmed(value, start, value.length));
  return out;
}

function trimmed(s: string, a: number, b: number): { text: string; offset: number } {
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return { text: s.slice(a, b), offset: a };
}
