/**
 * The UAC side of the initial INVITE (RFC 3261 §13.2): early dialogs from provisional
 * responses, the 2xx and its ACK (retransmissions and forks, §13.2.2.4), and CANCEL (§9.1).
 */
import { createCancel, type SipRequest, type SipResponse } from '../message/index.js';
import { Dialog } from '../dialog/dialog.js';
import { asError, emitError } from '../util/events.js';
import { InviteSession, type InviteSessionOptions } from './invite-session.js';
import { InviteState, SignallingState } from './states.js';

export class OutgoingInviteSession extends InviteSession {
  /** The ACK of our 2xx, resent as is for each 2xx retransmission. */
  private initialAck: SipRequest | undefined;
  /** We asked to CANCEL: a 2xx that crosses it must still be ACKed, then ended with BYE (§9.1). */
  private cancelRequested = false;
  private cancelSent = false;
  private provisionalSeen = false;

  constructor(opts: InviteSessionOptions, invite: SipRequest) {
    super(opts, 'uac', invite);
  }

  /** Put our offer in the INVITE and send it; resolves with the final response once handled. */
  async start(): Promise<SipResponse | undefined> {
    try {
      await this.media.open();
    } catch (e) {
      emitError(this, asError(e));
      this.end('error');
      return undefined;
    }
    this.invite.setBody(this.media.createOffer(), 'application/sdp');
    this.signalling.to(SignallingState.HaveLocalOffer);
    this.clientInviteBusy = true;
    let acked = false;
    try {
      const final = await this.core.send(this.invite, {
        onRetry: (req) => (this.invite = req),
        onResponse: (res) => {
          if (res.status < 200) this.onProvisional(res);
          else if (res.status < 300) {
            this.on2xx(res, acked);
            acked = true;
          }
        },
      });
      this.clientInviteBusy = false;
      if (final.status >= 300 && this.state !== InviteState.Terminated)
        this.end(final.status === 487 ? 'cancelled' : 'rejected', final.status, final.reason);
      return final;
    } catch (e) {
      this.clientInviteBusy = false;
      emitError(this, asError(e));
      this.end('error');
      return undefined;
    }
  }

  private onProvisional(res: SipResponse): void {
    // §9.1: a CANCEL asked for before any provisional response goes out with the first one
    this.provisionalSeen = true;
    if (this.cancelRequested && !this.cancelSent) this.sendCancel();
    if (res.status === 100 || this.state !== InviteState.Calling) return;
    this.machine.to(InviteState.Early);
    if (res.to?.tag && !this.dialog) this.dialog = Dialog.fromUac(this.invite, res);
    this.emit('progress', res.status);
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
      const d = Dialog.fromUac(this.invite, res);
      this.core.sendStateless(d.createAck(this.invite)).catch(() => undefined);
      this.core.send(d.createRequest('BYE')).catch(() => undefined);
      return;
    }
    if (!this.dialog || this.dialog.remoteTag !== remoteTag) this.dialog = Dialog.fromUac(this.invite, res);
    else this.dialog.confirm(res);
    const dialog = this.dialog;
    dialog.state = 'confirmed';
    if (!dialog.usages.has(this.usage)) this.adoptDialog(dialog);
    // ACK every 2xx (retransmissions included: the same ACK is resent, §13.2.2.4)
    if (!this.initialAck || this.initialAck.to?.tag !== remoteTag) this.initialAck = dialog.createAck(this.invite);
    this.core.sendStateless(this.initialAck).catch((e) => emitError(this, asError(e)));
    if (alreadyAcked) return;
    try {
      if (res.body.length) this.media.applyAnswer(res.body);
      else this.media.rollback();
    } catch (e) {
      // an unusable answer: the call cannot go on (§13.2.2.4: ACK, then BYE)
      this.signalling.to(SignallingState.Stable);
      this.machine.to(InviteState.Connected);
      emitError(this, asError(e));
      void this.hangup();
      return;
    }
    this.signalling.to(SignallingState.Stable);
    this.machine.to(InviteState.Connected);
    this.emit('connected');
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
    this.core.send(createCancel(this.invite)).catch((e) => emitError(this, asError(e)));
  }
}
