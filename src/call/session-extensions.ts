/**
 * The extensions of one INVITE session (issue 13 §3) behind a narrow port, so that the session
 * class only calls hooks at its protocol points and routes methods here:
 * - 100rel/PRACK (RFC 3262): reliable 1xx as UAS, PRACK as UAC, offer/answer in both;
 * - UPDATE (RFC 3311) in and out, early and confirmed;
 * - session timers (RFC 4028): headers of the INVITE/2xx, refresh and expiry (session-refresh.ts);
 * - INFO / MESSAGE / OPTIONS to the application's handlers.
 */
import { createResponse, type SipRequest, type SipResponse } from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Clock } from '../util/clock.js';
import type { MediaSession, MediaState } from '../media/session.js';
import { uasReliability, uacRel100Headers, type ExtensionMode } from './rel100.js';
import { ReliableProvisionalReceiver, ReliableProvisionalSender, type SdpRole } from './reliable-1xx.js';
import { UpdateClient, incomingUpdateVerdict, peerAllowsUpdate, type Signalling } from './update.js';
import type { RequestHandlers } from './request-handlers.js';
import { CallError } from './errors.js';
import { SessionRefresh, type RefreshPolicy } from './session-refresh.js';

export interface ExtensionPolicy {
  /** RFC 3262 (default 'supported': reliable 1xx when the peer requires them). */
  rel100: ExtensionMode;
  /** RFC 3311 UPDATE taken and sent (default true). */
  update: boolean;
  /** RFC 4028 (default mode 'supported'). */
  timers: RefreshPolicy;
}

export const DEFAULT_EXTENSIONS: ExtensionPolicy = Object.freeze({
  rel100: 'supported',
  update: true,
  timers: Object.freeze({ mode: 'supported' }),
});

/** What the extensions need of the session that owns them. */
export interface SessionPort {
  readonly role: 'uac' | 'uas';
  readonly clock: Clock;
  readonly media: MediaSession;
  /** RFC 3261 T1 (ms). */
  readonly T1: number;
  dialog(): Dialog | undefined;
  signalling(): Signalling;
  setSignalling(s: Signalling): void;
  /** The INVITE's own offer/answer exchange has completed. */
  negotiated(): boolean;
  setNegotiated(): void;
  connected(): boolean;
  send(req: SipRequest): Promise<SipResponse>;
  /** Run an offer-bearing request through the session's serial queue (491 retried there). */
  serial<T>(attempt: () => Promise<{ glare: boolean; value: T }>): Promise<T>;
  /** A session refresh by re-INVITE carrying these headers; resolves with its final response. */
  refreshByInvite(headers: [string, string][]): Promise<SipResponse>;
  /** The media hold state may have changed since `before`. */
  mediaChanged(before: MediaState): void;
  /** End the session with BYE (session expired, RFC 4028 §10). */
  expire(): void;
  error(e: Error): void;
  /** Application handlers for INFO / MESSAGE / OPTIONS. */
  handlers: RequestHandlers | undefined;
  /** Our Contact for responses to target-refresh requests. */
  contactHeader(): string;
}

export class SessionExtensions {
  private reliableWanted = false;
  /** The INVITE listed 100rel in Supported or Require: a 1xx may go reliably when we choose (RFC 3262 §3). */
  private peerReliable = false;
  private sender: ReliableProvisionalSender | undefined;
  private receiver: ReliableProvisionalReceiver | undefined;
  /** Our UPDATE's client side, made at our first UPDATE. */
  private updateClient: UpdateClient | undefined;
  readonly refresh: SessionRefresh;

  constructor(
    private readonly port: SessionPort,
    private readonly policy: ExtensionPolicy,
  ) {
    this.refresh = new SessionRefresh(port, policy.timers, policy.update);
  }

  private get updates(): UpdateClient {
    return (this.updateClient ??= new UpdateClient(this.port.media));
  }

  // ---- UAS: the initial INVITE --------------------------------------------------------------

  /** Before anything is sent for an incoming INVITE: a required 421/420/422, or undefined to go on. */
  checkInvite(invite: SipRequest): { status: number; headers: [string, string][] } | undefined {
    const rel = uasReliability(invite, this.policy.rel100);
    if (rel.kind === 'reject') return { status: rel.status, headers: rel.headers };
    this.reliableWanted = rel.kind === 'reliable';
    this.peerReliable = [...invite.supported, ...invite.require].some((t) => t.toLowerCase() === '100rel');
    return this.refresh.checkRequest(invite);
  }

  /** Whether our provisional responses go reliably. */
  get reliable(): boolean {
    return this.reliableWanted;
  }

