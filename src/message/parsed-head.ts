// The parsed header section as the parser hands it to a message, and the octet-level scans of
// its lines (names, folding, bare CRs) that need no message state.
import { SipParseError } from './errors.js';
import { COMPACT_FORMS, canonicalName } from './header-names.js';
import { KNOWN_KEYS } from './header-ids.js';
import { trimLws } from './scanner.js';
import { toWire } from './wire.js';

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

/** What the parser hands a message: the decoded header section and where each line starts. */
export interface ParsedHead {
  /**
   * The message as latin1 (one char per octet) from the start line: the header section, and
   * after it up to 1 KB of the body that the parser decoded with it (never read as header text).
   * Undefined once releaseParsed() let it go: read it through MessageLines.text(), which decodes
   * the header section again.
   */
  src: string | undefined;
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

export const BARE_CR = 'bare CR or LF in header value';

/** Throws at the first CR in src[from, end) that does not start a CRLF (end: where the line's LF is). */
export function bareCr(src: string, base: number, from: number, end: number): void {
  // the line's own CR is at end - 1: one search per unfolded line
  for (let cr = src.indexOf('\r', from); cr >= 0 && cr < end - 1; cr = src.indexOf('\r', cr + 2)) {
    if (src.charCodeAt(cr + 1) !== 10) throw new SipParseError(BARE_CR, base + cr);
  }
}

/** End of line r of the header section (before its CR LF), in src positions. */
export function lineEnd(buf: Buffer, base: number, starts: number[], r: number): number {
  const end = starts[r + 1]! - 1;
  return buf[base + end - 1] === 13 ? end - 1 : end;
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
 * Whether the header line at buf[ls, le) is named `key` (lower-case long form) or its compact
 * letter `kc` (char code, -1 if none), followed by LWS and the colon. Case-insensitive. Returns
 * the offset after the colon from `ls` (so > 0) if so, 0 if not.
 */
export function nameIs(buf: Uint8Array, ls: number, le: number, key: string, kc: number): number {
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
export function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
/** Compact form letter (char code) by canonical key, for every compact form (typed or not). */
export const COMPACT_LETTER = new Map<string, number>(
  Object.entries(COMPACT_FORMS).map(([letter, key]) => [key, letter.charCodeAt(0)]),
);
export const COMPACT_OF: number[] = KNOWN_KEYS.map((k) => {
  const letter = Object.keys(COMPACT_FORMS).find((l) => COMPACT_FORMS[l] === k);
  return letter ? letter.charCodeAt(0) : -1;
});

export function newField(name: string, key: string, value: string | { toString(): string }): HeaderField {
  return { name: name.length === 1 ? name : canonicalName(name), key, value: toWire(String(value)), offset: -1 };
}
