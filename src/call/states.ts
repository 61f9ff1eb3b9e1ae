/**
 * The explicit state machines of an INVITE dialog usage: the session state and the offer/answer
 * signalling state (RFC 3264, RFC 6337), and the Machine that every protocol machine of src/call
 * moves along its table with. A transition not listed is a bug and throws
 * InvalidStateError instead of silently leaving a half-updated session.
 */
import { InvalidStateError } from './errors.js';

export const InviteState = {
  /** UAC: INVITE sent, no provisional response with a To tag yet. */
  Calling: 'calling',
  /** UAS: INVITE received, nothing sent back but 100. */
  Incoming: 'incoming',
  /** An early dialog: 1xx with a To tag sent or received (RFC 3261 §12.1). */
  Early: 'early',
  /** 2xx sent or received: the session is up. */
  Connected: 'connected',
  /** BYE or CANCEL sent, its answer awaited. */
  Terminating: 'terminating',
  Terminated: 'terminated',
} as const;
export type InviteState = (typeof InviteState)[keyof typeof InviteState];

const SESSION_MOVES: Record<InviteState, readonly InviteState[]> = {
  calling: ['early', 'connected', 'terminating', 'terminated'],
  incoming: ['early', 'connected', 'terminated'],
  early: ['connected', 'terminating', 'terminated'],
  connected: ['terminating', 'terminated'],
  terminating: ['terminated'],
  terminated: [],
};

export const SignallingState = {
  Stable: 'stable',
  /** Our offer is out; the answer is awaited (in a 2xx, or in the ACK of a 2xx that carried our offer). */
  HaveLocalOffer: 'have-local-offer',
  /** The peer's offer is in; our answer is not sent yet. */
  HaveRemoteOffer: 'have-remote-offer',
} as const;
export type SignallingState = (typeof SignallingState)[keyof typeof SignallingState];

const SIGNALLING_MOVES: Record<SignallingState, readonly SignallingState[]> = {
  stable: ['have-local-offer', 'have-remote-offer'],
  // answered, or rolled back (non-2xx, unusable answer)
  'have-local-offer': ['stable'],
  'have-remote-offer': ['stable'],
};

/**
 * A small state holder that only moves along its table: the one machine behind every protocol
 * machine of src/call (INVITE session, offer/answer, refer subscription, reliable 1xx sender,
 * UPDATE client, session timer), so an illegal move fails the same way everywhere.
 */
export class Machine<S extends string> {
  constructor(
    private readonly name: string,
    private readonly moves: Record<S, readonly S[]>,
    private current: S,
  ) {}
  get state(): S {
    return this.current;
  }
  can(to: S): boolean {
    return this.current === to || this.moves[this.current].includes(to);
  }
  /** Move to `to` (staying put is allowed); throws InvalidStateError for an illegal move. */
  to(to: S): void {
    if (!this.can(to)) throw new InvalidStateError(this.name, this.current, to);
    this.current = to;
  }
}

export function sessionMachine(initial: InviteState): Machine<InviteState> {
  return new Machine('INVITE session', SESSION_MOVES, initial);
}
export function signallingMachine(): Machine<SignallingState> {
  return new Machine('offer/answer', SIGNALLING_MOVES, SignallingState.Stable);
}
