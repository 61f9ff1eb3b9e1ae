/**
 * What an INVITE session tells its owner (the Call): its events, why it ended, and the hold pair,
 * apart from the session class so that readers of the API need not read the protocol.
 */
import type { MediaState } from '../media/session.js';

export interface TerminatedInfo {
  /** cancelled, rejected, local-bye, remote-bye, dialog-gone, error, shutdown (ended by UserAgent.stop() unanswered) */
  reason: string;
  /** The status that ended it (final response, 487, 200 to BYE). */
  code?: number;
  /** The reason phrase of a final response that ended it. */
  detail?: string;
}

export interface HoldPair {
  localHold: boolean;
  remoteHold: boolean;
}

export interface InviteSessionEvents {
  /** A provisional response above 100 to our INVITE (UAC). */
  progress: [status: number];
  /** Media flows before the answer (RFC 3960): SDP in a 1xx, received (UAC) or sent (UAS). */
  'early-media': [status: number, media: MediaState];
  connected: [];
  /** The negotiated hold state changed: `before` is what it was. */
  'hold-changed': [before: HoldPair];
  /** Our re-INVITE got 491 (or 500 with Retry-After): it is retried after `delay` ms (RFC 3261 §14.1). */
  glare: [delay: number];
  /** A re-INVITE of ours got a final non-2xx; the session is unchanged. */
  'reinvite-failed': [status: number];
  terminated: [info: TerminatedInfo];
  error: [err: Error];
}

/** One session event with its arguments, as a tuple the sink can switch on. */
export type SessionEvent = {
  [K in keyof InviteSessionEvents]: [K, ...InviteSessionEvents[K]];
}[keyof InviteSessionEvents];

/** Hears every event of a session (the Call), in one method instead of a listener per event. */
export interface SessionSink {
  sessionEvent(e: SessionEvent): void;
}
