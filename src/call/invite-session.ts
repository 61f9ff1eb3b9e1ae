/**
 * The INVITE dialog usage (RFC 3261 §13–§15, RFC 5057): one session, UAC or UAS, with an
 * explicit session state and offer/answer signalling state (RFC 3264, RFC 6337). Its own
 * re-INVITEs go through a serial queue that also handles 491 glare (§14.1). Media is reached
 * only through the MediaSession seam. The initial INVITE is handled by the two subclasses:
 * OutgoingInviteSession (invite-client.ts, UAC) and IncomingInviteSession (invite-server.ts, UAS).
 */
import { StoredRequest, createResponse, type SipRequest, type SipResponse } from '../message/index.js';
import { INVITE_USAGE, type Dialog, type DialogUsage } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { UsageRouter } from '../dialog/usage-router.js';
import type { InviteSessionOptions, SessionParts } from './session-options.js';
import type { ServerTransaction } from '../transaction/index.js';
import { asError } from '../util/events.js';
import type { MediaSession, MediaState } from '../media/session.js';
import { InvalidStateError, errorForStatus } from './errors.js';
import { RequestQueue, glareDelay, type Attempt } from './request-queue.js';
import { reinviteRefusal, reinviteRetry } from './reinvite-rules.js';
import { InviteState, SignallingState, sessionMachine, signallingMachine, type Machine } from './states.js';
import { DEFAULT_EXTENSIONS, SessionExtensions } from './session-extensions.js';
import { SessionPortImpl, type PortOwner } from './session-port.js';
import type { HoldPair, SessionEvent, SessionSink, TerminatedInfo } from './session-events.js';

export type { HoldPair, InviteSessionEvents, SessionEvent, SessionSink, TerminatedInfo } from './session-events.js';
export type { InviteSessionOptions, SessionParts } from './session-options.js';

export abstract class InviteSession implements PortOwner {
  readonly role: 'uac' | 'uas';
  readonly media: MediaSession;
  dialog: Dialog | undefined;
  /** The initial INVITE while it is parsed: during its exchange, or since someone read it again. */
  private inviteMsg: SipRequest | undefined;
  /** The initial INVITE as its wire text alone, once its exchange is over (storeInvite). */
  private inviteText: StoredRequest | undefined;
  protected readonly machine: Machine<InviteState>;
  protected readonly signalling: Machine<SignallingState> = signallingMachine();
  protected get usage(): DialogUsage {
    return INVITE_USAGE;
  }
  /** Made on first use: most calls never send a re-INVITE or UPDATE. */
  private requestQueue: RequestQueue | undefined;
  protected readonly router: UsageRouter;
  private readonly sink: SessionSink;
  /** An INVITE transaction of ours (initial or re-INVITE) without a final response yet. */
  protected clientInviteBusy = false;
  /** Our last 2xx to an INVITE awaits its ACK (§13.3.1.4); our own re-INVITE waits for it (§14.1). */
  private ackWait: { promise: Promise<boolean>; resolve: (acked: boolean) => void } | undefined;
  /** Our offer went in a 2xx (offerless INVITE): the answer comes in the ACK (§14.2). */
  protected offerInOk = false;
  private opened: Promise<void> | undefined;
  private ended: Promise<TerminatedInfo> | undefined;
  private endedResolve: ((i: TerminatedInfo) => void) | undefined;
  /** Why it ended, once terminated (the promise is made only when someone asks). */
  private endInfo: TerminatedInfo | undefined;
  /** 100rel/PRACK, UPDATE, session timers, INFO/MESSAGE/OPTIONS (session-extensions.ts). */
  readonly ext: SessionExtensions;

  constructor(
    protected readonly opts: InviteSessionOptions,
    parts: SessionParts,
    role: 'uac' | 'uas',
    invite: SipRequest,
  ) {
    this.role = role;
    this.inviteMsg = invite;
    this.media = parts.media;
    this.router = parts.router;
    this.sink = parts.sink;
    this.machine = sessionMachine(role === 'uac' ? InviteState.Calling : InviteState.Incoming);
    this.ext = new SessionExtensions(
      new SessionPortImpl(this, opts, this.signalling),
      opts.extensions ?? DEFAULT_EXTENSIONS,
    );
  }

