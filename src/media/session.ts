/**
 * The media seam (issue 13 §4): what an INVITE session asks of its media. The call layer knows
 * nothing of RTP; media knows nothing of SIP. The InviteSession calls these at the points of the
 * offer/answer model (RFC 3264): it asks for an offer (initial INVITE, re-INVITE, UPDATE), applies
 * the answer, answers the peer's offer, rolls a failed offer back, and closes the media on BYE,
 * failure or transfer.
 *
 * Negotiation calls are synchronous so that the session's offer/answer state never interleaves
 * with another message; opening (binding ports) and closing are asynchronous.
 */
import type { Direction, NegotiatedState } from '../sdp/index.js';

/**
 * What the last completed offer/answer exchange agreed: the sdp NegotiatedState, with SRTP as a
 * flag (the keys stay inside the media).
 */
export interface MediaState extends Omit<NegotiatedState, 'srtp'> {
  /** Media is protected with SRTP (RFC 3711) on this session. */
  srtp: boolean;
}

export interface MediaOfferOptions {
  /** Hold (true) or resume (false) with the RFC 6337 §5.3 rules; default: keep the current state. */
  hold?: boolean;
  /** Offer exactly this direction instead. */
  direction?: Direction;
}

export interface MediaAnswerOptions {
  /** Whether we hold the peer; default: keep the current hold state. */
  hold?: boolean;
}

export interface MediaApplyOptions {
  /**
   * An early copy of the answer: SDP in an unreliable 18x (RFC 3261 §13.2.1). Media follows it
   * at once (early media, RFC 3960), but the offer stays pending: the answer proper comes in the
   * 2xx and is applied again then (it may differ, RFC 6337 §3.1).
   */
  early?: boolean;
}

export interface MediaSession {
  /** A snapshot of what was last negotiated. */
  readonly state: MediaState;
  /** Whether an offer of ours awaits its answer. */
  readonly hasPendingOffer: boolean;
  /** The last SDP we produced (re-sent unchanged for a session refresh, RFC 4028 §7.4). */
  readonly localSdp: string | undefined;
  /** An SDP offer. Calling it again before the answer replaces the pending offer. */
  createOffer(opts?: MediaOfferOptions): string;
  /**
   * The peer's answer to our pending offer. Throws SdpParseError or OfferAnswerError (the offer is
   * then rolled back and the state is unchanged). Media starts, stops or moves to follow it, also
   * for an early answer (`early`, which leaves the offer pending).
   */
  applyAnswer(sdp: string | Uint8Array, opts?: MediaApplyOptions): MediaState;
  /**
   * Our answer to the peer's offer. Throws SdpParseError, or OfferAnswerError with the status the
   * request deserves (488 nothing usable, 491 an offer of ours is pending); the state is then unchanged.
   */
  answerOffer(sdp: string | Uint8Array, opts?: MediaAnswerOptions): string;
  /** Forget the pending offer (non-2xx, 491, timeout): the last negotiated state stays. */
  rollback(): void;
  /**
   * Bind ports and get ready; the INVITE session awaits it before the first offer or answer.
   * Called once; a failure fails the call (488 to an incoming INVITE).
   */
  open(): Promise<void>;
  /** Stop sending and receiving and free the ports. Idempotent. */
  close(): Promise<void>;
}

/** Context given to a media factory for one session. */
export interface MediaSessionContext {
  /** Our address for c=/o= (IPv4 or IPv6, no brackets). */
  address: string;
  /** The call runs over sips: or TLS: SRTP is offered by default (issue 14). */
  secure: boolean;
  /** Call-ID, for logs and stats only. */
  callId: string;
}

/**
 * Creates the media of one INVITE session, synchronously (so that a call object exists at once);
 * ports are bound in open(). A media engine sees what was negotiated after every offer/answer
 * exchange: applyAnswer() and answerOffer() are called for each one (initial INVITE, re-INVITE,
 * the ACK of an offer in a 2xx), and `state` then holds the remote address, port, codecs and
 * direction.
 */
export type MediaSessionFactory = (ctx: MediaSessionContext) => MediaSession;
