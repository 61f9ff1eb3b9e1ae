/**
 * The UAC side of the initial INVITE (RFC 3261 §13.2): early dialogs from provisional
 * responses, the 2xx and its ACK (retransmissions and forks, §13.2.2.4), and CANCEL (§9.1).
 */
import { SipRequest, StoredRequest, createCancel, type SipResponse } from '../message/index.js';
import { Dialog } from '../dialog/dialog.js';
import { asError } from '../util/events.js';
import { InviteSession, type InviteSessionOptions, type SessionParts } from './invite-session.js';
import { InviteState, SignallingState } from './states.js';

/** The INVITE again as a new transaction (CSeq + 1, new branch) with some headers replaced. */
function reissue(invite: SipRequest, replace: [string, string][]): SipRequest {
  // Require keeps its other tags (100rel): only the timer values are replaced
  const names = new Set(replace.map(([n]) => n.toLowerCase()).filter((n) => n !== 'require'));
  replace = replace.filter(([n]) => n.toLowerCase() !== 'require' || !invite.require.includes('timer'));
  const copy = new SipRequest(
    invite.method,
    invite.uri.clone(),
    invite.headers.filter((h) => h.key !== 'via' && !names.has(h.key)).map((h) => ({ ...h, raw: undefined })),
    invite.body,
  );
  copy.set('CSeq', `${invite.cseq!.seq + 1} INVITE`);
  for (const [n, v] of replace) copy.append(n, v);
  return copy;
}

export class OutgoingInviteSession extends InviteSession {
  /**
   * The ACK of our 2xx, resent as is for each 2xx retransmission (§13.2.2.4): kept as its wire text
   * once sent (a held call keeps it as long as the 2xx may come again), and `ackFor` its dialog.
   */
  private initialAck: SipRequest | StoredRequest | undefined;
  private ackFor: Dialog | undefined;
  /** We asked to CANCEL: a 2xx that crosses it must still be ACKed, then ended with BYE (§9.1). */
  private cancelRequested = false;
  private cancelSent = false;
  private provisionalSeen = false;
  /** SDP of the last unreliable 18x per To tag: the early copy of that dialog's answer (RFC 3261 §13.2.1). */
  private earlyAnswers: Map<string, Buffer> | undefined;
  /**
   * The early dialogs of other forks (To tags other than `dialog`'s), routed to us too: each callee may
   * UPDATE, INFO or PRACK in its own early dialog (RFC 3261 §12.1.2, RFC 3311 §5.1). Both maps are
   * made when first needed and dropped once the call is up: most calls never fork.
   */
  private forks: Map<string, Dialog> | undefined;

  constructor(opts: InviteSessionOptions, parts: SessionParts, invite: SipRequest) {
    super(opts, parts, 'uac', invite);
  }

  /** Put our offer in the INVITE and send it; resolves with the final response once handled. */
  async start(): Promise<SipResponse | undefined> {
    try {
      await this.media.open();
    } catch (e) {
      this.reportError(asError(e));
      this.end('error');
      return undefined;
    }
    this.invite.setBody(this.media.createOffer(), 'application/sdp');
    for (const [n, v] of this.ext.inviteHeaders()) this.invite.append(n, v);
    this.signalling.to(SignallingState.HaveLocalOffer);
    this.clientInviteBusy = true;
    let acked = false;
    try {
      const send = () =>
        this.core.send(this.invite, {
          onRetry: (req) => (this.invite = req),
          onResponse: (res) => {
            if (res.status < 200) this.onProvisional(res);
            else if (res.status < 300) {
              this.on2xx(res, acked);
              acked = true;
            }
          },
        });
      let final = await send();
      // RFC 4028 §7.3: 422 → once more with the Min-SE it asked for (a new transaction)
      const retry = final.status === 422 && this.isLive ? this.ext.refresh.onResponse(final) : undefined;
      if (retry) {
        this.invite = reissue(this.invite, retry);
        final = await send();
      }
      this.clientInviteBusy = false;
      if (final.status >= 300 && this.state !== InviteState.Terminated)
        this.end(final.status === 487 ? 'cancelled' : 'rejected', final.status, final.reason);
      return final;
    } catch (e) {
      this.clientInviteBusy = false;
      this.reportError(asError(e));
      this.end('error');
      return undefined;
    }
  }

  private onProvisional(res: SipResponse): void {
    // §9.1: a CANCEL asked for before any provisional response goes out with the first one
    this.provisionalSeen = true;
    if (this.cancelRequested && !this.cancelSent) this.sendCancel();
    if (res.status === 100) return;
    const tag = res.to?.tag;
    if (tag && !this.dialog && this.isLive) {
      // the early dialog is routed to us: the callee may UPDATE, INFO or PRACK in it (RFC 3311 §5.1)
      this.dialog = this.dialogFor(res);
      this.adoptDialog(this.dialog);
    } else if (tag && this.dialog?.remoteTag !== tag && !this.forks?.has(tag) && this.isLive) {
      // another fork's 1xx: a second early dialog (§12.1.2), routed by its To tag like the first
      const fork = this.dialogFor(res);
      (this.forks ??= new Map()).set(tag, fork);
      this.router.addUsage(fork, this.usage);
      this.router.attach(fork);
    }
    // RFC 3262 §4: PRACK each reliable 1xx in its early dialog; an answer in it completes our offer
    const early = this.dialog?.remoteTag === tag ? this.dialog : tag ? this.forks?.get(tag) : undefined;
    const sdp = tag ? this.ext.onProvisional(res, early ?? this.dialogFor(res), true) : 'none';
    if (sdp === 'unreliable' && tag && res.body.length) this.earlyAnswer(res, tag);
    else if (sdp === 'answer' || sdp === 'offer') this.tell('early-media', res.status, this.media.state);
    this.ext.refresh.noteAllow(res);
    if (this.state !== InviteState.Calling) return;
    this.machine.to(InviteState.Early);
    this.tell('progress', res.status);
  }