  /**
   * Whether one provisional response goes reliably: as negotiated, or when asked (`want`) and the
   * UAC supports 100rel (RFC 3262 §3). Throws when reliability is asked of a UAC without it.
   */
  reliableFor(want?: boolean): boolean {
    if (want === undefined) return this.reliableWanted;
    if (!want) {
      if (this.reliableWanted)
        throw new CallError('early media: the UAC requires 100rel, provisional responses go reliably (RFC 3262 §3)');
      return false;
    }
    if (this.policy.rel100 === 'off' || !this.peerReliable)
      throw new CallError('early media: a reliable 1xx needs 100rel on both sides (RFC 3262 §3)');
    return true;
  }

  /** The INVITE's offer/answer completed early (an answer in a reliable 1xx we sent, RFC 3262 §5). */
  markNegotiated(): void {
    this.port.setNegotiated();
  }

  /**
   * Send a provisional response (101–199) through `respond` (the INVITE server transaction):
   * reliably when negotiated, retransmitted until its PRACK. Resolves when sent (unreliable) or
   * PRACKed; rejects with PrackTimeoutError after 64*T1 (the caller then rejects the INVITE
   * with a 5xx, RFC 3262 §3).
   */
  provisional(
    res: SipResponse,
    respond: (r: SipResponse) => void,
    sdp: SdpRole = 'none',
    reliable = this.reliableWanted,
  ): Promise<void> {
    if (!reliable) {
      respond(res);
      return Promise.resolve();
    }
    this.sender ??= new ReliableProvisionalSender({ clock: this.port.clock, T1: this.port.T1, send: respond });
    return this.sender.sendReliable(res, sdp);
  }

  /** RFC 3262 §3: the 2xx waits for the PRACK of a 1xx that carried SDP. */
  beforeFinal(): Promise<void> {
    return this.sender?.whenFinalAllowed() ?? Promise.resolve();
  }
  /** The final response went out: stop retransmitting 1xx. */
  finalSent(): void {
    this.sender?.finish();
  }
  /** Headers our 2xx to the INVITE carries (Session-Expires, Require: timer). */
  finalHeaders(): [string, string][] {
    return this.refresh.responseHeaders();
  }

  /** PRACK in the early dialog (RFC 3262 §3, §5). */
  onPrack(tx: ServerTransaction): void {
    const req = tx.request;
    const m = this.sender?.onPrack(req);
    if (!m || m.status === 481) {
      tx.respond(createResponse(req, 481));
      return;
    }
    const before = this.port.media.state;
    let body: string | undefined;
    try {
      if (m.sdp === 'answer') {
        this.port.media.applyAnswer(req.body);
        this.port.setSignalling('stable');
        this.port.setNegotiated();
      } else if (m.sdp === 'offer') {
        this.port.setSignalling('have-remote-offer');
        body = this.port.media.answerOffer(req.body);
        this.port.setSignalling('stable');
      }
    } catch (e) {
      this.port.setSignalling('stable');
      tx.respond(createResponse(req, 488));
      this.port.error(e as Error);
      return;
    }
    tx.respond(createResponse(req, 200, body ? { body, contentType: 'application/sdp' } : {}));
    this.port.mediaChanged(before);
  }

  // ---- UAC: the initial INVITE ---------------------------------------------------------------

  /** Headers our INVITE carries for 100rel and timers (Supported comes from the capabilities). */
  inviteHeaders(): [string, string][] {
    return [...uacRel100Headers(this.policy.rel100), ...this.refresh.requestHeaders()];
  }

