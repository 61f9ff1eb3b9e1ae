import { SipParseError } from './errors.js';
import { DEFAULT_LIMITS, type MessageLimits } from './limits.js';
import { findHeaderEnd } from './parse.js';

export type FramerEvent =
  | { type: 'message'; bytes: Buffer }
  /** RFC 5626 §4.4.1: a double CRLF "ping" (answer with a single CRLF "pong"). */
  | { type: 'ping' }
  /** A single CRLF "pong" (answer to our ping). */
  | { type: 'pong' };

/**
 * Incremental framer for stream transports (TCP, TLS; RFC 3261 §18.3): splits on the header
 * section's end and Content-Length, skips keep-alive CRLFs, enforces limits. A framing error
 * throws SipParseError; the stream is then unusable and the caller must close the connection.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly limits: MessageLimits;
  /** Bytes consumed so far on this stream, for error offsets. */
  private consumed = 0;
  private failed: SipParseError | undefined;

  constructor(limits: Partial<MessageLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): FramerEvent[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FramerEvent[] = [];
    try {
      for (;;) {
        const ev = this.next();
        if (!ev) break;
        out.push(ev);
      }
    } catch (e) {
      this.failed = e as SipParseError;
      throw e;
    }
    return out;
  }

  private take(n: number): Buffer {
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.consumed += n;
    return b;
  }

  private next(): FramerEvent | undefined {
    const b = this.buf;
    if (b.length === 0) return undefined;
    // keep-alives between messages (RFC 5626 §4.4.1)
    if (b[0] === 13 || b[0] === 10) {
      if (b.length >= 4 && b[0] === 13 && b[1] === 10 && b[2] === 13 && b[3] === 10) {
        this.take(4);
        return { type: 'ping' };
      }
      if (b[0] === 13 && (b.length === 1 || (b.length === 3 && b[1] === 10 && b[2] === 13))) return undefined; // wait: may become a ping
      if (b[0] === 13 && b[1] === 10) {
        this.take(2);
        return { type: 'pong' };
      }
      this.take(1); // stray CR or LF between messages: ignore (RFC 3261 §7.5)
      return this.next();
    }
    const he = findHeaderEnd(b, 0);
    if (!he) {
      if (b.length > this.limits.maxHeaderBytes) {
        throw new SipParseError(
          `header section exceeds ${this.limits.maxHeaderBytes} bytes`,
          this.consumed + this.limits.maxHeaderBytes,
        );
      }
      return undefined;
    }
    if (he.end > this.limits.maxHeaderBytes)
      throw new SipParseError(
        `header section exceeds ${this.limits.maxHeaderBytes} bytes`,
        this.consumed + this.limits.maxHeaderBytes,
      );
    const cl = contentLength(b, he.end, this.consumed, this.limits.maxHeaders);
    if (cl > this.limits.maxBodyBytes)
      throw new SipParseError(
        `body of ${cl} bytes exceeds the limit of ${this.limits.maxBodyBytes}`,
        this.consumed,
        'Content-Length',
      );
    const total = he.bodyStart + cl;
    if (b.length < total) return undefined; // wait for the rest of the body
    return { type: 'message', bytes: Buffer.from(this.take(total)) };
  }
}

/** Find and validate Content-Length in a header section (names compared case-insensitively, compact `l`). */
function contentLength(b: Buffer, end: number, base: number, maxHeaders: number): number {
  const head = b.toString('latin1', 0, end);
  let value: number | undefined;
  let lines = 0;
  let pos = head.indexOf('\n') + 1;
  while (pos > 0 && pos < head.length) {
    let eol = head.indexOf('\n', pos);
    if (eol < 0) eol = head.length;
    if (++lines > maxHeaders) throw new SipParseError(`more than ${maxHeaders} header lines`, base + pos);
    const colon = head.indexOf(':', pos);
    if (colon > 0 && colon < eol) {
      const name = head.slice(pos, colon).trimEnd().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        const v = head.slice(colon + 1, eol).trim();
        if (!/^[0-9]+$/.test(v)) throw new SipParseError('invalid Content-Length', base + colon + 1, 'Content-Length');
        const n = Number(v);
        if (value !== undefined && value !== n)
          throw new SipParseError('conflicting Content-Length values', base + colon + 1, 'Content-Length');
        value = n;
      }
    }
    pos = eol + 1;
  }
  // RFC 3261 §18.3: on a stream, Content-Length is mandatory
  if (value === undefined)
    throw new SipParseError('Content-Length is mandatory on stream transports', base, 'Content-Length');
  return value;
}
