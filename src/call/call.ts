/**
 * A call as the application sees it: the INVITE session of a dialog and the refer
 * subscriptions beside it (RFC 5057), behind promises and typed events. It owns no protocol
 * logic of its own: InviteSession, ReferSubscriber/ReferNotifier and the transfer flows do the
 * work. In-dialog requests reach them through one switch (onDialogRequest), and the session's events
 * through one relay (sessionEvent): no closure or listener per method or event per call (issue 16 §1).
 */
import { EventEmitter } from 'node:events';
import {
  createResponse,
  ownCopy,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import { UsageRouter, type InDialogRequestHandler, type UsageRouterHooks } from '../dialog/usage-router.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Clock } from '../util/clock.js';
import { emitError } from '../util/events.js';
import type { MediaSession, MediaState } from '../media/session.js';
import { CancelledError, InvalidStateError, TransferFailedError, errorForStatus } from './errors.js';
import {
  InviteSession,
  type HoldPair,
  type InviteSessionOptions,
  type SessionEvent,
  type SessionSink,
  type TerminatedInfo,
} from './invite-session.js';
import { OutgoingInviteSession } from './invite-client.js';
import { IncomingInviteSession, type ProgressOptions } from './invite-server.js';
import { ReferSubscriber, dispatchNotify } from './refer.js';
import { InviteState, type SignallingState } from './states.js';
import { createInvite, onExtensionRequest, sendInfo } from './call-extensions.js';
import { acceptRefer, referToFor, type ReferredCall } from './transfer.js';
import type { CallEvents, CallState, TransferOptions } from './call-events.js';

export { glareDelay } from './request-queue.js';
export type { CallEvents, CallState, TransferOptions } from './call-events.js';

/** What every call of a user agent shares (one object per user agent, not one per call). */
export interface CallContext extends InviteSessionOptions {
  core: UserAgentCore;
  clock: Clock;
  /** Our Contact for our calls. */
  contact: NameAddr;
  /** Our identity, put in Referred-By when we transfer. */
  aor: NameAddr;
  /** Called for an incoming REFER: return false to refuse it (603). */
  referPolicy?: (call: Call, req: SipRequest) => boolean;
  /** Start a new outgoing call (for transfer as transferee). */
  placeCall?: (target: Uri, headers: [string, string][]) => Call;
  /** How long the transferor waits for the final NOTIFY (ms, default 32 s). */
  transferTimeout?: number;
  /** After a successful transfer as transferee, how long to wait for the transferor's BYE before sending ours (ms, default 1 s). */
  transfereeByeDelay?: number;
  /** Transfers a peer may have us run at once in a call (default 4): more get 503. */
  maxConcurrentRefers?: number;
  /** Told of every call's errors and of its end (the user agent's bookkeeping, without listeners per call). */
  observer?: { callError(call: Call, err: Error): void; callEnded(call: Call): void };
}

export class Call extends EventEmitter<CallEvents> implements SessionSink, UsageRouterHooks {
  readonly id: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly session: InviteSession;
  /** Headers carried on the initial INVITE (Referred-By, Replaces) for the application. */
  readonly referredBy: string | undefined;
  readonly replaces: string | undefined;
  private readonly router: UsageRouter;
  /** Our REFERs' subscriptions (made at the first transfer). */
  private subscribers: ReferSubscriber[] | undefined;
  /** Transfers we run as transferee now (a peer may have at most maxConcurrentRefers at once). */
  private runningTransfers: { count: number; max: number } | undefined;

  /** `ctx` is shared by the user agent's calls; `id` is unique among them (`c1`, `c2`...). */
  constructor(
    private readonly ctx: CallContext,
    id: string,
    media: MediaSession,
    init:
      | { direction: 'outgoing'; invite: SipRequest }
      | { direction: 'incoming'; invite: SipRequest; tx: ServerTransaction },
  ) {
    super();
    this.id = id;
    this.direction = init.direction;
    this.router = new UsageRouter(ctx.core, this);
    const parts = { media, router: this.router, sink: this };
    if (init.direction === 'incoming') {
      this.session = new IncomingInviteSession(ctx, parts, init.invite, init.tx);
      // own copies: a view of the INVITE's text would keep all of it for the call's life
      const by = init.invite.get('Referred-By');
      const replaces = init.invite.get('Replaces');
      this.referredBy = by === undefined ? undefined : ownCopy(by);
      this.replaces = replaces === undefined ? undefined : ownCopy(replaces);
    } else {
      this.session = new OutgoingInviteSession(ctx, parts, init.invite);
    }
  }

  /** Build the INVITE of an outgoing call (its SDP offer is added when it is sent). */
  static createInvite(
    ctx: Pick<CallContext, 'core' | 'contact'>,
    target: Uri,
    opts: { from: NameAddr; to?: NameAddr; headers?: [string, string][] },
  ): SipRequest {
    return createInvite(ctx.core, ctx.contact, target, opts);
  }

  /** Send the INVITE (outgoing calls; the user agent does it). */
  start(): void {
    if (this.session instanceof OutgoingInviteSession) void this.session.start();
  }

  /** @internal The session's events (SessionSink), relayed as the call's. */
  sessionEvent(e: SessionEvent): void {
    switch (e[0]) {
      case 'progress':
        return void this.emit('ringing', e[1]);
      case 'early-media':
        return void this.emit('early-media', e[1], e[2]);
      case 'connected':
        return void this.emit('established');
      case 'hold-changed':
        return this.emitHoldChanges(e[1]);
      case 'reinvite-failed':
        return void this.emit('reinvite-failed', e[1]);
      case 'terminated':
        // the user agent first, as when it listened from the start
        this.ctx.observer?.callEnded(this);
        return void this.emit('terminated', e[1]);
      case 'error':
        return this.reportError(e[1]);
      case 'glare':
        return void this.emit('glare', e[1]);
    }
  }

  /** @internal An error of this call: to its 'error' listeners and the user agent's. */
  reportError(err: Error): void {
    this.ctx.observer?.callError(this, err);
    emitError(this, err);
  }

  /** @internal In-dialog requests (UsageRouterHooks): the methods a call knows, one switch. */
  onDialogRequest(tx: ServerTransaction, dialog: Dialog): boolean {
    const req = tx.request;
    const method = req.method;
    // the session usage is over; only refer subscriptions may be left in this dialog
    if (this.session.state === InviteState.Terminated && method !== 'NOTIFY') {
      tx.respond(createResponse(req, 481));
      return true;
    }
    // a handler the application set takes the method over
    if (this.router.getHandler(method)) return false;
    switch (method) {
      case 'INVITE':
        this.session.onReInvite(tx, dialog);
        return true;
      case 'BYE':
        this.session.onBye(tx);
        return true;
      case 'REFER':
        this.onRefer(tx, dialog);
        return true;
      case 'NOTIFY':
        dispatchNotify(tx, this.subscribers ?? []);
        return true;
      case 'INFO':
      case 'MESSAGE':
        this.emit(method === 'INFO' ? 'info' : 'message', req);
        return onExtensionRequest(this.session, tx, dialog);
      default:
        return onExtensionRequest(this.session, tx, dialog);
    }
  }
  /** @internal The ACK of our 2xx (UsageRouterHooks). */
  onAck(ack: SipRequest): void {
    this.session.onAck(ack);
  }
  /** @internal Our 2xx was never ACKed (UsageRouterHooks). */
  onAckTimeout(): void {
    this.session.onAckTimeout();
  }

  private emitHoldChanges(before: HoldPair): void {
    const now = this.session.holds;
    if (before.remoteHold !== now.remoteHold) this.emit(now.remoteHold ? 'remote-held' : 'remote-resumed');
    if (before.localHold !== now.localHold) this.emit(now.localHold ? 'held' : 'resumed');
  }

  // ---- state -------------------------------------------------------------------------------

  get state(): CallState {
    switch (this.session.state) {
      case InviteState.Calling:
        return 'calling';
      case InviteState.Incoming:
        return 'incoming';
      case InviteState.Early:
        return this.direction === 'outgoing' ? 'ringing' : 'incoming';
      case InviteState.Connected:
        return 'established';
      case InviteState.Terminating:
      case InviteState.Terminated:
        return 'terminated';
    }
  }
  get sessionState(): InviteState {
    return this.session.state;
  }
  get signallingState(): SignallingState {
    return this.session.signallingState;
  }
  /** The peer: the From of an incoming call's INVITE, the To of ours (read from the INVITE when asked). */
  get remoteIdentity(): NameAddr {
    return this.direction === 'incoming' ? this.session.invite.from! : this.session.invite.to!;
  }
  get dialog(): Dialog | undefined {
    return this.session.dialog;
  }
  /** The INVITE that created the call (ours as last sent, or theirs). */
  get invite(): SipRequest {
    return this.session.invite;
  }
  get media(): MediaSession {
    return this.session.media;
  }
  get localHold(): boolean {
    return this.session.holds.localHold;
  }
  get remoteHold(): boolean {
    return this.session.holds.remoteHold;
  }

  /** Handle an in-dialog request method (INFO, UPDATE, MESSAGE, ...) yourself; undefined: 405. */
  setRequestHandler(method: string, handler: InDialogRequestHandler | undefined): void {
    const allow = this.ctx.core.allow;
    this.router.setHandler(
      method,
      handler ?? ((tx) => tx.respond(createResponse(tx.request, 405, { headers: [['Allow', allow.join(', ')]] }))),
    );
  }

  /**
   * Resolves when the call is answered; rejects with CallRejectedError, RequestTimeoutError or
   * CancelledError when it ends first. An AbortSignal hangs the call up (CANCEL).
   */
  answered(signal?: AbortSignal): Promise<this> {
    if (this.state === 'established') return Promise.resolve(this);
    if (this.state === 'terminated') return Promise.reject(new CancelledError('call'));
    return new Promise((resolve, reject) => {
      const onAbort = () => void this.hangup();
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        this.off('established', ok);
        this.off('terminated', failed);
      };
      const ok = () => (done(), resolve(this));
      const failed = (i: TerminatedInfo) => {
        done();
        if (signal?.aborted || i.reason === 'cancelled') reject(new CancelledError('call'));
        else if (i.code && i.code >= 300) reject(errorForStatus(i.code, i.detail ?? i.reason, 'call'));
        else reject(new CancelledError('call'));
      };
      this.on('established', ok);
      this.on('terminated', failed);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- the INVITE session ------------------------------------------------------------------

  ring(): void {
    if (this.session instanceof IncomingInviteSession) this.session.ring();
  }
  /** 183 with our answer: early media (RFC 3960), reliable when 100rel is negotiated or asked for. */
  progress(opts: ProgressOptions = {}): Promise<void> {
    if (this.session instanceof IncomingInviteSession) return this.session.progress(opts);
    return Promise.reject(new InvalidStateError(`call ${this.id}`, 'outgoing', 'progress'));
  }
  /** Answer with 200 OK; resolves when the ACK arrives. */
  answer(): Promise<void> {
    if (this.session instanceof IncomingInviteSession) return this.session.answer();
    return Promise.reject(new InvalidStateError(`call ${this.id}`, 'outgoing', 'answer'));
  }
  reject(status = 486, headers: [string, string][] = []): void {
    if (this.session instanceof IncomingInviteSession) this.session.reject(status, headers);
  }
  /** The INVITE was CANCELled (the core already answered 487). */
  cancelled(): void {
    if (this.session instanceof IncomingInviteSession) this.session.cancelled();
  }
  /** Whether `tx` is the server transaction of this call's initial INVITE (CANCEL matching, RFC 3261 §9.2). */
  isInviteTransaction(tx: ServerTransaction): boolean {
    return this.session instanceof IncomingInviteSession && this.session.isTransaction(tx);
  }
  /** Hold: resolves with the negotiated media state once answered; a failure rejects and changes nothing. */
  hold(): Promise<MediaState> {
    return this.session.hold();
  }
  /** Renegotiate by UPDATE (RFC 3311), e.g. `{ hold: true }`; resolves with the media state once answered. */
  update(opts: { hold?: boolean } = {}): Promise<MediaState> {
    return this.session.ext.update(opts);
  }
  /** Send INFO in the dialog; resolves with its 2xx, rejects with a CallError. */
  info(body: string | Buffer, contentType = 'application/dtmf-relay'): Promise<SipResponse> {
    return sendInfo(this.ctx.core, this.session, body, contentType);
  }
  resume(): Promise<MediaState> {
    return this.session.resume();
  }
  /** CANCEL, reject or BYE as the state requires; resolves when the call has ended. */
  hangup(): Promise<void> {
    return this.session.hangup();
  }

  // ---- transfer as transferor (REFER, RFC 3515 / RFC 5589) ---------------------------------

  /**
   * Blind transfer to a URI, or attended transfer to the peer of `target` (Refer-To with an
   * escaped Replaces, RFC 5589 §7). Resolves with the final sipfrag status (2xx: this call then
   * ends with BYE, RFC 5589 §6), or 202 with referSub false; rejects with TransferFailedError.
   */
  async transfer(target: Uri | Call, opts: TransferOptions = {}): Promise<number> {
    const dialog = this.dialog;
    if (this.state !== 'established' || !dialog) throw new InvalidStateError(`call ${this.id}`, this.state, 'transfer');
    let referTo: string;
    if (target instanceof Call) {
      if (!target.dialog || target.state !== 'established')
        throw new InvalidStateError(`call ${target.id}`, target.state, 'transfer target');
      referTo = referToFor(target.dialog);
    } else referTo = referToFor(target);
    const resumeAfter = !!opts.consult && !this.localHold;
    if (resumeAfter) await this.hold();
    const headers: [string, string][] = [
      ['Refer-To', referTo],
      ['Referred-By', `<${this.ctx.aor.uri.toString()}>`],
    ];
    if (opts.referSub === false) headers.push(['Refer-Sub', 'false'], ['Require', 'norefersub']);
    const sub = new ReferSubscriber({ core: this.ctx.core, clock: this.ctx.clock, dialog, router: this.router });
    (this.subscribers ??= []).push(sub);
    sub.on('progress', (status, reason) => this.emit('transfer-progress', status, reason));
    try {
      const out = await sub.refer(headers, this.ctx.transferTimeout ?? 32_000);
      if (out.subscribed) {
        this.emit('transferred', out.status);
        void this.hangup();
      }
      return out.status;
    } catch (e) {
      const err = e instanceof TransferFailedError ? e : new TransferFailedError(500, (e as Error).message);
      this.emit('transfer-failed', err.status, err.reason);
      if (resumeAfter && this.state === 'established') await this.resume().catch(() => undefined);
      throw err;
    }
  }

  // ---- transfer as transferee (incoming REFER) ---------------------------------------------

  private onRefer(tx: ServerTransaction, dialog: Dialog): void {
    const ctx = this.ctx;
    acceptRefer(tx, dialog, {
      ...{ core: ctx.core, clock: ctx.clock, router: this.router, contact: ctx.contact },
      running: (this.runningTransfers ??= { count: 0, max: ctx.maxConcurrentRefers ?? 4 }),
      byeDelay: ctx.transfereeByeDelay ?? 1000,
      allowed: (req) => (ctx.referPolicy ? ctx.referPolicy(this, req) : true) && !!ctx.placeCall,
      established: () => this.state === 'established',
      placeCall: (target, headers) => referredCall(ctx.placeCall!(target, headers)),
      received: (info) => this.emit('refer-received', info),
      transferred: (status) => this.emit('transferred', status),
      failed: (status, reason) => this.emit('transfer-failed', status, reason),
      hangupOriginal: () => this.hangup(),
    });
  }
}

/** The new call of a transfer as the transferee flow follows it (transfer.ts). */
function referredCall(call: Call): ReferredCall {
  return {
    onProgress: (fn) => call.on('ringing', fn),
    onAnswered: (fn) => call.once('established', fn),
    onFailed: (fn) =>
      call.once('terminated', (i) => {
        // a call that was answered and later hung up is not a failed transfer
        if (i.reason !== 'remote-bye' && i.reason !== 'local-bye' && i.code && i.code >= 300)
          fn(i.code, i.detail ?? i.reason);
      }),
  };
}
