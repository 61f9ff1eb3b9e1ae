import { EventEmitter } from 'node:events';
import {
  NameAddr,
  SipRequest,
  SipResponse,
  buildSipfrag,
  createRequest,
  createResponse,
  createCancel,
  escapeUriComponent,
  newTag,
  parseSipfrag,
  HEADER_VALUE_CHARS,
  type Uri,
} from '../message/index.js';
import { Dialog, type DialogUsage } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { ServerTransaction } from '../transaction/index.js';
import { OfferAnswer, OfferAnswerError } from '../sdp/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export type CallState = 'calling' | 'ringing' | 'incoming' | 'established' | 'terminated';

export interface CallEvents {
  ringing: [status: number];
  established: [];
  held: [];
  resumed: [];
  'remote-held': [];
  'remote-resumed': [];
  /** A re-INVITE we sent failed; the session is unchanged. */
  'reinvite-failed': [status: number];
  'refer-received': [info: { referTo: string; referredBy: string | undefined; replaces: string | undefined }];
  'transfer-progress': [status: number, reason: string];
  transferred: [status: number];
  'transfer-failed': [status: number, reason: string];
  terminated: [info: { reason: string; code?: number }];
  error: [err: Error];
}

export interface CallContext {
  core: UserAgentCore;
  clock: Clock;
  /** Our Contact for this call. */
  contact: NameAddr;
  /** Our media address for SDP (no media is sent: signalling-level session). */
  mediaAddress: string;
  mediaPort: number;
  /** Our identity, put in Referred-By when we transfer. */
  aor: NameAddr;
  /** Called for an incoming REFER: return false to refuse it (603), or a status. */
  referPolicy?: (call: Call, req: SipRequest) => boolean;
  /** Start a new outgoing call (for transfer as transferee). */
  placeCall?: (target: Uri, headers: [string, string][]) => Call;
  /** How long the transferor waits for the final NOTIFY. */
  transferTimeout?: number;
  /** After a successful transfer as transferee, how long to wait for the transferor's BYE before sending ours. */
  transfereeByeDelay?: number;
}

/** RFC 3261 §14.1: after 491, retry in 2.1–4 s if we own the Call-ID, 0–2 s if not. */
export function glareDelay(ownsCallId: boolean, random = Math.random): number {
  return ownsCallId ? 2100 + Math.floor(random() * 1900) : Math.floor(random() * 2000);
}

let callSeq = 0;

/**
 * One call: the INVITE dialog usage (RFC 3261 §13–§15) with hold/resume (RFC 3264, RFC 6337),
 * and the REFER usage (RFC 3515, RFC 3892, RFC 4488, RFC 5589) in the same dialog (RFC 5057).
 */
export class Call extends EventEmitter<CallEvents> {
  readonly id = `c${++callSeq}`;
  state: CallState;
  readonly direction: 'outgoing' | 'incoming';
  dialog: Dialog | undefined;
  readonly sdp: OfferAnswer;
  /** The INVITE that created the call (ours or theirs). */
  invite: SipRequest;
  /** Incoming: the transaction to answer. */
  private inviteTx: ServerTransaction | undefined;
  /** An INVITE transaction (initial or re-INVITE) we sent that has no final response yet. */
  private clientInviteBusy = false;
  /** Our 2xx to an INVITE waits for its ACK (then a new re-INVITE gets 500, RFC 3261 §14.2). */
  private awaitingAck = false;
  private localHoldWanted = false;
  /** REFER subscription state, as transferor. */
  private referState: { timer: TimerHandle | undefined; resumeAfter: boolean; done: boolean } | undefined;
  /** RFC 5057 dialog usages this call holds: the INVITE session and, during a transfer, the refer subscription. */
  private readonly inviteUsage: DialogUsage = { kind: 'invite' };
  private readonly referUsage: DialogUsage = { kind: 'subscription', key: 'refer' };
  /** The ACK of our initial INVITE's 2xx, resent as is for each 2xx retransmission. */
  private initialAck: SipRequest | undefined;
  /** Headers carried on the initial INVITE (Referred-By, Replaces) for the application. */
  referredBy: string | undefined;
  replaces: string | undefined;
  remoteIdentity: NameAddr;

