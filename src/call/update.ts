/**
 * UPDATE (RFC 3311) inside a dialog, early or confirmed: when an incoming UPDATE's offer can be
 * taken (else 491 or 500 per §5.2), and the client side of our own UPDATE as a small machine over
 * the session's offer/answer seam. The session owns the signalling state; this module only reads
 * it and asks the seam to move it.
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import { Machine } from './states.js';

/** The offer/answer signalling state of the session (RFC 3264; the names follow JSEP). */
export type Signalling = 'stable' | 'have-local-offer' | 'have-remote-offer';

export interface UpdateContext {
  signalling: Signalling;
  /** The INVITE's own offer/answer exchange has completed (in a reliable 1xx/PRACK or the 2xx/ACK). */
  negotiated: boolean;
  /** Retry-After seconds for a 500 (§5.2: random 0–10). */
  retryAfter?: () => number;
}

export type UpdateVerdict =
  { kind: 'accept'; offer: boolean } | { kind: 'reject'; status: 491 | 500; headers: [string, string][] };

/** UAS: may this UPDATE be processed now (RFC 3311 §5.2)? An UPDATE without SDP always may. */
export function incomingUpdateVerdict(req: SipRequest, ctx: UpdateContext): UpdateVerdict {
  if (req.body.length === 0) return { kind: 'accept', offer: false };
  // §5.2: an offer while ours is outstanding → 491 (glare, the UAC retries after §14.1 delays)
  if (ctx.signalling === 'have-local-offer') return { kind: 'reject', status: 491, headers: [] };
  // §5.2: an offer while the peer's earlier offer is unanswered, or before the initial exchange → 500
  if (ctx.signalling === 'have-remote-offer' || !ctx.negotiated) {
    const after = ctx.retryAfter?.() ?? Math.floor(Math.random() * 11);
    return { kind: 'reject', status: 500, headers: [['Retry-After', String(after)]] };
  }
  return { kind: 'accept', offer: true };
}

/** UAC: may we send an UPDATE with an offer (§5.1)? Only when stable after the initial exchange. */
export function canOfferInUpdate(ctx: UpdateContext): boolean {
  return ctx.signalling === 'stable' && ctx.negotiated;
}

/** §5.1: in an early dialog only when the peer said it allows UPDATE (Allow in its 1xx). */
export function peerAllowsUpdate(msg: SipRequest | SipResponse): boolean {
  return msg.allow.some((m) => m.toUpperCase() === 'UPDATE');
}

/** The part of the media seam an UPDATE drives (src/media/session.ts). */
export interface UpdateNegotiator {
  createOffer(): string;
  applyAnswer(sdp: string | Uint8Array): unknown;
  rollback(): void;
}

/** An UPDATE of ours was refused before it went out: another offer is pending. */
export class UpdatePendingError extends Error {
  override name = 'UpdatePendingError';
  constructor(why: string) {
    super(`UPDATE not sent: ${why} (RFC 3311 §5.1)`);
  }
}

export const UpdateClientState = {
  Idle: 'idle',
  /** Our UPDATE is out, its final response awaited. */
  Pending: 'pending',
} as const;
export type UpdateClientState = (typeof UpdateClientState)[keyof typeof UpdateClientState];

const MOVES: Record<UpdateClientState, readonly UpdateClientState[]> = {
  idle: ['pending'],
  pending: ['idle'],
};

export type UpdateOutcome =
  | { kind: 'answered' }
  /** No SDP was sent: a refresh or target refresh that succeeded. */
  | { kind: 'done' }
  /** 491: retry after the RFC 3261 §14.1 delay. */
  | { kind: 'glare' }
  /** 481/408: the dialog is gone (RFC 3261 §12.2.1.2). */
  | { kind: 'dialog-gone'; status: number }
  | { kind: 'failed'; status: number; reason: string };

/** Our UPDATE in one dialog: one at a time; failure rolls the offer back (the session is unchanged). */
export class UpdateClient {
  private readonly table = new Machine<UpdateClientState>('UPDATE client', MOVES, UpdateClientState.Idle);
  private offered = false;

  constructor(private readonly media: UpdateNegotiator) {}

  get state(): UpdateClientState {
    return this.table.state;
  }

  /**
   * Start an UPDATE: returns the SDP offer to send, or undefined for an UPDATE without SDP
   * (a session refresh, RFC 4028 §7.4). Throws UpdatePendingError when another offer is pending.
   */
  begin(
    ctx: UpdateContext,
    withOffer: boolean,
    makeOffer: () => string = () => this.media.createOffer(),
  ): string | undefined {
    if (this.state !== UpdateClientState.Idle) throw new UpdatePendingError('our previous UPDATE has no answer yet');
    if (withOffer && !canOfferInUpdate(ctx))
      throw new UpdatePendingError(ctx.negotiated ? `offer/answer state is ${ctx.signalling}` : 'no answer yet');
    const sdp = withOffer ? makeOffer() : undefined;
    this.offered = withOffer;
    this.table.to(UpdateClientState.Pending);
    return sdp;
  }

  /** The UPDATE could not be sent (transport failure): roll back and go idle. */
  abandon(): void {
    if (this.state !== UpdateClientState.Pending) return;
    this.table.to(UpdateClientState.Idle);
    if (this.offered) this.media.rollback();
    this.offered = false;
  }

  /** The final response to our UPDATE. A 2xx with an unusable answer throws (after rollback). */
  finish(res: SipResponse): UpdateOutcome {
    if (this.state !== UpdateClientState.Pending) throw new UpdatePendingError('no UPDATE of ours is pending');
    this.table.to(UpdateClientState.Idle);
    const offered = this.offered;
    this.offered = false;
    if (res.status >= 200 && res.status < 300) {
      if (!offered) return { kind: 'done' };
      try {
        this.media.applyAnswer(res.body);
      } catch (e) {
        this.media.rollback();
        throw e;
      }
      return { kind: 'answered' };
    }
    if (offered) this.media.rollback();
    if (res.status === 491) return { kind: 'glare' };
    if (res.status === 481 || res.status === 408) return { kind: 'dialog-gone', status: res.status };
    return { kind: 'failed', status: res.status, reason: res.reason };
  }
}
