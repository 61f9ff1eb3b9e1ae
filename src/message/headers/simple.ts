import { CHAR, WORD, isDigits, isToken, latin1Bytes, lowerAscii } from '../chars.js';
import { SipParseError } from '../errors.js';
import { Params, type Param } from '../params.js';
import {
  LIST_END,
  Scanner,
  decimalValueB,
  digitsEndB,
  listNextB,
  lwsEndB,
  splitList,
  tokenEndB,
  trimLws,
} from '../scanner.js';
import { fromWire } from '../wire.js';
import { parseGenericParams, simpleParamsEnd, unquote } from './params.js';

export { parseAccept, parseContentType, mediaTypeToString, type MediaType } from './media-type.js';

const MAX32 = 0xffffffff;

/** Non-negative integer with a range (RFC 3261 uses 1*DIGIT with leading zeros allowed). */
export function parseInteger(value: string, max: number, what: string, bytes?: Uint8Array, off = 0): number {
  // positions in b; value[i] === b[o + i] (see Scanner)
  const b = bytes ?? latin1Bytes(value);
  const o = bytes ? off : 0;
  const end = o + value.length;
  const ds = lwsEndB(b, o, end);
  const de = digitsEndB(b, ds, end);
  if (de === ds) throw new SipParseError(`expected ${what}`, de - o);
  const p = lwsEndB(b, de, end);
  if (p < end) throw new SipParseError(`unexpected character in ${what}`, p - o);
  const n = decimalValueB(b, ds, de);
  if (!(n <= max)) throw new SipParseError(`${what} out of range (max ${max})`, 0);
  return n;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** CSeq (RFC 3261 §20.16): 32-bit sequence number and the method. */
export function parseCSeq(value: string, bytes?: Uint8Array, off = 0): CSeq {
  const b = bytes ?? latin1Bytes(value);
  const o = bytes ? off : 0;
  const end = o + value.length;
  const ds = lwsEndB(b, o, end);
  const de = digitsEndB(b, ds, end);
  if (de === ds) throw new SipParseError('expected sequence number', de - o);
  const n = decimalValueB(b, ds, de);
  if (!(n <= MAX32)) throw new SipParseError('sequence number exceeds 2^32-1', 0);
  const ms = lwsEndB(b, de, end);
  if (ms === de) throw new SipParseError('expected LWS after sequence number', ms - o);
  const me = tokenEndB(b, ms, end);
  if (me === ms) throw new SipParseError('expected method', ms - o);
  const p = lwsEndB(b, me, end);
  if (p < end) throw new SipParseError('unexpected character in CSeq', p - o);
  return { seq: n, method: value.slice(ms - o, me - o) };
}

const WORD_CLASS = '[A-Za-z0-9\\-.!%*_+`\'~()<>:\\\\"/\\[\\]?{}]';
const CALL_ID = new RegExp(`^${WORD_CLASS}+(?:@${WORD_CLASS}+)?$`);

/** Call-ID (RFC 3261 §20.8): word [ "@" word ]. */
export function parseCallId(value: string, bytes?: Uint8Array, off = 0): string {
  if (bytes) {
    // the common case over the octets: word chars and at most one inner '@'
    const E = off + value.length;
    let at = -1;
    let p = off;
    for (; p < E; p++) {
      const c = bytes[p]!;
      if (CHAR[c]! & WORD) continue;
      if (c !== 64 || at >= 0 || p === off || p === E - 1) break;
      at = p;
    }
    if (p === E && p > off) return value;
  } else if (CALL_ID.test(value)) return value;
  const v = trimLws(value);
  const n = v.length;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 64) {
      if (at >= 0 || i === 0 || i === n - 1) throw new SipParseError('invalid Call-ID', 0);
      at = i;
    } else if (c > 255 || !(CHAR[c]! & WORD)) throw new SipParseError('invalid Call-ID', 0);
  }
  if (n === 0) throw new SipParseError('invalid Call-ID', 0);
  return v;
}

