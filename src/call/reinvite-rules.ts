/**
 * The rules of RFC 3261 §14 for re-INVITEs that need no session state of their own: whether an
 * incoming one must be refused before its offer is looked at, and whether ours is tried again
 * after a failure.
 */
import type { SipResponse } from '../message/index.js';
import type { SignallingState } from './states.js';

/** A 500 to our re-INVITE is retried when its Retry-After is at most this (§14.2's UAS picks 0–10 s). */
export const MAX_RETRY_AFTER_S = 10;

/** What the session is doing when a re-INVITE arrives. */
export interface ReinviteContext {
  /** An INVITE transaction of ours has no final response yet. */
  clientInviteBusy: boolean;
  signalling: SignallingState;
  /** Our last 2xx to an INVITE still awaits its ACK. */
  awaitingAck: boolean;
  connected: boolean;
  /** Retry-After seconds for a 500 (default random 0–9). */
  retryAfter?: (() => number) | undefined;
}

/** UAS: the response that refuses a re-INVITE before its offer is read, or undefined to go on. */
export function reinviteRefusal(ctx: ReinviteContext): { status: number; headers: [string, string][] } | undefined {
  // §14.2: an offer while ours is pending (or any INVITE while ours is in progress) → 491
  if (ctx.clientInviteBusy || ctx.signalling !== 'stable') return { status: 491, headers: [] };
  if (ctx.awaitingAck) {
    // §14.2: before the ACK of our previous 2xx → 500 with Retry-After
    const after = ctx.retryAfter?.() ?? Math.floor(Math.random() * 10);
    return { status: 500, headers: [['Retry-After', String(after)]] };
  }
  if (!ctx.connected) return { status: 481, headers: [] };
  return undefined;
}

/**
 * UAC: whether our failed re-INVITE goes again, and after how long (ms; undefined: the queue's
 * §14.1 glare delay). 491 is glare (§14.1). A 500 with Retry-After is the peer still busy with an
 * earlier INVITE (§14.2), typically waiting for the ACK of its 2xx that the network lost: our ACK
 * goes again when its 2xx is retransmitted (T1), so we try again after the delay it named, and not
 * sooner than T1. Never once the session is no longer connected.
 */
export function reinviteRetry(res: SipResponse, connected: boolean): { again: boolean; delayMs?: number } {
  if (!connected) return { again: false };
  const after = res.status === 500 ? res.retryAfter?.seconds : undefined;
  if (after !== undefined && after <= MAX_RETRY_AFTER_S) return { again: true, delayMs: Math.max(after * 1000, 500) };
  return { again: res.status === 491 };
}