  constructor(
    private readonly ctx: CallContext,
    init:
      | { direction: 'outgoing'; invite: SipRequest }
      | { direction: 'incoming'; invite: SipRequest; tx: ServerTransaction },
  ) {
    super();
    this.direction = init.direction;
    this.invite = init.invite;
    this.state = init.direction === 'outgoing' ? 'calling' : 'incoming';
    this.sdp = new OfferAnswer({ address: ctx.mediaAddress, port: ctx.mediaPort });
    if (init.direction === 'incoming') {
      this.inviteTx = init.tx;
      this.remoteIdentity = init.invite.from!;
      this.referredBy = init.invite.get('Referred-By');
      this.replaces = init.invite.get('Replaces');
    } else {
      this.remoteIdentity = init.invite.to!;
    }
  }

  get localHold(): boolean {
    return this.sdp.state.localHold;
  }
  get remoteHold(): boolean {
    return this.sdp.state.remoteHold;
  }
  private get core(): UserAgentCore {
    return this.ctx.core;
  }

  // ---- outgoing call (UAC) ---------------------------------------------------------------

  /** Build the INVITE for an outgoing call (with an SDP offer). */
  static createInvite(
    ctx: CallContext,
    target: Uri,
    opts: { from: NameAddr; to?: NameAddr; headers?: [string, string][] },
    sdp: OfferAnswer,
  ): SipRequest {
    return createRequest({
      method: 'INVITE',
      uri: target,
      from: opts.from,
      to: opts.to ?? new NameAddr(target.clone()),
      contact: ctx.contact,
      headers: [
        ['Allow', ctx.core.allow.join(', ')],
        ['Supported', ctx.core.supported.join(', ')],
        ...(opts.headers ?? []),
      ],
      body: sdp.createOffer(),
      contentType: 'application/sdp',
    });
  }

  /** Place an outgoing call: send the INVITE, follow its responses. */
  static dial(
    ctx: CallContext,
    target: Uri,
    opts: { from: NameAddr; to?: NameAddr; headers?: [string, string][] },
  ): Call {
    const tmp = new OfferAnswer({ address: ctx.mediaAddress, port: ctx.mediaPort });
    const invite = Call.createInvite(ctx, target, opts, tmp);
    const call = new Call(ctx, { direction: 'outgoing', invite });
    (call as unknown as { sdp: OfferAnswer }).sdp = tmp;
    call.start();
    return call;
  }

  private start(): void {
    this.clientInviteBusy = true;
    let acked = false;
    this.core
      .send(this.invite, {
        onRetry: (req) => {
          this.invite = req;
        },
        onResponse: (res) => {
          // §9.1: a CANCEL asked for before any provisional response goes out with the first one
          if (res.status < 200) {
            this.provisionalSeen = true;
            if (this.cancelRequested && !this.cancelSent) this.sendCancel();
          }
          if (res.status > 100 && res.status < 200 && this.state === 'calling') {
            this.state = 'ringing';
            if (res.to?.tag && !this.dialog) this.dialog = Dialog.fromUac(this.invite, res);
            this.emit('ringing', res.status);
          } else if (res.status >= 200 && res.status < 300) {
            this.on2xxToInitial(res, acked);
            acked = true;
          }
        },
      })
      .then((final) => {
        this.clientInviteBusy = false;
        if (final.status >= 300 && this.state !== 'terminated') {
          this.end(final.status === 487 ? 'cancelled' : 'rejected', final.status);
        }
      })
      .catch((e: Error) => this.emit('error', e));
  }

  private on2xxToInitial(res: SipResponse, alreadyAcked: boolean): void {
    const remoteTag = res.to?.tag ?? '';
    // a 2xx from another fork (or after we gave up): ACK it and end that dialog (§13.2.2.4)
    if (
      this.state === 'terminated' ||
      this.cancelRequested ||
      (this.dialog && this.dialog.state === 'confirmed' && this.dialog.remoteTag !== remoteTag)
    ) {
      if (this.cancelRequested && this.state !== 'terminated') this.end('cancelled', 200);
      const d = Dialog.fromUac(this.invite, res);
      this.core.sendStateless(d.createAck(this.invite)).catch(() => undefined);
      this.core.send(d.createRequest('BYE')).catch(() => undefined);
      return;
    }
    if (!this.dialog || this.dialog.remoteTag !== remoteTag) this.dialog = Dialog.fromUac(this.invite, res);
    else this.dialog.confirm(res);
    const dialog = this.dialog;
    dialog.state = 'confirmed';
    dialog.usages.add(this.inviteUsage);
    this.core.addDialog(dialog, this.handler);
    // ACK every 2xx (retransmissions included: the same ACK is resent, §13.2.2.4)
    if (!this.initialAck || this.initialAck.to?.tag !== remoteTag) this.initialAck = dialog.createAck(this.invite);
    this.core.sendStateless(this.initialAck).catch((e: Error) => this.emit('error', e));
    if (alreadyAcked) return;
    if (res.body.length) {
      try {
        this.sdp.setRemoteAnswer(res.body);
      } catch (e) {
        // an unusable answer: the call cannot go on (RFC 3261 §13.2.2.4 says ACK then BYE)
        this.emit('error', e as Error);
        this.hangup();
        return;
      }
    }
    this.state = 'established';
    this.emit('established');
  }