/** Comma list of tokens (Allow, Supported, Require, Unsupported, Proxy-Require, Allow-Events). May be empty. */
export function parseTokenList(value: string, bytes?: Uint8Array, off = 0): string[] {
  // the common case, `token *(LWS "," LWS token)`, in one pass over the octets, slicing each token
  // (String.split cost more than the rest of the parse of such a line)
  const b = bytes ?? latin1Bytes(value);
  const o = bytes ? off : 0;
  const E = o + value.length;
  const out: string[] = [];
  let p = o;
  while (p >= 0 && p < E) {
    const ts = p;
    p = tokenEndB(b, p, E);
    if (p === ts) break;
    out.push(value.slice(ts - o, p - o));
    p = listNextB(b, p, E);
    if (p === LIST_END) return out;
  }
  // anything else (empty elements, stray octets, an empty value) is sorted out below
  if (trimLws(value).length === 0) return [];
  return splitList(value).map((p) => {
    if (!isToken(p.text)) throw new SipParseError('invalid token in list', p.offset);
    return p.text;
  });
}

export interface TokenWithParams {
  value: string;
  params: Params;
}

/** `token *(;param)`: Event (RFC 6665 §8.2.1, event-type may hold dots), Subscription-State. */
export function parseTokenParams(value: string, what: string, b?: Uint8Array, o = 0): TokenWithParams {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  const fast = simpleTokenParams(value, bytes, base);
  if (fast) return { value: fast.value, params: new Params(fast.list) };
  const sc = new Scanner(value, bytes, base);
  sc.ws();
  const v = sc.token(what);
  const params = parseGenericParams(sc);
  sc.end(what);
  return { value: v, params };
}

/**
 * `token *(";" token ["=" token])` spanning the whole value, in one pass (no LWS, no quoted
 * values): Event and Subscription-State as peers send them. Undefined otherwise (the callers'
 * scanners decide).
 */
function simpleTokenParams(value: string, b: Uint8Array, o: number): { value: string; list: Param[] } | undefined {
  const E = o + value.length;
  const te = tokenEndB(b, o, E);
  if (te === o) return undefined;
  const list: Param[] = [];
  if (simpleParamsEnd(value, b, o, te, E, list) !== E) return undefined;
  return { value: value.slice(0, te - o), list };
}

export interface SubscriptionState {
  state: string;
  reason: string | undefined;
  expires: number | undefined;
  retryAfter: number | undefined;
  params: Params;
}

/** Subscription-State (RFC 6665 §8.2.3). Tolerates `reason=reason=x` seen from some peers. */
export function parseSubscriptionState(value: string, b?: Uint8Array, o = 0): SubscriptionState {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  const fast = simpleTokenParams(value, bytes, base);
  let state: string;
  let params: Params;
  if (fast) {
    state = lowerAscii(fast.value);
    params = new Params(fast.list);
  } else {
    const sc = new Scanner(value, bytes, base);
    sc.ws();
    state = sc.token('substate').toLowerCase();
    // lenient param parse: values may contain '=' (linphone's `reason=reason=noresource`)
    params = new Params();
    for (;;) {
      sc.ws();
      if (!sc.eat(59)) break;
      const name = sc.token('parameter name');
      let v: string | null = null;
      if (sc.eat(61)) v = trimLws(sc.until(';'));
      params.list.push({ name, value: v });
    }
    sc.end('Subscription-State');
  }
  let reason = params.get('reason') ?? undefined;
  if (reason && reason.includes('=')) reason = reason.slice(reason.lastIndexOf('=') + 1);
  const num = (n: string) => {
    const x = params.get(n);
    return x && isDigits(x) ? Number(x) : undefined;
  };
  return {
    state,
    reason: reason === undefined ? undefined : lowerAscii(reason),
    expires: num('expires'),
    retryAfter: num('retry-after'),
    params,
  };
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
  params: Params;
}

/** Replaces (RFC 3891 §6.1): callid *(;to-tag|from-tag|early-only|generic). */
export function parseReplaces(value: string, b?: Uint8Array, o = 0): Replaces {
  const sc = new Scanner(value, b, o);
  sc.ws();
  const callId = parseCallId(trimLws(sc.until(';')));
  const params = parseGenericParams(sc);
  sc.end('Replaces');
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (!toTag || !fromTag) throw new SipParseError('Replaces needs to-tag and from-tag', 0);
  return { callId, toTag, fromTag, earlyOnly: params.has('early-only'), params };
}

export interface RetryAfter {
  seconds: number;
  comment: string | undefined;
  duration: number | undefined;
  params: Params;
}

