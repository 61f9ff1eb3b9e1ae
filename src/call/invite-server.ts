/**
 * The UAS side of the initial INVITE (RFC 3261 §13.3): ringing (the early dialog), the answer
 * with its 2xx retransmitted until the ACK (§13.3.1.4), rejection, and CANCEL (§9.2).
 */
import { createResponse, newTag, type SipRequest } from '../message/index.js';
import { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/index.js';
import { asError } from '../util/events.js';
import { InvalidStateError, errorForStatus } from './errors.js';
import { InviteSession, type InviteSessionOptions } from './invite-session.js';
import { InviteState, SignallingState } from './states.js';
import { ProvisionalAbandonedError } from './reliable-1xx.js';

export class IncomingInviteSession extends InviteSession {
  constructor(
    opts: InviteSessionOptions,
    invite: SipRequest,
    private readonly inviteTx: ServerTransaction,
  ) {
    super(opts, 'uas', invite);
    if (invite.body.length) this.signalling.to(SignallingState.HaveRemoteOffer);
  }

  /** Our dialog for the incoming INVITE (created with our To tag at the first response). */
  private uasDialog(): Dialog {
    if (!this.dialog) {
      this.dialog = Dialog.fromUas(this.invite, newTag(), this.opts.contact);
      this.adoptDialog(this.dialog);
    }
    return this.dialog;
  }

  /** 180 Ringing, creating the early dialog. */
  ring(): void {
    if (this.state !== InviteState.Incoming) return;
    const tag = this.uasDialog().localTag;
    const headers = this.ext.reliable ? this.capabilityHeaders() : [];
    this.machine.to(InviteState.Early);
    // RFC 3262 §3: a reliable 1xx never PRACKed within 64*T1 → the INVITE is rejected 5xx
    const ringing = createResponse(this.invite, 180, { toTag: tag, contact: this.opts.contact, headers });
    this.ext
      .provisional(ringing, (r) => this.inviteTx.respond(r))
      .catch((e: unknown) => {
        if (!(e instanceof ProvisionalAbandonedError)) this.reject(504);
      });
  }

  /**
   * 200 OK with our answer (or our offer when the INVITE had none). Resolves when the ACK
   * arrives; rejects when the offer is unusable (488 sent) or the ACK never comes (BYE sent).
   */
  async answer(): Promise<void> {
    if (this.state !== InviteState.Incoming && this.state !== InviteState.Early)
      throw new InvalidStateError('INVITE session', this.state, InviteState.Connected);
    let body: string;
    try {
      await this.media.open();
      if (this.state !== InviteState.Incoming && this.state !== InviteState.Early)
        throw new InvalidStateError('INVITE session', this.state, InviteState.Connected);
      body = this.invite.body.length ? this.media.answerOffer(this.invite.body) : this.media.createOffer();
    } catch (e) {
      this.reject(488);
      throw asError(e);
    }
    this.signalling.to(this.invite.body.length ? SignallingState.Stable : SignallingState.HaveLocalOffer);
    this.offerInOk = !this.invite.body.length;
    const dialog = this.uasDialog();
    await this.ext.beforeFinal(); // RFC 3262 §3: no 2xx before the PRACK of a 1xx with SDP
    if (this.state !== InviteState.Incoming && this.state !== InviteState.Early)
      throw new InvalidStateError('INVITE session', this.state, InviteState.Connected);
    const ok = createResponse(this.invite, 200, {
      toTag: dialog.localTag,
      contact: this.opts.contact,
      body,
      contentType: 'application/sdp',
      headers: [...this.capabilityHeaders(), ...this.ext.finalHeaders()],
    });
    this.ext.finalSent();
    this.ext.refresh.answeredRefresh();
    this.machine.to(InviteState.Connected);
    dialog.state = 'confirmed';
    const acked = this.respond2xx(this.inviteTx, ok, dialog);
    this.emit('connected');
    if (this.media.state.remoteHold) this.emit('hold-changed', { localHold: false, remoteHold: false });
    if (!(await acked)) throw errorForStatus(408, 'no ACK for our 2xx', 'answer');
  }

  reject(status = 486, headers: [string, string][] = []): void {
    if (this.state !== InviteState.Incoming && this.state !== InviteState.Early) return;
    this.ext.finalSent();
    this.inviteTx.respond(createResponse(this.invite, status, { toTag: this.dialog?.localTag, headers }));
    this.end('rejected', status);
  }

  /** The INVITE was CANCELled (the core already answered 487). */
  cancelled(): void {
    if (this.state === InviteState.Incoming || this.state === InviteState.Early) this.end('cancelled', 487);
  }

  /** Whether `tx` is the server transaction of our initial INVITE (CANCEL matching, §9.2). */
  isTransaction(tx: ServerTransaction): boolean {
    return this.inviteTx === tx;
  }

  protected override abandon(): void {
    this.reject(603);
  }
}