  // ---- incoming call (UAS) ---------------------------------------------------------------

  /** 180 Ringing, creating the early dialog. */
  ring(): void {
    if (this.state !== 'incoming' || !this.inviteTx) return;
    const tag = this.localTag();
    this.inviteTx.respond(createResponse(this.invite, 180, { toTag: tag, contact: this.ctx.contact }));
  }

  private localTag(): string {
    if (!this.dialog) {
      this.dialog = Dialog.fromUas(this.invite, newTag(), this.ctx.contact);
      this.dialog.usages.add(this.inviteUsage);
      this.core.addDialog(this.dialog, this.handler);
    }
    return this.dialog.localTag;
  }

  /** Answer with 200 OK (our SDP answer, or an offer when the INVITE had none). */
  answer(): void {
    if (this.state !== 'incoming' || !this.inviteTx) throw new Error(`call ${this.id} is not ringing`);
    let body: string;
    try {
      body = this.invite.body.length ? this.sdp.createAnswer(this.invite.body) : this.sdp.createOffer();
    } catch (e) {
      this.reject(488);
      this.emit('error', e as Error);
      return;
    }
    const tag = this.localTag();
    const ok = createResponse(this.invite, 200, {
      toTag: tag,
      contact: this.ctx.contact,
      body,
      contentType: 'application/sdp',
      headers: [
        ['Allow', this.core.allow.join(', ')],
        ['Supported', this.core.supported.join(', ')],
      ],
    });
    this.awaitingAck = true;
    this.state = 'established';
    this.dialog!.state = 'confirmed';
    void this.core.respond2xx(this.inviteTx, ok, this.dialog!).then((acked) => {
      this.awaitingAck = false;
      if (!acked && this.state !== 'terminated') this.hangup();
    });
    this.emit('established');
    if (this.sdp.state.remoteHold) this.emit('remote-held');
  }

  reject(status = 486): void {
    if (this.state !== 'incoming' || !this.inviteTx) return;
    this.inviteTx.respond(createResponse(this.invite, status, { toTag: this.dialog?.localTag }));
    this.end('rejected', status);
  }

  /** The INVITE was CANCELled (the core already answered 487). */
  cancelled(): void {
    this.end('cancelled', 487);
  }

  // ---- in-dialog requests ----------------------------------------------------------------

  private readonly handler = {
    onRequest: (tx: ServerTransaction, dialog: Dialog) => this.onInDialog(tx, dialog),
    onAck: (ack: SipRequest) => this.onAck(ack),
    onAckTimeout: () => this.hangup(),
  };

  private pendingOfferInOk = false;

  private onAck(ack: SipRequest): void {
    this.awaitingAck = false;
    if (this.pendingOfferInOk && ack.body.length) {
      // re-INVITE without offer: our offer was in the 200, the answer comes in the ACK (§14.2)
      this.pendingOfferInOk = false;
      const before = { l: this.localHold, r: this.remoteHold };
      try {
        this.sdp.setRemoteAnswer(ack.body);
      } catch (e) {
        this.emit('error', e as Error);
      }
      this.emitHoldChanges(before);
    }
  }

  private onInDialog(tx: ServerTransaction, dialog: Dialog): void {
    const req = tx.request;
    if (this.state === 'terminated' && req.method !== 'NOTIFY') {
      // the session usage is over; only the refer subscription is left in this dialog
      tx.respond(createResponse(req, 481));
      return;
    }
    switch (req.method) {
      case 'INVITE':
        return this.onReInvite(tx, dialog);
      case 'BYE':
        tx.respond(createResponse(req, 200));
        this.end('remote-bye', 200);
        return;
      case 'REFER':
        return this.onRefer(tx);
      case 'NOTIFY':
        return this.onNotify(tx);
      case 'UPDATE':
      case 'INFO':
      case 'OPTIONS':
      case 'MESSAGE':
        tx.respond(createResponse(req, 200));
        return;
      default:
        tx.respond(createResponse(req, 405, { headers: [['Allow', this.core.allow.join(', ')]] }));
    }
  }