  /**
   * A provisional response to our INVITE in `dialog` (its early dialog): PRACK it when reliable.
   * Returns what its SDP did: 'answer' or 'offer' when it took part in the INVITE's exchange,
   * 'unreliable' for a 1xx without 100rel (its SDP, if any, is left to the session), else 'none'.
   */
  onProvisional(res: SipResponse, dialog: Dialog | undefined, inviteHadOffer: boolean): SdpRole | 'unreliable' {
    this.receiver ??= new ReliableProvisionalReceiver(inviteHadOffer);
    const v = this.receiver.onProvisional(res);
    if (v.kind === 'unreliable') return 'unreliable';
    if (v.kind !== 'prack' || !dialog) return 'none';
    let role: SdpRole = 'none';
    let body: string | undefined;
    try {
      if (v.sdp === 'answer' && this.port.signalling() === 'have-local-offer') {
        this.port.media.applyAnswer(res.body);
        this.port.setSignalling('stable');
        this.port.setNegotiated();
        role = 'answer';
      } else if (v.sdp === 'offer') {
        this.port.setSignalling('have-remote-offer');
        body = this.port.media.answerOffer(res.body);
        this.port.setSignalling('stable');
        this.port.setNegotiated();
        role = 'offer';
      }
    } catch (e) {
      this.port.error(e as Error);
    }
    const prack = dialog.createRequest('PRACK', {
      headers: [['RAck', v.rack]],
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
    this.port.send(prack).catch((e: unknown) => this.port.error(e as Error));
    return role;
  }

  // ---- UPDATE --------------------------------------------------------------------------------

  /** An UPDATE from the peer (RFC 3311 §5.2), early or confirmed. */
  onUpdate(tx: ServerTransaction, dialog: Dialog): void {
    const req = tx.request;
    const v = incomingUpdateVerdict(req, { signalling: this.port.signalling(), negotiated: this.port.negotiated() });
    if (v.kind === 'reject') {
      tx.respond(createResponse(req, v.status, { headers: v.headers }));
      return;
    }
    const timer = this.refresh.checkRequest(req);
    if (timer) {
      tx.respond(createResponse(req, timer.status, { headers: timer.headers }));
      return;
    }
    dialog.refreshTarget(req);
    const before = this.port.media.state;
    let body: string | undefined;
    if (v.offer) {
      try {
        this.port.setSignalling('have-remote-offer');
        body = this.port.media.answerOffer(req.body);
      } catch {
        // a failed UPDATE leaves the session as it was (RFC 3311 §5.2)
        this.port.setSignalling('stable');
        tx.respond(createResponse(req, 488));
        return;
      }
      this.port.setSignalling('stable');
    }
    tx.respond(
      createResponse(req, 200, {
        contact: this.port.contactHeader(),
        headers: this.refresh.responseHeaders(),
        ...(body ? { body, contentType: 'application/sdp' } : {}),
      }),
    );
    this.refresh.answeredRefresh();
    this.port.mediaChanged(before);
  }

  /** Send an UPDATE with a new offer (hold/resume/renegotiate); resolves with the new media state. */
  update(opts: { hold?: boolean } = {}): Promise<MediaState> {
    return this.port.serial(async () => {
      const dialog = this.port.dialog();
      if (!dialog) throw new Error('UPDATE: no dialog yet');
      const ctx = { signalling: this.port.signalling(), negotiated: this.port.negotiated() };
      const before = this.port.media.state;
      // the seam's createOffer takes the hold option: wrap it for this one offer
      const offer = this.updates.begin(ctx, true, () => this.port.media.createOffer(opts));
      this.port.setSignalling('have-local-offer');
      let res: SipResponse;
      try {
        res = await this.port.send(
          dialog.createRequest('UPDATE', {
            body: offer,
            contentType: 'application/sdp',
            headers: [['Contact', this.port.contactHeader()], ...this.refresh.requestHeaders(true)],
          }),
        );
      } catch (e) {
        this.updates.abandon();
        this.port.setSignalling('stable');
        throw e;
      }
      try {
        const out = this.updates.finish(res);
        if (out.kind === 'answered') {
          dialog.refreshTarget(res);
          this.refresh.onResponse(res);
        }
        if (out.kind === 'glare') return { glare: true, value: this.port.media.state };
        if (out.kind === 'dialog-gone') this.port.expire();
        if (out.kind === 'failed' || out.kind === 'dialog-gone') throw new UpdateFailedError(res.status, res.reason);
      } finally {
        this.port.setSignalling('stable');
      }
      this.port.mediaChanged(before);
      return { glare: false, value: this.port.media.state };
    });
  }

  /** Whether the peer takes UPDATE (its Allow in the INVITE, a 1xx or the 2xx). */
  static peerAllowsUpdate(msg: SipRequest | SipResponse): boolean {
    return peerAllowsUpdate(msg);
  }

  // ---- INFO / MESSAGE / OPTIONS --------------------------------------------------------------

  /** In-dialog INFO, MESSAGE or OPTIONS: to the application's handler, else the default answer. */
  onAppRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const h = this.port.handlers;
    if (!h) {
      tx.respond(createResponse(req, 200));
      return;
    }
    void h.handle(req, { inDialog: true }).then((r) =>
      tx.respond(
        createResponse(req, r.status, {
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.headers ? { headers: r.headers } : {}),
          ...(r.body !== undefined ? { body: r.body, contentType: r.contentType ?? 'text/plain' } : {}),
        }),
      ),
    );
  }

  /** The session ended: stop timers and retransmissions. */
  close(): void {
    this.sender?.finish();
    this.refresh.stop();
  }
}

/** Our UPDATE got a final non-2xx (other than 491, which the queue retries). */
export class UpdateFailedError extends Error {
  override name = 'UpdateFailedError';
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`UPDATE rejected: ${status} ${reason}`);
  }
}