  /** The initial INVITE (ours, as last sent; or the peer's): parsed again when read once stored. */
  get invite(): SipRequest {
    return (this.inviteMsg ??= this.inviteText!.request());
  }
  set invite(req: SipRequest) {
    this.inviteMsg = req;
    this.inviteText = undefined;
  }

  /**
   * The INVITE's exchange is over: keep it as wire text only. A held call would otherwise keep
   * its bytes, line index and parsed Request-URI for its whole life (1.8 KB of a typical INVITE,
   * against 0.55 KB of text; issue 16 §1).
   */
  protected storeInvite(): void {
    const req = this.inviteMsg;
    if (!req) return;
    this.inviteText = new StoredRequest(req);
    this.inviteMsg = undefined;
  }

  /** The serial queue of our re-INVITEs and UPDATEs (§14.1), made when first needed. */
  protected get queue(): RequestQueue {
    if (this.requestQueue) return this.requestQueue;
    const opts = this.opts;
    const q = new RequestQueue({
      clock: opts.clock,
      retryDelay: () => (opts.glareDelay ?? glareDelay)(this.dialog?.isUac ?? this.role === 'uac'),
      ...(opts.maxGlareRetries !== undefined ? { maxGlareRetries: opts.maxGlareRetries } : {}),
      onRetry: (delay) => this.tell('glare', delay),
    });
    // a session that already ended (or is ending) takes no more requests
    if (!this.isLive) q.close();
    return (this.requestQueue = q);
  }

  /** Tell the sink (the Call) of a session event. */
  protected tell(...e: SessionEvent): void {
    this.sink.sessionEvent(e);
  }

  /** An error to report (the Call relays it to the application). */
  reportError(e: Error): void {
    this.tell('error', e);
  }

  /** The session is connected (its 2xx sent or received). */
  get isConnected(): boolean {
    return this.state === InviteState.Connected;
  }

  /** Run an offer-bearing request of ours through the serial queue (491 retried there). */
  serial<T>(attempt: () => Promise<Attempt<T>>): Promise<T> {
    return this.queue.enqueue(attempt);
  }

  /** A session refresh by re-INVITE with these headers (RFC 4028 §7.4); resolves with its final response. */
  refreshByInvite(headers: [string, string][]): Promise<SipResponse> {
    return this.queue
      .enqueue(() => this.attemptReinvite(undefined, headers, true))
      .then((r) => ('status' in r ? r : Promise.reject(new Error('refresh re-INVITE: no response'))));
  }

  get state(): InviteState {
    return this.machine.state;
  }
  get signallingState(): SignallingState {
    return this.signalling.state;
  }
  get holds(): HoldPair {
    const s = this.media.state;
    return { localHold: s.localHold, remoteHold: s.remoteHold };
  }
  /** Requests of ours waiting in (or running from) the serial queue. */
  get queued(): number {
    return this.requestQueue?.length ?? 0;
  }
  get isLive(): boolean {
    return this.state !== InviteState.Terminating && this.state !== InviteState.Terminated;
  }
  protected get core(): UserAgentCore {
    return this.opts.core;
  }

  /** Resolves once the session is terminated (never rejects). */
  whenTerminated(): Promise<TerminatedInfo> {
    this.ended ??= this.endInfo ? Promise.resolve(this.endInfo) : new Promise((r) => (this.endedResolve = r));
    return this.ended;
  }

  /** Bind the media, once: early media (a 1xx with SDP) and the 2xx both need it. */
  protected openMedia(): Promise<void> {
    this.opened ??= this.media.open();
    return this.opened;
  }

  protected adoptDialog(d: Dialog): void {
    this.router.addUsage(d, this.usage);
    this.router.attach(d);
  }

