/**
 * The call's state and events as the application sees them, apart from call.ts (InviteSession has
 * the finer protocol state).
 */
import type { SipRequest } from '../message/index.js';
import type { MediaState } from '../media/session.js';
import type { TerminatedInfo } from './session-events.js';
import type { ReferInfo } from './transfer.js';

/** The call's state as the application sees it (InviteSession has the finer protocol state). */
export type CallState = 'calling' | 'ringing' | 'incoming' | 'established' | 'terminated';

export interface CallEvents {
  ringing: [status: number];
  /** Media flows before the answer (RFC 3960): SDP in a 1xx we received (outgoing) or sent with progress(). */
  'early-media': [status: number, media: MediaState];
  established: [];
  held: [];
  resumed: [];
  'remote-held': [];
  'remote-resumed': [];
  /**
   * Our re-INVITE or UPDATE met 491 (glare, RFC 3261 §14.1) or a 500 with Retry-After (§14.2):
   * it is sent again after `delay` ms.
   */
  glare: [delay: number];
  /** A re-INVITE we sent failed; the session is unchanged. */
  'reinvite-failed': [status: number];
  'refer-received': [info: ReferInfo];
  'transfer-progress': [status: number, reason: string];
  transferred: [status: number];
  'transfer-failed': [status: number, reason: string];
  terminated: [info: TerminatedInfo];
  /** An in-dialog INFO / MESSAGE arrived (answered by the user agent's handler, default 200). */
  info: [req: SipRequest];
  message: [req: SipRequest];
  error: [err: Error];
}

export interface TransferOptions {
  /** Hold this call during the transfer, resuming it if the transfer fails. */
  consult?: boolean;
  /** false: ask for no subscription (RFC 4488); the promise then resolves with 202. */
  referSub?: boolean;
}