  private onReInvite(tx: ServerTransaction, dialog: Dialog): void {
    const req = tx.request;
    // §14.2: an offer while our own is pending → 491; before the ACK of our 2xx → 500 + Retry-After
    if (this.clientInviteBusy || this.sdp.hasPendingOffer) {
      tx.respond(createResponse(req, 491));
      return;
    }
    if (this.awaitingAck) {
      tx.respond(createResponse(req, 500, { headers: [['Retry-After', String(Math.floor(Math.random() * 10))]] }));
      return;
    }
    dialog.refreshTarget(req);
    const before = { l: this.localHold, r: this.remoteHold };
    let body: string;
    try {
      if (req.body.length) body = this.sdp.createAnswer(req.body, { hold: this.localHoldWanted });
      else {
        body = this.sdp.createOffer({ hold: this.localHoldWanted });
        this.pendingOfferInOk = true;
      }
    } catch {
      // a failed re-INVITE leaves the session as it was (§14.2)
      tx.respond(createResponse(req, 488));
      return;
    }
    const ok = createResponse(req, 200, { contact: this.ctx.contact, body, contentType: 'application/sdp' });
    this.awaitingAck = true;
    void this.core.respond2xx(tx, ok, dialog).then(() => {
      this.awaitingAck = false;
    });
    this.emitHoldChanges(before);
  }

  private emitHoldChanges(before: { l: boolean; r: boolean }): void {
    if (before.r !== this.remoteHold) this.emit(this.remoteHold ? 'remote-held' : 'remote-resumed');
    if (before.l !== this.localHold) this.emit(this.localHold ? 'held' : 'resumed');
  }

  // ---- hold / resume (re-INVITE, RFC 3261 §14.1) -----------------------------------------

  hold(): Promise<boolean> {
    this.localHoldWanted = true;
    return this.reinvite(true);
  }

  resume(): Promise<boolean> {
    this.localHoldWanted = false;
    return this.reinvite(false);
  }

