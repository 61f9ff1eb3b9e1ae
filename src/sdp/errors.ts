/** Typed errors of the SDP layer: parsing untrusted text, and offer/answer rule violations. */

/** An SDP body that does not follow RFC 8866 §5/§9; `line` is 1-based (1 for whole-body problems). */
export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(`${reason} (SDP line ${line})`);
  }
}

/**
 * An offer or answer that cannot be used (RFC 3264): no common codec, m= lines that do not
 * match the offer, glare. `status` is the SIP response a UAS would send for it (488 or 491).
 */
export class OfferAnswerError extends Error {
  override readonly name = 'OfferAnswerError';
  constructor(
    message: string,
    readonly status: 488 | 491 = 488,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
