import { CHAR, TOKEN } from './chars.js';
import { SipParseError } from './errors.js';
import { ID_CONTENT_LENGTH, classifyName } from './header-ids.js';
import { DEFAULT_LIMITS, type MessageLimits } from './limits.js';
import { type SipRequest, type SipResponse } from './message.js';
import { parseStartLine, requestUri } from './start-line.js';

export interface ParseOptions {
  /**
   * `datagram` (default): one message per UDP datagram; without Content-Length the body is the
   * rest of the datagram, octets after Content-Length are ignored (RFC 3261 §18.3).
   * `stream`: bytes of exactly one framed message; Content-Length is mandatory.
   */
  mode?: 'datagram' | 'stream';
  /**
   * `false` (default): every header line is checked and every header the stack knows is parsed
   * now, so errors surface here.
   * `true`: only framing (Content-Length) and the start line. A header line is looked at when
   * something asks for it: its name and value are checked and its typed form parsed then (a proxy
   * pays for what it reads), so SipParseError may come from a getter or from `headers`.
   */
  lazy?: boolean;
  /**
   * On an eager parse: which typed headers are parsed now, a table by header id (see
   * headerIdSet), asked with the message once its start line is read; undefined: all of them.
   * Every line is still checked (names, bare CRs); the headers left out are parsed on first
   * read, their faults found then. For an element that acts on a few headers of most messages (a
   * proxy, RFC 3261 §16.3 step 1: the components it does not use are left as they are).
   */
  eager?: ((msg: SipRequest | SipResponse) => readonly boolean[] | undefined) | undefined;
  limits?: Partial<MessageLimits>;
}

/** Node's Buffer has latin1Slice (the fast path behind toString('latin1')); the typings omit it. */
type LatinSlicer = Buffer & { latin1Slice(start: number, end: number): string };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Where the header section ends: index of the empty line's start and the body's start. */
export function findHeaderEnd(buf: Buffer, from: number): { end: number; bodyStart: number } | undefined {
  const a = buf.indexOf(CRLFCRLF, from);
  // tolerate bare-LF messages (sipfrag, hand-written files) but prefer CRLF; look for LFLF only
  // before the CRLFCRLF, never through the body
  const b = a >= 0 ? buf.subarray(from, a + 2).indexOf(LFLF) : buf.indexOf(LFLF, from);
  const lf = a >= 0 && b >= 0 ? from + b : b;
  if (a >= 0 && (lf < 0 || a < lf)) return { end: a, bodyStart: a + 4 };
  if (lf >= 0) return { end: lf, bodyStart: lf + 2 };
  return undefined;
}

/** Parse one SIP message. Throws only SipParseError. */
export function parseMessage(input: Buffer | Uint8Array | string, opts: ParseOptions = {}): SipRequest | SipResponse {
  const buf =
    typeof input === 'string'
      ? Buffer.from(input, 'latin1')
      : Buffer.isBuffer(input)
        ? input
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    return parseBuffer(buf, opts);
  } catch (e) {
    if (e instanceof SipParseError) throw e;
    // nothing else may escape from untrusted input
    throw new SipParseError(`internal parser failure: ${(e as Error)?.message ?? String(e)}`, 0);
  }
}

