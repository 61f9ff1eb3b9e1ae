/**
 * The UAS side of the initial INVITE (RFC 3261 §13.3): ringing (the early dialog), the answer
 * with its 2xx retransmitted until the ACK (§13.3.1.4), rejection, and CANCEL (§9.2).
 */
import { createResponse, newTag, type SipRequest } from '../message/index.js';
import { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/index.js';
import { asError } from '../util/events.js';
import { InvalidStateError, errorForStatus } from './errors.js';
import { InviteSession, type InviteSessionOptions, type SessionParts } from './invite-session.js';
import { InviteState, SignallingState } from './states.js';
import { ProvisionalAbandonedError, type SdpRole } from './reliable-1xx.js';

export interface ProgressOptions {
  /** 180 or 183 (default 183 Session Progress). */
  status?: number;
  /** Put our answer (or, reliably, our offer) in it: early media (default true). */
  media?: boolean;
  /** Send it reliably (RFC 3262): default as negotiated; true needs a UAC that supports 100rel. */
  reliable?: boolean;
}

export class IncomingInviteSession extends InviteSession {
  /** SDP we sent in a 1xx: the 2xx repeats it rather than answering anew (RFC 3261 §13.2.1). */
  private earlySdp: string | undefined;
  /**
   * The INVITE's server transaction until the final response is settled (2xx ACKed, or a non-2xx
   * sent): only then can it take a response or a CANCEL (§9.2). Not kept for the life of the call:
   * it holds the INVITE, its response target and timers (about 1 KB per held call).
   */
  private inviteTx: ServerTransaction | undefined;

  constructor(opts: InviteSessionOptions, parts: SessionParts, invite: SipRequest, inviteTx: ServerTransaction) {
    super(opts, parts, 'uas', invite);
    this.inviteTx = inviteTx;
    if (invite.body.length) this.signalling.to(SignallingState.HaveRemoteOffer);
  }

  /** Our dialog for the incoming INVITE (created with our To tag at the first response). */
  private uasDialog(): Dialog {
    if (!this.dialog) {
      // the dialog reads the INVITE through the session, which stores it compactly once answered
      this.dialog = Dialog.fromUas(this.invite, newTag(), this.opts.contact, this);
      this.adoptDialog(this.dialog);
    }
    return this.dialog;
  }

  /** Allow and Supported, on a reliable 1xx (RFC 3262 §3) and on the 2xx. */
  private capabilityHeaders(): [string, string][] {
    return [
      ['Allow', this.core.allow.join(', ')],
      ['Supported', this.core.supported.join(', ')],
    ];
  }

  /** progress() was called (it may still be opening the media). */
  private progressStarted = false;

  /** 180 Ringing, creating the early dialog. */
  ring(): void {
    if (this.state !== InviteState.Incoming) return;
    // an offerless INVITE: our offer must be in the first reliable 1xx (RFC 3262 §5), so a reliable
    // 180 carries it, as progress() does (which rejects the INVITE itself when that fails); not when
    // the application's progress() already sends it
    if (this.ext.reliable && !this.invite.body.length) {
      if (!this.progressStarted) this.progress({ status: 180 }).catch(() => undefined);
      return;
    }
    const tag = this.uasDialog().localTag;
    const headers = this.ext.reliable ? this.capabilityHeaders() : [];
    this.machine.to(InviteState.Early);
    // RFC 3262 §3: a reliable 1xx never PRACKed within 64*T1 → the INVITE is rejected 5xx
    const ringing = createResponse(this.invite, 180, { toTag: tag, contact: this.opts.contact, headers });
    this.ext
      .provisional(ringing, (r) => this.inviteTx?.respond(r))
      .catch((e: unknown) => {
        if (!(e instanceof ProvisionalAbandonedError)) this.reject(504);
      });
  }

  /**
   * A provisional response (183 by default) with our answer to the INVITE's offer, so that media
   * flows before the call is answered (early media, RFC 3960). Reliable when 100rel is negotiated
   * or asked for (RFC 3262): the answer then completes the INVITE's exchange, and an offerless
   * INVITE gets our offer, answered in the PRACK (§5). Unreliable, it is a copy of the answer that
   * the 2xx repeats (RFC 3261 §13.2.1). Resolves when sent, or PRACKed when reliable.
   */
  async progress(opts: ProgressOptions = {}): Promise<void> {
    this.progressStarted = true;
    const live = () => this.state === InviteState.Incoming || this.state === InviteState.Early;
    if (!live()) throw new InvalidStateError('INVITE session', this.state, 'early media');
    const reliable = this.ext.reliableFor(opts.reliable);
    const offered = this.invite.body.length > 0;
    let body: string | undefined;
    let role: SdpRole = 'none';
    if (opts.media !== false && (offered || reliable)) {
      try {
        await this.openMedia();
        if (!live()) throw new InvalidStateError('INVITE session', this.state, 'early media');
        body = this.earlySdp ?? (offered ? this.media.answerOffer(this.invite.body) : this.media.createOffer());
      } catch (e) {
        this.reject(488);
        throw asError(e);
      }
      role = offered ? 'answer' : 'offer';
      if (this.earlySdp === undefined) {
        this.earlySdp = body;
        if (!offered) this.signalling.to(SignallingState.HaveLocalOffer);
        else if (reliable) this.signalling.to(SignallingState.Stable);
        if (offered && reliable) this.ext.markNegotiated(); // RFC 3262 §5: the exchange is complete
      } else role = 'none'; // a repeat: not a new answer or offer
    }
    const headers = reliable ? this.capabilityHeaders() : [];
    const res = createResponse(this.invite, opts.status ?? 183, {
      toTag: this.uasDialog().localTag,
      contact: this.opts.contact,
      headers,
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
    this.machine.to(InviteState.Early);
    const sent = this.ext.provisional(res, (r) => this.inviteTx?.respond(r), role, reliable);
    if (body) this.tell('early-media', res.status, this.media.state);
    await sent.catch((e: unknown) => {
      if (e instanceof ProvisionalAbandonedError) return;
      this.reject(504); // RFC 3262 §3: never PRACKed
      throw asError(e);
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
    // after early media the exchange happened in a 1xx (and its PRACK): the 2xx repeats our SDP
    const early = this.earlySdp !== undefined;
    try {
      await this.openMedia();
      if (this.state !== InviteState.Incoming && this.state !== InviteState.Early)
        throw new InvalidStateError('INVITE session', this.state, InviteState.Connected);
      if (early) body = this.media.localSdp ?? this.earlySdp!;
      else body = this.invite.body.length ? this.media.answerOffer(this.invite.body) : this.media.createOffer();
    } catch (e) {
      this.reject(488);
      throw asError(e);
    }
    // an offerless INVITE's early offer went reliably and its answer came in the PRACK (RFC 3262 §5)
    this.offerInOk = !early && !this.invite.body.length;
    if (!early || this.invite.body.length)
      this.signalling.to(this.offerInOk ? SignallingState.HaveLocalOffer : SignallingState.Stable);
    const dialog = this.uasDialog();
    await this.ext.beforeFinal(); // RFC 3262 §3: no 2xx before the PRACK of a 1xx with SDP
    const tx = this.inviteTx;
    if (!tx || (this.state !== InviteState.Incoming && this.state !== InviteState.Early))
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
    const acked = this.respond2xx(tx, ok, dialog);
    this.tell('connected');
    if (this.media.state.remoteHold) this.tell('hold-changed', { localHold: false, remoteHold: false });
    const gotAck = await acked;
    this.inviteTx = undefined;
    this.storeInvite();
    if (!gotAck) throw errorForStatus(408, 'no ACK for our 2xx', 'answer');
  }

  reject(status = 486, headers: [string, string][] = []): void {
    if (this.state !== InviteState.Incoming && this.state !== InviteState.Early) return;
    this.ext.finalSent();
    this.inviteTx?.respond(createResponse(this.invite, status, { toTag: this.dialog?.localTag, headers }));
    this.inviteTx = undefined;
    this.end('rejected', status);
  }

  /** The INVITE was CANCELled (the core already answered 487). */
  cancelled(): void {
    if (this.state === InviteState.Incoming || this.state === InviteState.Early) {
      this.inviteTx = undefined;
      this.end('cancelled', 487);
    }
  }

  /** Whether `tx` is the server transaction of our initial INVITE (CANCEL matching, §9.2). */
  isTransaction(tx: ServerTransaction): boolean {
    return this.inviteTx === tx;
  }

  protected override abandon(): void {
    this.reject(603);
  }
}
