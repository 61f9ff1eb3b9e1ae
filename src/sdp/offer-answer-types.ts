// The shapes OfferAnswer takes and gives: our media, the negotiated state, the offer and answer options.
import type { Codec } from './codecs.js';
import type { CryptoAttribute, CryptoSuite, SdesAgreement, SrtpPolicy } from './crypto.js';
import type { Direction } from './session.js';

/** Our side of the session. */
export interface LocalMedia {
  /** RTP address (IPv4 or IPv6, no brackets) for c= and o=. */
  address: string;
  port: number;
  /** In preference order; default PCMU, PCMA, telephone-event/101. */
  codecs?: readonly Codec[];
  /** o= username (default `-`). */
  username?: string;
  /** o= sess-id (digits); default random. */
  sessionId?: string;
  /** o= sess-version of the first SDP we send (digits); default equal to the session id. */
  sessionVersion?: string;
  /** s= (default `-`). */
  sessionName?: string;
  /** a=ptime in ms (default 20); 0 leaves it out. */
  ptime?: number;
  /**
   * SRTP with SDES keys (RFC 4568): 'off' (default); 'offer': RTP/AVP with a=crypto, a plain answer
   * accepted; 'require': RTP/SAVP, and offers without a usable a=crypto are refused.
   */
  srtp?: SrtpPolicy;
  /** SDES suites in preference order (default AES_CM_128_HMAC_SHA1_80, then _32). */
  srtpSuites?: readonly CryptoSuite[];
}

export interface NegotiatedState {
  /** Whether an offer/answer exchange has completed. */
  negotiated: boolean;
  /** Our direction on the audio stream as negotiated (what we do), undefined before negotiation. */
  direction: Direction | undefined;
  /** We hold the peer: we asked not to receive its media. */
  localHold: boolean;
  /** The peer holds us: it asked not to receive ours. */
  remoteHold: boolean;
  /** Agreed codecs with the payload types used on the wire, in the answer's order. */
  codecs: Codec[];
  /** Where the peer receives RTP (0.0.0.0 with legacy hold). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** SRTP suite and keys agreed with SDES; undefined for plain RTP. */
  srtp: SdesAgreement | undefined;
}

export interface OfferOptions {
  /** Hold (true) or resume (false) with the RFC 6337 §5.3 rules; default: keep the current hold state. */
  hold?: boolean;
  /** Offer exactly this direction instead (hold is then read from it: no recv = hold). */
  direction?: Direction;
}

export interface AnswerOptions {
  /** Whether we hold the peer; default: keep the current hold state. */
  localHold?: boolean;
  /** Same as localHold (older name). */
  hold?: boolean;
}

/** The m= line layout of the session: RFC 3264 §8 keeps the count and order of m= lines. */
export interface Slot {
  media: string;
  proto: string;
  formats: string[];
}

export interface PendingOffer {
  direction: Direction;
  localHold: boolean;
  codecs: Codec[];
  slots: Slot[];
  audioIndex: number;
  /** Our a=crypto lines, to match the answer's (RFC 4568 §7.1.3). */
  crypto: CryptoAttribute[];
}

export const INITIAL: NegotiatedState = {
  negotiated: false,
  direction: undefined,
  localHold: false,
  remoteHold: false,
  codecs: [],
  remoteAddress: undefined,
  remotePort: undefined,
  srtp: undefined,
};