function parseBuffer(buf: Buffer, opts: ParseOptions): SipRequest | SipResponse {
  const limits = opts.limits ? { ...DEFAULT_LIMITS, ...opts.limits } : DEFAULT_LIMITS;
  const lazy = opts.lazy === true;
  const len = buf.length;
  // RFC 3261 §7.5: ignore CRLFs before the start line
  let start = 0;
  while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= len) throw new SipParseError('empty message', start);
  const maxEnd = start + limits.maxHeaderBytes;

  // One decode, as far as a header section may reach (every value is a substring of it; the body
  // is there too, when there is room). Then one pass over the lines: their ends are found by
  // String.indexOf on the decoded text, a builtin, cheaper per line than Buffer.indexOf's
  // validating wrapper; everything else reads the octets. A lazy parse keeps only where each
  // header line starts (its name is read when someone asks for that header); an eager parse also
  // checks each name (token chars, colon) and classifies it by id.
  const text = (buf as LatinSlicer).latin1Slice(start, len < maxEnd + 4 ? len : maxEnd + 4);
  let eol = lineFeed(text, start, start);
  if (eol < 0) return unterminated(buf, start, limits);
  const firstEnd = eol > start && buf[eol - 1] === 13 ? eol - 1 : eol;
  const starts: number[] = [];
  const ids: number[] | undefined = lazy ? undefined : [];
  let clStart = -1;
  let clEnd = -1;
  let pos = eol + 1;
  let bodyStart = -1;
  let headEnd = -1;
  let anyFolded = 0;
  while (pos < len) {
    if (pos > maxEnd) break;
    const c0 = buf[pos]!;
    if (c0 === 10) {
      headEnd = pos;
      bodyStart = pos + 1;
      break;
    }
    if (c0 === 13 && buf[pos + 1] === 10) {
      headEnd = pos;
      bodyStart = pos + 2;
      break;
    }
    if (c0 === 32 || c0 === 9) throw new SipParseError('continuation line without a header', pos);
    eol = lineFeed(text, start, pos);
    if (eol < 0) break;
    // folded continuation lines (RFC 3261 §7.3.1): LWS at the start of the next line
    let next = buf[eol + 1];
    let folded = 0;
    while (next === 32 || next === 9) {
      folded = FOLDED;
      eol = lineFeed(text, start, eol + 1);
      if (eol < 0) break;
      next = buf[eol + 1];
    }
    if (eol < 0) break;
    anyFolded |= folded;
    if (starts.length >= limits.maxHeaders) throw new SipParseError(`more than ${limits.maxHeaders} header lines`, pos);
    starts.push(pos - start);
    let isLength: boolean;
    if (ids) {
      const packed = scanName(buf, pos, eol) + folded;
      ids.push(packed);
      isLength = (packed & 63) - 1 === ID_CONTENT_LENGTH;
    } else isLength = ((c0 | 0x20) === 108 /* l */ || (c0 | 0x20) === 99) /* c */ && isContentLength(buf, pos);
    if (isLength) {
      const vs = valueStartB(buf, pos);
      const ve = valueEndB(buf, vs, eol);
      if (clStart < 0) {
        clStart = vs;
        clEnd = ve;
      } else if (readLength(buf, vs, ve) !== readLength(buf, clStart, clEnd))
        throw new SipParseError('conflicting Content-Length values', vs, 'Content-Length');
    }
    pos = eol + 1;
  }
  if (headEnd < 0) return unterminated(buf, start, limits);
  if (headEnd - start > limits.maxHeaderBytes)
    throw new SipParseError(`header section exceeds ${limits.maxHeaderBytes} bytes`, maxEnd);
  starts.push(headEnd - start);

  // framing by Content-Length (RFC 3261 §18.3, §20.14)
  let bodyLen: number;
  if (clStart >= 0) {
    const n = readLength(buf, clStart, clEnd);
    if (n > limits.maxBodyBytes)
      throw new SipParseError(
        `body of ${n} bytes exceeds the limit of ${limits.maxBodyBytes}`,
        clStart,
        'Content-Length',
      );
    if (bodyStart + n > len)
      throw new SipParseError(
        `Content-Length ${n} exceeds the ${len - bodyStart} bytes of body received`,
        clStart,
        'Content-Length',
      );
    bodyLen = n;
  } else {
    if ((opts.mode ?? 'datagram') === 'stream')
      throw new SipParseError('Content-Length is mandatory on stream transports', start, 'Content-Length');
    bodyLen = len - bodyStart;
    if (bodyLen > limits.maxBodyBytes)
      throw new SipParseError(`body exceeds the limit of ${limits.maxBodyBytes} bytes`, bodyStart);
  }
  // the values are substrings of the text and keep it alive: a long body decoded with it is
  // dropped by decoding the header section alone
  const head = text.length - (headEnd - start) > 1024 ? (buf as LatinSlicer).latin1Slice(start, headEnd) : text;
  const msg = parseStartLine(head, firstEnd - start, start, buf);
  msg.attachParsed({
    src: head,
    starts,
    ids,
    folded: anyFolded !== 0,
    base: start,
    buf,
    bodyStart,
    end: bodyStart + bodyLen,
  });
  if (!lazy) {
    msg.parseAll(opts.eager?.(msg));
    if (msg.isRequest) requestUri(msg, head, start);
  }
  return msg;
}