  protected respond2xx(tx: ServerTransaction, ok: SipResponse, dialog: Dialog): Promise<boolean> {
    let resolve!: (acked: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    const wait = { promise, resolve };
    this.ackWait = wait;
    void this.core.respond2xx(tx, ok, dialog).then((acked) => {
      if (this.ackWait === wait) this.ackWait = undefined;
      wait.resolve(acked);
    });
    return promise;
  }

  // ---- in-dialog requests from the peer ------------------------------------------------------

  /** The ACK for our 2xx; it carries the answer when our offer was in the 2xx (§14.2). */
  onAck(ack: SipRequest): void {
    // synchronously: a re-INVITE in the same TCP read as this ACK must not get 500 (§14.2)
    const wait = this.ackWait;
    this.ackWait = undefined;
    wait?.resolve(true);
    if (!this.offerInOk) return;
    this.offerInOk = false;
    const before = this.holds;
    try {
      if (ack.body.length) this.media.applyAnswer(ack.body);
      else this.media.rollback();
    } catch (e) {
      this.reportError(asError(e));
    }
    this.signalling.to(SignallingState.Stable);
    this.emitHoldChange(before);
  }

  /** Our 2xx was never ACKed (64*T1): end the session with BYE (§13.3.1.4). */
  onAckTimeout(): void {
    void this.hangup();
  }

  /** A re-INVITE (RFC 3261 §14.2). */
  onReInvite(tx: ServerTransaction, dialog: Dialog): void {
    const req = tx.request;
    const refusal = reinviteRefusal({
      clientInviteBusy: this.clientInviteBusy,
      signalling: this.signalling.state,
      awaitingAck: this.ackWait !== undefined,
      connected: this.state === InviteState.Connected,
      retryAfter: this.opts.retryAfter,
    });
    if (refusal) return tx.respond(createResponse(req, refusal.status, { headers: refusal.headers }));
    const tooSmall = this.ext.refresh.checkRequest(req); // RFC 4028 §9: 422
    if (tooSmall) return tx.respond(createResponse(req, tooSmall.status, { headers: tooSmall.headers }));
    dialog.refreshTarget(req);
    const before = this.holds;
    let body: string;
    try {
      if (req.body.length) {
        this.signalling.to(SignallingState.HaveRemoteOffer);
        body = this.media.answerOffer(req.body);
      } else body = this.media.createOffer();
    } catch {
      // a failed re-INVITE leaves the session as it was (§14.2)
      this.signalling.to(SignallingState.Stable);
      tx.respond(createResponse(req, 488));
      return;
    }
    this.offerInOk = !req.body.length;
    this.signalling.to(this.offerInOk ? SignallingState.HaveLocalOffer : SignallingState.Stable);
    const headers = this.ext.refresh.responseHeaders();
    const ok = createResponse(req, 200, { contact: this.opts.contact, body, contentType: 'application/sdp', headers });
    void this.respond2xx(tx, ok, dialog);
    this.ext.refresh.answeredRefresh();
    this.emitHoldChange(before);
  }

  onBye(tx: ServerTransaction): void {
    tx.respond(createResponse(tx.request, 200));
    this.end('remote-bye', 200);
  }

  /** Tell of a hold change since `before` (nothing when the hold pair is the same). */
  emitHoldChange(before: HoldPair): void {
    const now = this.holds;
    if (now.localHold !== before.localHold || now.remoteHold !== before.remoteHold) this.tell('hold-changed', before);
  }

  // ---- hold / resume: our re-INVITEs, one at a time (§14.1) ---------------------------------

  /** Hold (RFC 6337 §5.3): resolves with the negotiated media state, or rejects leaving the session unchanged. */
  hold(): Promise<MediaState> {
    return this.reinvite(true);
  }
  resume(): Promise<MediaState> {
    return this.reinvite(false);
  }

  /** A re-INVITE with an offer, queued behind any earlier one; 491 is retried after the §14.1 delay. */
  reinvite(hold?: boolean): Promise<MediaState> {
    if (this.state !== InviteState.Connected)
      return Promise.reject(new InvalidStateError('INVITE session', this.state, 're-INVITE'));
    return this.queue
      .enqueue(() => this.attemptReinvite(hold))
      .then((r) => {
        if (!('status' in r)) return r;
        this.tell('reinvite-failed', r.status);
        throw errorForStatus(r.status, r.reason, 're-INVITE');
      });
  }

  /** One re-INVITE; a session refresh (RFC 4028 §7.4) returns its final response as the value. */
  private async attemptReinvite(
    hold: boolean | undefined,
    headers: [string, string][] = this.ext.refresh.requestHeaders(true),
    refresh = false,
  ): Promise<Attempt<MediaState | SipResponse>> {
    // §14.1: not while an INVITE transaction is in progress in either direction
    if (this.ackWait) await this.ackWait.promise;
    const dialog = this.dialog;
    if (this.state !== InviteState.Connected || !dialog)
      throw new InvalidStateError('INVITE session', this.state, 're-INVITE');
    const before = this.holds;
    const offer = this.media.createOffer(hold === undefined ? {} : { hold });
    this.signalling.to(SignallingState.HaveLocalOffer);
    const req = dialog.createRequest('INVITE', { body: offer, contentType: 'application/sdp', headers });
    this.clientInviteBusy = true;
    let ack: SipRequest | undefined;
    let sent = req;
    let res: SipResponse;
    try {
      res = await this.core.send(req, {
        // a challenged re-INVITE is re-sent with credentials and a new CSeq: ACK that one
        onRetry: (r) => (sent = r),
        onResponse: (r) => {
          // every 2xx (first and retransmitted) gets the same ACK (§13.2.2.4)
          if (r.status >= 200 && r.status < 300)
            this.core.sendStateless((ack ??= dialog.createAck(sent))).catch((e) => this.reportError(asError(e)));
        },
      });
    } finally {
      this.clientInviteBusy = false;
    }
    if (res.status >= 200 && res.status < 300) {
      dialog.refreshTarget(res);
      try {
        this.media.applyAnswer(res.body);
      } finally {
        this.signalling.to(SignallingState.Stable);
      }
      if (!refresh) this.ext.refresh.onResponse(res);
      this.emitHoldChange(before);
      return { glare: false, value: refresh ? res : this.media.state };
    }
    // failure: the previous session stays as it was (never end the call on a failed re-INVITE)
    this.media.rollback();
    this.signalling.to(SignallingState.Stable);
    if (res.status === 481 || res.status === 408) this.end('dialog-gone', res.status); // §12.2.1.2, §14.1
    const retry = reinviteRetry(res, this.state === InviteState.Connected);
    return retry.delayMs === undefined
      ? { glare: retry.again, value: res }
      : { glare: retry.again, value: res, delayMs: retry.delayMs };
  }

  // ---- ending ----------------------------------------------------------------------------------

  /** Hang up: CANCEL while calling (UAC), reject while ringing (UAS), BYE when connected. Resolves when done. */
  async hangup(): Promise<void> {
    switch (this.state) {
      case InviteState.Calling:
      case InviteState.Early:
      case InviteState.Incoming:
        this.abandon();
        break;
      case InviteState.Connected:
        await this.bye();
        return;
      case InviteState.Terminating:
      case InviteState.Terminated:
        break;
    }
    await this.whenTerminated();
  }

  private async bye(): Promise<void> {
    const d = this.dialog!;
    this.machine.to(InviteState.Terminating);
    this.requestQueue?.close();
    // §15: the callee sends no BYE before the ACK of its 2xx (or its timeout)
    if (this.ackWait) await this.ackWait.promise;
    await this.core.send(d.createRequest('BYE')).catch((e) => this.reportError(asError(e)));
    this.end('local-bye');
  }

  /**
   * End here and now, sending nothing more: for a shutdown whose BYE, CANCEL or awaited ACK did not
   * come in time (the transport is about to close, so the transactions would never complete).
   * Frees the media; 'terminated' reports `reason`. Nothing happens once terminated.
   */
  abort(reason = 'shutdown'): void {
    this.end(reason);
  }

  /** End the session before it is answered: CANCEL (UAC) or reject (UAS). */
  protected abstract abandon(): void;

  protected end(reason: string, code?: number, detail?: string): void {
    if (this.state === InviteState.Terminated) return;
    this.machine.to(InviteState.Terminated);
    this.ext.close();
    this.requestQueue?.close();
    this.ackWait?.resolve(false);
    if (this.signalling.state === SignallingState.HaveLocalOffer) this.media.rollback();
    this.signalling.to(SignallingState.Stable);
    // the INVITE usage ends; the dialog lives on while a refer subscription uses it (RFC 5057 §5.2)
    this.router.releaseUsage(this.dialog, this.usage);
    this.media.close().catch((e) => this.reportError(asError(e)));
    const info: TerminatedInfo = code === undefined ? { reason } : { reason, code };
    if (detail !== undefined) info.detail = detail;
    this.endInfo = info;
    this.endedResolve?.(info);
    this.tell('terminated', info);
  }
}
