import { CHAR, TOKEN } from './chars.js';
import { SipParseError } from './errors.js';
import { headerKey } from './header-names.js';
import { DEFAULT_LIMITS, type MessageLimits } from './limits.js';
import { SipRequest, SipResponse, type HeaderField } from './message.js';

export interface ParseOptions {
  /**
   * `datagram` (default): one message per UDP datagram; without Content-Length the body is the
   * rest of the datagram, octets after Content-Length are ignored (RFC 3261 §18.3).
   * `stream`: bytes of exactly one framed message; Content-Length is mandatory.
   */
  mode?: 'datagram' | 'stream';
  /**
   * `false` (default): every header the stack knows is parsed now, so errors surface here.
   * `true`: only framing and the start line; typed headers are parsed when first read (a proxy
   * pays for what it reads) and may throw SipParseError then.
   */
  lazy?: boolean;
  limits?: Partial<MessageLimits>;
}

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
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
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
  const mode = opts.mode ?? 'datagram';
  // RFC 3261 §7.5: ignore CRLFs before the start line
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) throw new SipParseError('empty message', start);
  const he = findHeaderEnd(buf, start);
  if (!he) {
    if (buf.length - start > limits.maxHeaderBytes) throw new SipParseError(`header section exceeds ${limits.maxHeaderBytes} bytes`, start + limits.maxHeaderBytes);
    throw new SipParseError('header section not terminated by an empty line', buf.length);
  }
  if (he.end - start > limits.maxHeaderBytes) throw new SipParseError(`header section exceeds ${limits.maxHeaderBytes} bytes`, start + limits.maxHeaderBytes);
  const head = buf.toString('latin1', start, he.end + (he.bodyStart - he.end === 4 ? 2 : 1));

  // start line
  let eol = head.indexOf('\n');
  const firstLine = head.charCodeAt(eol - 1) === 13 ? head.slice(0, eol - 1) : head.slice(0, eol);
  const headers: HeaderField[] = [];
  let pos = eol + 1;
  let contentLengths: { value: string; offset: number }[] | undefined;
  while (pos < head.length) {
    eol = head.indexOf('\n', pos);
    if (eol < 0) eol = head.length;
    let lineEnd = head.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
    const c0 = head.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) throw new SipParseError('continuation line without a header', start + pos);
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > lineEnd) throw new SipParseError('header line without ":"', start + pos);
    let nameEnd = colon;
    while (nameEnd > pos && (head.charCodeAt(nameEnd - 1) === 32 || head.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
    for (let i = pos; i < nameEnd; i++) {
      const c = head.charCodeAt(i);
      if (!(CHAR[c]! & TOKEN)) throw new SipParseError('invalid character in header name', start + i);
    }
    if (nameEnd === pos) throw new SipParseError('empty header name', start + pos);
    const name = head.slice(pos, nameEnd);
    // folded continuation lines (RFC 3261 §7.3.1): LWS at the start of the next line
    let rawEnd = lineEnd;
    let next = eol + 1;
    let folded = false;
    while (next < head.length && (head.charCodeAt(next) === 32 || head.charCodeAt(next) === 9)) {
      folded = true;
      eol = head.indexOf('\n', next);
      if (eol < 0) eol = head.length;
      lineEnd = head.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
      rawEnd = lineEnd;
      next = eol + 1;
    }
    let vs = colon + 1;
    while (vs < rawEnd && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    let ve = rawEnd;
    while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
    let value = head.slice(vs, ve);
    if (folded) value = value.replace(/[ \t]*\r?\n[ \t]+/g, ' ');
    // NUL may appear escaped in a quoted-pair (RFC 4475 §3.1.1.2); a bare CR may not (LF ends lines)
    const cr = value.indexOf('\r');
    if (cr >= 0) throw new SipParseError('bare CR or LF in header value', start + vs + cr);
    const key = headerKey(name);
    headers.push({ name, key, value, raw: head.slice(pos, rawEnd), offset: start + vs });
    if (headers.length > limits.maxHeaders) throw new SipParseError(`more than ${limits.maxHeaders} header lines`, start + pos);
    if (key === 'content-length') (contentLengths ??= []).push({ value, offset: start + vs });
    pos = next;
  }

  // framing by Content-Length (RFC 3261 §18.3, §20.14)
  let bodyLen: number;
  if (contentLengths) {
    let n = -1;
    for (const cl of contentLengths) {
      if (!/^[0-9]+$/.test(cl.value)) throw new SipParseError('invalid Content-Length', cl.offset, 'Content-Length');
      const v = Number(cl.value);
      if (n >= 0 && v !== n) throw new SipParseError('conflicting Content-Length values', cl.offset, 'Content-Length');
      n = v;
    }
    if (n > limits.maxBodyBytes) throw new SipParseError(`body of ${n} bytes exceeds the limit of ${limits.maxBodyBytes}`, contentLengths[0]!.offset, 'Content-Length');
    if (he.bodyStart + n > buf.length) {
      throw new SipParseError(`Content-Length ${n} exceeds the ${buf.length - he.bodyStart} bytes of body received`, contentLengths[0]!.offset, 'Content-Length');
    }
    bodyLen = n;
  } else {
    if (mode === 'stream') throw new SipParseError('Content-Length is mandatory on stream transports', start, 'Content-Length');
    bodyLen = buf.length - he.bodyStart;
    if (bodyLen > limits.maxBodyBytes) throw new SipParseError(`body exceeds the limit of ${limits.maxBodyBytes} bytes`, he.bodyStart);
  }
  const end = he.bodyStart + bodyLen;
  const body = buf.subarray(he.bodyStart, end);
  const raw = buf.subarray(start, end);

  const msg = parseStartLine(firstLine, start, headers, body, raw);
  if (!opts.lazy) {
    msg.parseAll();
    if (msg.isRequest) requestUri(msg, firstLine, start);
  }
  return msg;
}

const VERSION = /^SIP\/[0-9]+\.[0-9]+$/i;

function parseStartLine(line: string, base: number, headers: HeaderField[], body: Buffer, raw: Buffer): SipRequest | SipResponse {
  if (line.length === 0) throw new SipParseError('empty start line', base);
  if (line.startsWith('SIP/') || line.startsWith('sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) throw new SipParseError('malformed status line', base);
    const version = line.slice(0, sp1);
    if (!VERSION.test(version)) throw new SipParseError('invalid SIP version', base);
    const sp2 = line.indexOf(' ', sp1 + 1);
    const code = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    if (!/^[1-6][0-9][0-9]$/.test(code)) throw new SipParseError(`invalid status code "${code.slice(0, 16)}"`, base + sp1 + 1);
    if (sp2 < 0) throw new SipParseError('missing SP after status code', base + sp1 + 4);
    const reason = line.slice(sp2 + 1);
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) throw new SipParseError('control character in reason phrase', base + sp2 + 1 + i);
    }
    return new SipResponse(Number(code), reason, headers, body, raw, version);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly single SPs
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) throw new SipParseError('malformed request line', base);
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    if (!(CHAR[method.charCodeAt(i)]! & TOKEN)) throw new SipParseError('invalid character in method', base + i);
  }
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) throw new SipParseError('missing SIP version in request line', base + line.length);
  const uriText = line.slice(sp1 + 1, sp2);
  if (uriText.length === 0) throw new SipParseError('extra SP in request line', base + sp1 + 1);
  const version = line.slice(sp2 + 1);
  if (version.includes(' ')) throw new SipParseError('extra SP in request line', base + sp2 + 1 + version.indexOf(' '));
  if (!VERSION.test(version)) throw new SipParseError(version.length ? 'invalid SIP version' : 'extra SP in request line', base + sp2 + 1);
  if (uriText.startsWith('<')) throw new SipParseError('Request-URI must not be enclosed in <>', base + sp1 + 1);
  // the Request-URI itself is parsed on first use (or at once, unless lazy)
  return new SipRequest(method, uriText, headers, body, raw, version);
}

/** Parse the Request-URI now, re-anchoring errors to the start line. */
function requestUri(msg: SipRequest, line: string, base: number): void {
  try {
    void msg.uri;
  } catch (e) {
    const at = line.indexOf(' ') + 1;
    throw new SipParseError(`Request-URI: ${(e as SipParseError).reason}`, base + at + ((e as SipParseError).offset ?? 0));
  }
}