  /**
   * SDP in an unreliable 18x: a copy of the answer ahead of the 2xx (RFC 3261 §13.2.1). Media
   * follows it at once (early media, RFC 3960); our offer stays open for the 2xx's answer.
   */
  private earlyAnswer(res: SipResponse, tag: string): void {
    if (this.signalling.state !== SignallingState.HaveLocalOffer) return;
    try {
      this.media.applyAnswer(res.body, { early: true });
    } catch (e) {
      this.reportError(asError(e)); // no early media from it; the 2xx still decides
      return;
    }
    (this.earlyAnswers ??= new Map()).set(tag, res.body);
    this.tell('early-media', res.status, this.media.state);
  }

  private on2xx(res: SipResponse, alreadyAcked: boolean): void {
    const remoteTag = res.to?.tag ?? '';
    // a 2xx from another fork (or after we gave up): ACK it and end that dialog (§13.2.2.4)
    if (
      !this.isLive ||
      this.cancelRequested ||
      (this.dialog && this.dialog.state === 'confirmed' && this.dialog.remoteTag !== remoteTag)
    ) {
      if (this.cancelRequested && this.state !== InviteState.Terminated) this.end('cancelled', 200);
      const d = this.dialogFor(res);
      this.core.sendStateless(d.createAck(this.invite)).catch(() => undefined);
      this.core.send(d.createRequest('BYE')).catch(() => undefined);
      return;
    }
    const fork = this.forks?.get(remoteTag);
    this.forks?.delete(remoteTag);
    if (!this.dialog || this.dialog.remoteTag !== remoteTag) {
      // the 2xx came from another fork: its early dialog (if we had one) ends (§13.2.2.4)
      this.router.releaseUsage(this.dialog, this.usage);
      this.dialog = fork ?? this.dialogFor(res);
      if (fork) fork.confirm(res);
    } else this.dialog.confirm(res);
    // the other forks' early dialogs end: a 2xx from one of them is ACKed and BYEd above
    this.releaseForks();
    const dialog = this.dialog;
    dialog.state = 'confirmed';
    if (!dialog.hasUsage(this.usage)) this.adoptDialog(dialog);
    // ACK every 2xx (retransmissions included: the same ACK is resent, §13.2.2.4)
    this.sendAck(dialog);
    if (alreadyAcked) return;
    try {
      // the answer may already have come in a reliable 1xx (RFC 3262 §5): then the 2xx's SDP is a copy.
      // Otherwise the 2xx's SDP is the answer, even when an 18x previewed another (RFC 6337 §3.1); a 2xx
      // without SDP keeps its dialog's early answer (lenient: such callees exist)
      if (this.signalling.state === SignallingState.HaveLocalOffer) {
        const answer = res.body.length ? res.body : this.earlyAnswers?.get(remoteTag);
        if (answer?.length) this.media.applyAnswer(answer);
        else this.media.rollback();
      }
      this.earlyAnswers = undefined;
      this.ext.refresh.onResponse(res);
    } catch (e) {
      // an unusable answer: the call cannot go on (§13.2.2.4: ACK, then BYE)
      this.signalling.to(SignallingState.Stable);
      this.machine.to(InviteState.Connected);
      this.reportError(asError(e));
      void this.hangup();
      return;
    }
    this.signalling.to(SignallingState.Stable);
    this.machine.to(InviteState.Connected);
    // the INVITE's exchange is over: keep it as text (a fork's late 2xx or a BYE reads it again)
    this.storeInvite();
    this.tell('connected');
  }

  /** A dialog (early or confirmed) made by a response to our INVITE (RFC 3261 §12.1.2). */
  private dialogFor(res: SipResponse): Dialog {
    return Dialog.fromUac(this.invite, res, this.opts.contact);
  }

  /** Send the ACK of `dialog`'s 2xx: the one made for its first 2xx again (Via and branch included). */
  private sendAck(dialog: Dialog): void {
    let ack = this.initialAck;
    if (!ack || this.ackFor !== dialog) {
      ack = dialog.createAck(this.invite);
      this.ackFor = dialog;
    }
    const req = ack instanceof StoredRequest ? ack.request() : ack;
    this.initialAck = req;
    this.core.sendStateless(req).then(
      // sent with its Via: from now on only its text is kept
      () => {
        if (this.initialAck === req) this.initialAck = new StoredRequest(req);
      },
      (e: unknown) => this.reportError(asError(e)),
    );
  }

  private releaseForks(): void {
    for (const d of this.forks?.values() ?? []) this.router.releaseUsage(d, this.usage);
    this.forks = undefined;
  }

  protected override end(reason: string, code?: number, detail?: string): void {
    this.releaseForks();
    super.end(reason, code, detail);
  }

  /** §9.1: CANCEL with the INVITE's Request-URI, Call-ID, From, To, CSeq number and top Via. */
  protected override abandon(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.machine.to(InviteState.Terminating);
    // §9.1: no CANCEL before a provisional response; it is sent when the first one arrives
    if (this.provisionalSeen) this.sendCancel();
  }

  private sendCancel(): void {
    this.cancelSent = true;
    this.core.send(createCancel(this.invite)).catch((e) => this.reportError(asError(e)));
  }
}