/**
 * Eager name check of the line at `pos`: token chars, optional LWS, ':'. Returns
 * (offset after the colon) * 128 + (header id + 1), the form SipMessage keeps per line (the
 * parser adds FOLDED for a folded line).
 */
function scanName(buf: Buffer, pos: number, eol: number): number {
  let p = pos;
  let c = buf[p]!;
  while (p < eol && CHAR[c]! & TOKEN) c = buf[++p]!;
  const nameEnd = p;
  while (p < eol && (c === 32 || c === 9)) c = buf[++p]!;
  if (c !== 58 || p >= eol) {
    const colon = buf.indexOf(58, pos);
    if (colon < 0 || colon >= eol) throw new SipParseError('header line without ":"', pos);
    throw new SipParseError(
      nameEnd === pos && p === pos
        ? 'invalid character in header name'
        : nameEnd === pos
          ? 'empty header name'
          : 'invalid character in header name',
      nameEnd === pos ? pos : nameEnd,
    );
  }
  if (nameEnd === pos) throw new SipParseError('empty header name', pos);
  // packed for the message: where the value may start (after the colon) and the header id
  const after = p + 1 - pos;
  return (after < 1 << 23 ? after : 0) * 128 + classifyName(buf, pos, nameEnd) + 1;
}

/** Flag in a packed line entry: the line continues on folded lines (RFC 3261 §7.3.1). */
const FOLDED = 64;

/** The first LF at or after buf position `p` (text[i] is buf[start + i]), or -1. */
function lineFeed(text: string, start: number, p: number): number {
  const i = text.indexOf('\n', p - start);
  return i < 0 ? -1 : i + start;
}

/** Lazy check for a Content-Length line (long or compact form). */
function isContentLength(buf: Buffer, pos: number): boolean {
  let p = pos + 1;
  if ((buf[pos]! | 0x20) === 99) {
    // the '-' first (exactly: `| 0x20` would also take a CR for it), which rules out Contact,
    // CSeq and Call-ID at once
    if (buf[pos + 7] !== 45) return false;
    for (let i = 1; i < 14; i++) if (i !== 7 && (buf[pos + i]! | 0x20) !== CONTENT_LENGTH.charCodeAt(i)) return false;
    p = pos + 14;
  }
  while (buf[p] === 32 || buf[p] === 9) p++;
  return buf[p] === 58;
}
const CONTENT_LENGTH = 'content-length';

/** After the colon (the line's name was checked to end in one) and LWS. */
function valueStartB(buf: Buffer, pos: number): number {
  // a loop: the name is a few octets, shorter than what Buffer.indexOf's call costs
  let p = pos;
  while (buf[p] !== 58) p++;
  p++;
  while (buf[p] === 32 || buf[p] === 9) p++;
  return p;
}

function valueEndB(buf: Buffer, vs: number, eol: number): number {
  let ve = eol;
  if (buf[ve - 1] === 13) ve--;
  while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
  return ve;
}

function unterminated(buf: Buffer, start: number, limits: MessageLimits): never {
  if (buf.length - start > limits.maxHeaderBytes)
    throw new SipParseError(`header section exceeds ${limits.maxHeaderBytes} bytes`, start + limits.maxHeaderBytes);
  throw new SipParseError('header section not terminated by an empty line', buf.length);
}

/** 1*DIGIT from the bytes (leading zeros allowed). */
function readLength(buf: Buffer, vs: number, ve: number): number {
  if (ve === vs || ve - vs > 15) throw new SipParseError('invalid Content-Length', vs, 'Content-Length');
  let n = 0;
  for (let i = vs; i < ve; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) throw new SipParseError('invalid Content-Length', vs, 'Content-Length');
    n = n * 10 + d;
  }
  return n;
}