  /** Send a re-INVITE with an offer; resolves true when negotiated. 491 is retried (§14.1). */
  private async reinvite(hold: boolean, attempt = 0): Promise<boolean> {
    if (this.state !== 'established' || !this.dialog) throw new Error(`call ${this.id} is not established`);
    if (this.clientInviteBusy || this.awaitingAck) {
      // one INVITE transaction at a time in each direction
      await this.sleep(50);
      return this.reinvite(hold, attempt);
    }
    const before = { l: this.localHold, r: this.remoteHold };
    const offer = this.sdp.createOffer({ hold });
    const req = this.dialog.createRequest('INVITE', { body: offer, contentType: 'application/sdp' });
    this.clientInviteBusy = true;
    const dialog = this.dialog;
    let ack: SipRequest | undefined;
    let sentReq = req;
    const res = await this.core.send(req, {
      // a challenged re-INVITE is re-sent with credentials and a new CSeq: ACK that one
      onRetry: (r) => (sentReq = r),
      onResponse: (r) => {
        // every 2xx (first and retransmitted) gets the same ACK
        if (r.status >= 200 && r.status < 300)
          this.core.sendStateless((ack ??= dialog.createAck(sentReq))).catch(() => undefined);
      },
    });
    this.clientInviteBusy = false;
    if (res.status >= 200 && res.status < 300) {
      dialog.refreshTarget(res);
      try {
        this.sdp.setRemoteAnswer(res.body);
      } catch (e) {
        this.emit('error', e instanceof OfferAnswerError ? e : new Error(String(e)));
        return false;
      }
      this.emitHoldChanges(before);
      return true;
    }
    // failure: the previous session stays as it was (never end the call on a failed re-INVITE)
    this.sdp.rollback();
    if (res.status === 491 && attempt < 3 && this.state === 'established') {
      await this.sleep(glareDelay(dialog.isUac));
      return this.reinvite(hold, attempt + 1);
    }
    if (res.status === 481 || res.status === 408) {
      // §12.2.1.2: the dialog is gone
      this.end('dialog-gone', res.status);
      return false;
    }
    this.emit('reinvite-failed', res.status);
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.ctx.clock.setTimeout(r, ms));
  }

  // ---- transfer as transferor (REFER, RFC 3515 / RFC 5589) -------------------------------

  /**
   * Blind transfer to a URI, or attended transfer to the other party of `other`
   * (Refer-To with an escaped Replaces, RFC 5589 §7). `consult` holds this call first.
   */
  async transfer(target: Uri | Call, opts: { consult?: boolean; referSub?: boolean } = {}): Promise<void> {
    if (this.state !== 'established' || !this.dialog) throw new Error(`call ${this.id} is not established`);
    let referTo: string;
    if (target instanceof Call) {
      const d = target.dialog;
      if (!d || target.state !== 'established') throw new Error(`call ${target.id} is not established`);
      // Replaces identifies the target's dialog as the target sees it: to-tag = its tag, from-tag = ours
      const replaces = `${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`;
      const uri = d.remoteTarget.clone();
      if (uri.kind === 'sip') {
        uri.params.delete('transport');
        if (d.remoteTarget.kind === 'sip' && d.remoteTarget.transport)
          uri.params.set('transport', d.remoteTarget.transport);
        uri.headers.list.length = 0;
        uri.headers.list.push({ name: 'Replaces', value: escapeUriComponent(replaces, HEADER_VALUE_CHARS) });
      }
      referTo = `<${uri.toString()}>`;
    } else {
      referTo = `<${target.toString()}>`;
    }
    const resumeAfter = !!opts.consult && !this.localHold;
    if (opts.consult && !this.localHold) await this.hold();
    const headers: [string, string][] = [
      ['Refer-To', referTo],
      ['Referred-By', `<${this.ctx.aor.uri.toString()}>`],
    ];
    if (opts.referSub === false) headers.push(['Refer-Sub', 'false'], ['Require', 'norefersub']);
    const req = this.dialog.createRequest('REFER', { headers });
    this.referState = { timer: undefined, resumeAfter, done: false };
    this.dialog.usages.add(this.referUsage);
    const res = await this.core.send(req);
    if (res.status < 200 || res.status >= 300) {
      this.transferFailed(res.status, res.reason);
      return;
    }
    if (opts.referSub === false || res.referSub === false) {
      // RFC 4488: no subscription, no NOTIFYs: the outcome is unknown to us
      this.referState.done = true;
      this.releaseUsage(this.referUsage);
      this.emit('transfer-progress', 202, 'Accepted');
      return;
    }
    this.referState.timer = this.ctx.clock.setTimeout(
      () => this.transferFailed(408, 'no final NOTIFY'),
      this.ctx.transferTimeout ?? 32_000,
    );
  }

  private transferFailed(status: number, reason: string): void {
    const t = this.referState;
    if (!t || t.done) return;
    t.done = true;
    this.releaseUsage(this.referUsage);
    this.ctx.clock.clearTimeout(t.timer);
    this.emit('transfer-failed', status, reason);
    if (t.resumeAfter && this.state === 'established') this.resume().catch(() => undefined);
  }

  private onNotify(tx: ServerTransaction): void {
    const req = tx.request;
    const event = req.event?.value.toLowerCase();
    if (event !== 'refer') {
      tx.respond(createResponse(req, 489));
      return;
    }
    tx.respond(createResponse(req, 200));
    const t = this.referState;
    let status = 0;
    let reason = '';
    try {
      const frag = parseSipfrag(req.body);
      status = frag.status ?? 0;
      reason = frag.reason ?? '';
    } catch {
      /* an unreadable sipfrag is only progress we cannot show */
    }
    const terminated = req.subscriptionState?.state === 'terminated';
    if (status) this.emit('transfer-progress', status, reason);
    if (!t || t.done) return;
    if (status >= 200 && status < 300) {
      // only a 2xx sipfrag ends the original call (RFC 5589 §6)
      t.done = true;
      this.ctx.clock.clearTimeout(t.timer);
      this.emit('transferred', status);
      this.hangup();
      this.releaseUsage(this.referUsage);
    } else if (status >= 300) {
      this.transferFailed(status, reason);
    } else if (terminated) {
      this.transferFailed(status || 487, 'subscription terminated without a final status');
    }
  }

  // ---- transfer as transferee (incoming REFER) -------------------------------------------

  private onRefer(tx: ServerTransaction): void {
    const req = tx.request;
    const referTo = req.referTo;
    if (!referTo) {
      tx.respond(createResponse(req, 400, { reason: 'Bad Request (Refer-To missing)' }));
      return;
    }
    const replacesHeader = referTo.uri.kind === 'sip' ? referTo.uri.header('Replaces') : undefined;
    this.emit('refer-received', {
      referTo: referTo.uri.toString(),
      referredBy: req.get('Referred-By'),
      replaces: replacesHeader,
    });
    const allowed = this.ctx.referPolicy ? this.ctx.referPolicy(this, req) : true;
    if (!allowed || !this.ctx.placeCall) {
      tx.respond(createResponse(req, 603));
      return;
    }
    const noSub = req.referSub === false;
    tx.respond(createResponse(req, 202, { contact: this.ctx.contact, headers: noSub ? [['Refer-Sub', 'false']] : [] }));
    const dialog = this.dialog!;
    if (!noSub) dialog.usages.add(this.referUsage);
    const notify = (status: number, reason: string, final: boolean): Promise<SipResponse> | undefined => {
      if (noSub) return undefined;
      const n = dialog.createRequest('NOTIFY', {
        headers: [
          ['Event', 'refer'],
          ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
        ],
        body: buildSipfrag(status, reason),
        contentType: 'message/sipfrag;version=2.0',
      });
      const sent = this.core.send(n);
      // the notifier's usage ends with the final NOTIFY's transaction (RFC 5057 §5.2)
      if (final) void sent.finally(() => this.releaseUsage(this.referUsage));
      return sent;
    };
    void notify(100, 'Trying', false);
    // the new call carries Referred-By (RFC 3892) and Replaces when the Refer-To had one (RFC 3891)
    const target = referTo.uri.clone();
    const headers: [string, string][] = [];
    const rb = req.get('Referred-By');
    if (rb) headers.push(['Referred-By', rb]);
    if (target.kind === 'sip') {
      if (replacesHeader) headers.push(['Replaces', replacesHeader]);
      target.headers.list.length = 0;
    }
    const newCall = this.ctx.placeCall(target, headers);
    newCall.on('ringing', (s) => void notify(s, s === 180 ? 'Ringing' : 'Session Progress', false));
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the handler catches its own failures
    newCall.once('established', async () => {
      const answered = notify(200, 'OK', true);
      // wait for the final NOTIFY's answer before BYE, avoiding the 481 race; the transferor
      // normally sends BYE on the 2xx sipfrag (RFC 5589 §6), so give it a moment first
      if (answered) await answered.catch(() => undefined);
      this.emit('transferred', 200);
      if (this.state === 'terminated') return;
      await this.sleep(this.ctx.transfereeByeDelay ?? 1000);
      this.hangup();
    });
    newCall.once('terminated', (info) => {
      if (
        newCall.state === 'terminated' &&
        info.reason !== 'remote-bye' &&
        info.reason !== 'local-bye' &&
        info.code &&
        info.code >= 300
      ) {
        void notify(info.code, info.reason, true);
        this.emit('transfer-failed', info.code, info.reason);
      }
    });
  }

  // ---- ending ----------------------------------------------------------------------------

  /** Hang up: CANCEL while calling, reject while incoming, BYE when established. */
  hangup(): void {
    switch (this.state) {
      case 'calling':
      case 'ringing':
        this.cancel();
        return;
      case 'incoming':
        this.reject(603);
        return;
      case 'established': {
        const d = this.dialog!;
        this.end('local-bye');
        this.core.send(d.createRequest('BYE')).catch(() => undefined);
        return;
      }
      default:
        return;
    }
  }

  /** §9.1: CANCEL with the INVITE's Request-URI, Call-ID, From, To, CSeq number and top Via. */
  private cancel(): void {
    this.cancelRequested = true;
    // §9.1: no CANCEL before a provisional response; it is sent when the first one arrives
    if (this.provisionalSeen) this.sendCancel();
  }

  private sendCancel(): void {
    this.cancelSent = true;
    this.core.send(createCancel(this.invite)).catch(() => undefined);
  }

  /** We asked to CANCEL: a 2xx that crosses it must still be ACKed, then the call ended with BYE (§9.1). */
  private cancelRequested = false;
  private cancelSent = false;
  private provisionalSeen = false;

  private releaseUsage(u: DialogUsage): void {
    const d = this.dialog;
    if (!d) return;
    d.usages.delete(u);
    if (d.usages.size === 0 && this.state === 'terminated') {
      d.state = 'terminated';
      this.core.removeDialog(d);
    }
  }

  private end(reason: string, code?: number): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    if (this.referState) this.ctx.clock.clearTimeout(this.referState.timer);
    // the INVITE usage ends; the dialog lives on while a refer subscription still uses it (RFC 5057 §5.2)
    this.releaseUsage(this.inviteUsage);
    this.emit('terminated', code === undefined ? { reason } : { reason, code });
  }
}
