/**
 * The SessionPort (session-extensions.ts) of an InviteSession: one small object per session that
 * reads the session's state through a reference, instead of a closure per hook (issue 16 §1:
 * per-call allocation and held-call memory).
 */
import type { NameAddr, SipRequest, SipResponse } from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { Clock } from '../util/clock.js';
import type { MediaSession, MediaState } from '../media/session.js';
import type { RequestHandlers } from './request-handlers.js';
import type { SessionPort } from './session-extensions.js';
import type { Signalling } from './update.js';
import type { Machine, SignallingState } from './states.js';
import type { Attempt } from './request-queue.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';

/** The session's options the port reads. */
export interface PortOptions {
  core: UserAgentCore;
  clock: Clock;
  contact: NameAddr;
  handlers?: RequestHandlers | undefined;
}

/** What the port needs of its session (InviteSession implements it). */
export interface PortOwner {
  readonly role: 'uac' | 'uas';
  readonly media: MediaSession;
  readonly dialog: Dialog | undefined;
  /** The session is connected (2xx sent or received). */
  readonly isConnected: boolean;
  serial<T>(attempt: () => Promise<Attempt<T>>): Promise<T>;
  refreshByInvite(headers: [string, string][]): Promise<SipResponse>;
  emitHoldChange(before: MediaState): void;
  hangup(): Promise<void>;
  reportError(e: Error): void;
}

export class SessionPortImpl implements SessionPort {
  private negotiatedEarly = false;

  constructor(
    private readonly owner: PortOwner,
    private readonly opts: PortOptions,
    private readonly signallingMachine: Machine<SignallingState>,
  ) {}

  get role(): 'uac' | 'uas' {
    return this.owner.role;
  }
  get clock(): Clock {
    return this.opts.clock;
  }
  get media(): MediaSession {
    return this.owner.media;
  }
  get T1(): number {
    return this.opts.core.transactions.timers.T1;
  }
  get handlers(): RequestHandlers | undefined {
    return this.opts.handlers;
  }
  dialog(): Dialog | undefined {
    return this.owner.dialog;
  }
  signalling(): Signalling {
    return this.signallingMachine.state as Signalling;
  }
  setSignalling(to: Signalling): void {
    this.signallingMachine.to(to as SignallingState);
  }
  negotiated(): boolean {
    return this.negotiatedEarly || this.owner.isConnected;
  }
  setNegotiated(): void {
    this.negotiatedEarly = true;
  }
  connected(): boolean {
    return this.owner.isConnected;
  }
  send(req: SipRequest): Promise<SipResponse> {
    return this.opts.core.send(req);
  }
  serial<T>(attempt: () => Promise<Attempt<T>>): Promise<T> {
    return this.owner.serial(attempt);
  }
  refreshByInvite(headers: [string, string][]): Promise<SipResponse> {
    return this.owner.refreshByInvite(headers);
  }
  mediaChanged(before: MediaState): void {
    this.owner.emitHoldChange(before);
  }
  expire(): void {
    void this.owner.hangup();
  }
  error(e: Error): void {
    this.owner.reportError(e);
  }
  contactHeader(): string {
    return this.opts.contact.toString();
  }
}
