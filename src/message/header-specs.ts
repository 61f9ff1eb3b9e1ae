// What the message layer knows about each typed header: its parser, whether its lines combine
// into a list, whether a fault in it is fatal, and how one line's value joins the result so far.
import { SipParseError } from './errors.js';
import { CHAR, TOKEN } from './chars.js';
import { canonicalName } from './header-names.js';
import { KNOWN_KEYS } from './header-ids.js';
import { parseAuth } from './headers/auth.js';
import { parseContact, parseNameAddr, parseNameAddrList } from './headers/name-addr.js';
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
} from './headers/simple.js';
import { parseVia } from './headers/via.js';
import { BARE_CR } from './parsed-head.js';

/** How each header the stack understands is parsed; `list` headers combine across lines (RFC 3261 §7.3.1). */
export const PARSERS: Record<string, { list: boolean; parse: (v: string, b?: Uint8Array, o?: number) => unknown }> = {
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
export const SOFT: readonly boolean[] = KNOWN_KEYS.map((k) => !MANDATORY_KEYS.includes(k));
/** The typed-cache mark of a header whose value failed to parse (the error is in `faults`). */
export const FAULT = Symbol('fault');

/** Header keys whose typed parse the message layer knows. */
export const KNOWN_HEADERS: readonly string[] = Object.keys(PARSERS);

/** Parsers by header id (see header-ids.ts). */
export const SPECS = KNOWN_KEYS.map((k) => {
  const spec = PARSERS[k];
  if (!spec) throw new Error(`no parser for known header ${k}`);
  return spec;
});
if (KNOWN_HEADERS.length !== KNOWN_KEYS.length) throw new Error('PARSERS and KNOWN_KEYS differ');

export const NO_CACHE = Symbol('none');
/**
 * What a list getter returns for an absent header: one shared, frozen empty list (a getter's list
 * is a read-only view of the message; edits go through set/append/remove).
 */
export const NONE: readonly never[] = Object.freeze([]);
/** Copied per message: a packed array of undefined (no holes, no elements-kind transitions). */
export const EMPTY_CACHE: readonly unknown[] = new Array<unknown>(KNOWN_KEYS.length).fill(undefined);
/** The same for an eager parse, which finds every header at once: all absent until a line says otherwise. */
export const ABSENT_CACHE: readonly unknown[] = new Array<unknown>(KNOWN_KEYS.length).fill(NO_CACHE);

/**
 * Header ids whose typed parser rejects a value holding a CR (no CR in any of the character
 * classes, quoted strings or LWS they accept): the eager parse need not search those lines.
 * Checked by a property test; Subscription-State, Replaces, the auth headers, Reason,
 * Retry-After, Warning and Date keep the search (their scanners take text up to a delimiter).
 */
export const CR_SAFE: readonly boolean[] = KNOWN_KEYS.map(
  (k) =>
    ![
      'subscription-state',
      'replaces',
      'authorization',
      'proxy-authorization',
      'www-authenticate',
      'proxy-authenticate',
      'reason',
      'retry-after',
      'warning',
      'date',
    ].includes(k),
);

/**
 * Header ids whose fast path (fastViaAt, fastNameAddr) the eager parse runs on the value in
 * place: Via, From, To, Contact, Route, Record-Route, Path, Refer-To, Referred-By. Whatever it
 * does not take goes to accumulate as before.
 */
export const IN_PLACE: readonly boolean[] = KNOWN_KEYS.map((k) =>
  ['via', 'from', 'to', 'contact', 'route', 'record-route', 'path', 'refer-to', 'referred-by'].includes(k),
);

/**
 * Max-Forwards, Content-Length, Expires, Min-Expires (1*DIGIT) and CSeq (1*DIGIT SP token) in
 * their plain form at buf[a, e) (src[i] is buf[base + i]): what the typed parser would give, or
 * undefined for anything else (LWS inside, an empty or over-long number, other headers), which
 * takes the parser's path.
 */
export function plainValue(
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
 * Parse one line's value of header `id` and fold it into the header's result so far: list
 * headers combine (RFC 3261 §7.3.1). `at` anchors errors in the message; with `bytes`, the value's
 * octets are bytes[at, at + value.length).
 */
export function accumulate(
  result: unknown,
  value: string,
  bytes: Uint8Array | undefined,
  at: number,
  id: number,
): unknown {
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
export function combine(list: boolean, result: unknown, v: unknown, offset: number, id: number): unknown {
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
