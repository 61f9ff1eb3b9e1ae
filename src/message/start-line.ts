// The start line (RFC 3261 §7.1, §7.2): a request line or a status line, read from the octets
// into the SipRequest or SipResponse the parser then fills.
import { CHAR, TOKEN } from './chars.js';
import { SipParseError } from './errors.js';
import { digitsEndB } from './scanner.js';
import { SipRequest, SipResponse } from './message.js';

/** Placeholder until attachParsed: parsed messages index their header lines instead. */
const NO_HEADERS: never[] = [];
const EMPTY = Buffer.alloc(0);

/**
 * SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive (RFC 3261 §7.1, §25.1), in
 * buf[a, e).
 */
function isVersionB(buf: Buffer, a: number, e: number): boolean {
  if (
    e - a < 7 ||
    (buf[a]! | 0x20) !== 115 ||
    (buf[a + 1]! | 0x20) !== 105 ||
    (buf[a + 2]! | 0x20) !== 112 ||
    buf[a + 3] !== 47
  )
    return false;
  const m = digitsEndB(buf, a + 4, e);
  if (m === a + 4 || m >= e || buf[m] !== 46) return false;
  const n = digitsEndB(buf, m + 1, e);
  return n > m + 1 && n === e;
}

const SIP_2_0 = 'SIP/2.0';
const SIP_2_0_OCTETS = Buffer.from(SIP_2_0, 'latin1');
/** Whether buf[p, p + 7) is exactly "SIP/2.0". */
function isSip20(buf: Buffer, p: number): boolean {
  for (let i = 0; i < 7; i++) if (buf[p + i] !== SIP_2_0_OCTETS[i]) return false;
  return true;
}

/**
 * The usual request line, `token SP uri-without-SP-or-'<' SP "SIP/2.0"`, in one scan of the method
 * and one of the URI: the method's end (its SP) if buf[a, e) is that, else 0, and the general
 * checks below decide and name any fault.
 */
function plainRequestLine(buf: Buffer, a: number, e: number): number {
  const v = e - 8;
  if (v <= a || buf[v] !== 32 || !isSip20(buf, v + 1)) return 0;
  let p = a;
  while (p < v && CHAR[buf[p]!]! & TOKEN) p++;
  if (p === a || p >= v - 1 || buf[p] !== 32 || buf[p + 1] === 60) return 0;
  for (let i = p + 1; i < v; i++) if (buf[i] === 32) return 0;
  return p;
}

/** First SP in buf[p, e), or -1. */
function spaceAt(buf: Buffer, p: number, e: number): number {
  for (; p < e; p++) if (buf[p] === 32) return p;
  return -1;
}

/**
 * The start line, head[0, n) === buf[base, base + n): scanned over the octets (startsWith and
 * indexOf on the decoded string cost more), fields cut from `head`.
 */
export function parseStartLine(head: string, n: number, base: number, buf: Buffer): SipRequest | SipResponse {
  if (n === 0) throw new SipParseError('empty start line', base);
  const E = base + n;
  const c0 = buf[base];
  if (
    n >= 4 &&
    ((c0 === 83 && buf[base + 1] === 73 && buf[base + 2] === 80) ||
      (c0 === 115 && buf[base + 1] === 105 && buf[base + 2] === 112)) &&
    buf[base + 3] === 47
  ) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    // "SIP/2.0 " as usual: the version is the shared constant, and needs no general check
    const usual = n > 8 && isSip20(buf, base) && buf[base + 7] === 32;
    const sp1 = usual ? base + 7 : spaceAt(buf, base, E);
    if (sp1 < 0) throw new SipParseError('malformed status line', base);
    if (!usual && !isVersionB(buf, base, sp1)) throw new SipParseError('invalid SIP version', base);
    const sp2 = spaceAt(buf, sp1 + 1, E);
    const ce = sp2 < 0 ? E : sp2;
    const d0 = buf[sp1 + 1]!;
    const d1 = buf[sp1 + 2]!;
    const d2 = buf[sp1 + 3]!;
    if (ce - sp1 - 1 !== 3 || d0 < 49 || d0 > 54 || d1 < 48 || d1 > 57 || d2 < 48 || d2 > 57)
      throw new SipParseError(
        `invalid status code "${head.slice(sp1 + 1 - base, Math.min(ce, sp1 + 17) - base)}"`,
        sp1 + 1,
      );
    if (sp2 < 0) throw new SipParseError('missing SP after status code', sp1 + 4);
    for (let i = sp2 + 1; i < E; i++) {
      const c = buf[i]!;
      if ((c < 32 && c !== 9) || c === 127) throw new SipParseError('control character in reason phrase', i);
    }
    return new SipResponse(
      (d0 - 48) * 100 + (d1 - 48) * 10 + (d2 - 48),
      head.slice(sp2 + 1 - base, n),
      NO_HEADERS,
      EMPTY,
      undefined,
      usual ? SIP_2_0 : head.slice(0, sp1 - base),
    );
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly single SPs
  const plain = plainRequestLine(buf, base, E);
  if (plain > 0) {
    const req = new SipRequest(
      head.slice(0, plain - base),
      head.slice(plain + 1 - base, E - 8 - base),
      NO_HEADERS,
      EMPTY,
      undefined,
      SIP_2_0,
    );
    req.uriAt(buf, plain + 1);
    return req;
  }
  const sp1 = spaceAt(buf, base, E);
  if (sp1 <= base) throw new SipParseError('malformed request line', base);
  for (let i = base; i < sp1; i++) {
    if (!(CHAR[buf[i]!]! & TOKEN)) throw new SipParseError('invalid character in method', i);
  }
  const sp2 = spaceAt(buf, sp1 + 1, E);
  if (sp2 < 0) throw new SipParseError('missing SIP version in request line', E);
  if (sp2 === sp1 + 1) throw new SipParseError('extra SP in request line', sp1 + 1);
  const sp3 = spaceAt(buf, sp2 + 1, E);
  if (sp3 >= 0) throw new SipParseError('extra SP in request line', sp3);
  if (!isVersionB(buf, sp2 + 1, E))
    throw new SipParseError(E > sp2 + 1 ? 'invalid SIP version' : 'extra SP in request line', sp2 + 1);
  if (buf[sp1 + 1] === 60) throw new SipParseError('Request-URI must not be enclosed in <>', sp1 + 1);
  // the Request-URI itself is parsed on first use (or at once, unless lazy), in place
  const req = new SipRequest(
    head.slice(0, sp1 - base),
    head.slice(sp1 + 1 - base, sp2 - base),
    NO_HEADERS,
    EMPTY,
    undefined,
    head.slice(sp2 + 1 - base, n),
  );
  req.uriAt(buf, sp1 + 1);
  return req;
}

/** Parse the Request-URI now, re-anchoring errors to the start line. */
export function requestUri(msg: SipRequest, head: string, base: number): void {
  try {
    void msg.uri;
  } catch (e) {
    const at = head.indexOf(' ') + 1;
    throw new SipParseError(
      `Request-URI: ${(e as SipParseError).reason}`,
      base + at + ((e as SipParseError).offset ?? 0),
    );
  }
}
