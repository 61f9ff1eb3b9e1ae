/**
 * The one error type that untrusted input may produce anywhere in the message layer.
 * `offset` is the byte offset in the message (or in the header value when parsing a
 * value on its own); `header` names the header field when the fault is inside one.
 */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly reason: string;
  readonly offset: number;
  readonly header: string | undefined;

  constructor(reason: string, offset: number, header?: string) {
    super(`${header ? `${header}: ` : ''}${reason} at byte ${offset}`);
    this.reason = header ? `${header}: ${reason}` : reason;
    this.offset = offset;
    this.header = header;
  }

  /** Re-anchor an error raised while parsing a header value at `base` inside the message. */
  static within(err: unknown, base: number, header: string): SipParseError {
    if (err instanceof SipParseError) {
      return new SipParseError(
        err.header ? err.reason.slice(err.header.length + 2) : err.reason,
        base + err.offset,
        header,
      );
    }
    return new SipParseError(`internal parser failure: ${(err as Error)?.message ?? String(err)}`, base, header);
  }
}