/** Retry-After (RFC 3261 §20.33): delta-seconds [comment] *(;param). */
export function parseRetryAfter(value: string, b?: Uint8Array, o = 0): RetryAfter {
  const sc = new Scanner(value, b, o);
  sc.ws();
  const d = sc.digits('delta-seconds');
  const seconds = Number(d);
  if (!(seconds <= MAX32)) sc.fail('delta-seconds exceeds 2^32-1', 0);
  sc.ws();
  let comment: string | undefined;
  if (sc.peek() === 40 /* ( */) {
    let depth = 0;
    const start = sc.pos;
    while (!sc.atEnd) {
      const c = sc.peek();
      if (c === 92) sc.pos++;
      else if (c === 40) depth++;
      else if (c === 41 && --depth === 0) break;
      sc.pos++;
    }
    if (sc.atEnd) sc.fail('unterminated comment', start);
    sc.pos++;
    comment = fromWire(sc.s.slice(start + 1, sc.pos - 1));
  }
  const params = parseGenericParams(sc);
  sc.end('Retry-After');
  const dur = params.get('duration');
  return { seconds, comment, duration: dur && /^\d+$/.test(dur) ? Number(dur) : undefined, params };
}

export interface Reason {
  protocol: string;
  cause: number | undefined;
  text: string | undefined;
  params: Params;
}

/** Reason (RFC 3326): protocol *(;cause=..;text=".."). */
export function parseReason(value: string, b?: Uint8Array, o = 0): Reason[] {
  return splitList(value).map((p) => {
    const sc = new Scanner(p.text, b, o + p.offset);
    try {
      sc.ws();
      const protocol = sc.token('protocol');
      const params = parseGenericParams(sc);
      sc.end('Reason');
      const cause = params.get('cause');
      const text = unquote(params.get('text'));
      return {
        protocol,
        cause: cause && /^\d+$/.test(cause) ? Number(cause) : undefined,
        text: text === undefined ? undefined : fromWire(text),
        params,
      };
    } catch (e) {
      throw new SipParseError((e as SipParseError).reason, p.offset + (e as SipParseError).offset);
    }
  });
}

export interface Warning {
  code: number;
  agent: string;
  text: string;
}

/** Warning (RFC 3261 §20.43): 3DIGIT SP warn-agent SP quoted-string, comma list. */
export function parseWarning(value: string, b?: Uint8Array, o = 0): Warning[] {
  return splitList(value).map((p) => {
    const sc = new Scanner(p.text, b, o + p.offset);
    try {
      const code = sc.digits('warn-code');
      if (code.length !== 3) sc.fail('warn-code must be 3 digits', 0);
      if (sc.peek() !== 32) sc.fail('expected SP after warn-code');
      sc.pos++;
      // warn-agent: hostport or pseudonym, up to the next SP
      const a0 = sc.pos;
      while (!sc.atEnd && sc.peek() !== 32) sc.pos++;
      const agent = sc.s.slice(a0, sc.pos);
      if (!agent) sc.fail('expected warn-agent', a0);
      sc.ws();
      const text = sc.quoted();
      sc.end('Warning');
      return { code: Number(code), agent, text: fromWire(text) };
    } catch (e) {
      throw new SipParseError((e as SipParseError).reason, p.offset + (e as SipParseError).offset);
    }
  });
}

const DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/**
 * Date (RFC 3261 §20.17): rfc1123-date, GMT only (RFC 4475 §3.1.2.15). The fields are checked
 * and the date built from them: the engine's date-string parser is slow, and lenient in ways a
 * SIP parser must not be (31 Feb became 3 Mar, 24:00 the next day, year 0099 became 1999).
 */
export function parseDate(value: string): Date {
  const v = trimLws(value);
  const m = DATE.exec(v);
  if (!m) throw new SipParseError(/ GMT$/.test(v) ? 'invalid Date' : 'Date must be in GMT', 0);
  const day = Number(m[2]);
  const month = MONTHS.indexOf(m[3]!) / 3;
  const year = Number(m[4]);
  const [h, min, sec] = [Number(m[5]), Number(m[6]), Number(m[7])];
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, min, sec, 0);
  // a day past the month's end (or 00), or a time out of range, would have rolled over
  if (day < 1 || d.getUTCDate() !== day || d.getUTCMonth() !== month || h > 23 || min > 59 || sec > 59)
    throw new SipParseError('invalid Date', 0);
  return d;
}
