/**
 * Session timers of one session (RFC 4028): the negotiation on each INVITE/UPDATE in either
 * direction, the running SessionTimer, and the refresh itself (UPDATE without SDP when the peer
 * allows it, else re-INVITE with the same SDP, §7.4), with one retry after 422 (§7.3).
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Clock } from '../util/clock.js';
import { SessionTimer } from './session-timer.js';
import {
  initialTimerRequest,
  refreshMethod,
  timerRequestHeaders,
  uacTimerOutcome,
  uasTimerVerdict,
  weRefresh,
  type Refresher,
  type SessionTimerPolicy,
  type TimerRequest,
} from './session-timer-negotiation.js';

export interface RefreshPolicy extends SessionTimerPolicy {
  /** How we refresh when we are the refresher (default UPDATE when the peer allows it). */
  method?: 'UPDATE' | 'INVITE';
  /** Fraction of the interval after which we refresh (default 0.5, RFC 4028 §10). */
  refreshAt?: number;
}

/** What the refresh needs of the session. */
export interface RefreshPort {
  readonly clock: Clock;
  dialog(): { createRequest(method: string, opts?: { headers?: [string, string][] }): SipRequest } | undefined;
  send(req: SipRequest): Promise<SipResponse>;
  refreshByInvite(headers: [string, string][]): Promise<SipResponse>;
  /** No refresh in time, or the dialog is gone: end the session with BYE. */
  expire(): void;
  error(e: Error): void;
}

export class SessionRefresh {
  /** The running timer, made at the first negotiation that starts one. */
  private runningTimer: SessionTimer | undefined;
  /** Before any timer exists: 'stopped' once the session ended, else 'inactive'. */
  private idleState: 'inactive' | 'stopped' = 'inactive';
  /** UAS: what we granted in the response being built. */
  private granted: { interval: number; refresher: Refresher; headers: [string, string][] } | undefined;
  /** UAC: what our last request asked. */
  private asked: TimerRequest | undefined;
  /** The peer's last Allow listed UPDATE (only that is kept of it). */
  private peerAllowsUpdate = false;
  /** Headers for the retry of a refresh answered 422. */
  private retryHeaders: [string, string][] | undefined;

  constructor(
    private readonly port: RefreshPort,
    private readonly policy: RefreshPolicy,
    private readonly updateEnabled: boolean,
  ) {}

  /** Most sessions never negotiate a timer (issue 16 §1: per-call objects): made on first start. */
  private get timer(): SessionTimer {
    if (this.runningTimer) return this.runningTimer;
    const port = this.port;
    const t = new SessionTimer({
      clock: port.clock,
      onRefresh: () => void this.sendRefresh(),
      onExpired: () => port.expire(),
      ...(this.policy.refreshAt !== undefined ? { refreshAt: this.policy.refreshAt } : {}),
    });
    if (this.idleState === 'stopped') t.stop();
    return (this.runningTimer = t);
  }

  get state(): SessionTimer['state'] {
    return this.runningTimer?.state ?? this.idleState;
  }
  /** Negotiated interval (s) and whether we refresh, while a timer runs. */
  get session(): { interval: number; refresher: boolean } | undefined {
    return this.runningTimer?.session;
  }

  /** Remember the peer's Allow (from its INVITE, 1xx or 2xx) to choose UPDATE for refreshes. */
  noteAllow(msg: SipRequest | SipResponse): void {
    if (msg.has('Allow')) this.peerAllowsUpdate = refreshMethod('UPDATE', msg.allow) === 'UPDATE';
  }

  // ---- UAS: an INVITE / re-INVITE / UPDATE from the peer --------------------------------------

  /** Our verdict on the request's Session-Expires: 422 to send, or undefined (headers for the 2xx kept). */
  checkRequest(req: SipRequest): { status: number; headers: [string, string][] } | undefined {
    this.noteAllow(req);
    const v = uasTimerVerdict(req, this.policy);
    this.granted = undefined;
    if (v.kind === 'reject') return { status: v.status, headers: v.headers };
    if (v.kind === 'accept') this.granted = { interval: v.interval, refresher: v.refresher, headers: v.headers };
    return undefined;
  }
  /** Session-Expires (and Require: timer) for our 2xx to the checked request. */
  responseHeaders(): [string, string][] {
    return this.granted?.headers ?? [];
  }
  /** Our 2xx to the checked request went out: the interval (re)starts (RFC 4028 §9). */
  answeredRefresh(): void {
    const g = this.granted;
    this.granted = undefined;
    if (this.ended) return;
    if (g) this.timer.start(g.interval, weRefresh(g.refresher, false));
    else if (this.policy.mode !== 'off') this.runningTimer?.disable();
  }

  // ---- UAC: our INVITE / re-INVITE / UPDATE ---------------------------------------------------

  /** Session-Expires / Min-SE for a request of ours; a refresh keeps the interval and the refresher (§7.4). */
  requestHeaders(refresh = false): [string, string][] {
    if (this.policy.mode === 'off') return [];
    const s = this.session;
    if (refresh && s) {
      const base = this.asked ?? initialTimerRequest(this.policy)!;
      this.asked = { interval: s.interval, minSE: base.minSE, refresher: s.refresher ? 'uac' : 'uas' };
    } else this.asked ??= initialTimerRequest(this.policy);
    if (!this.asked) return [];
    const h = timerRequestHeaders(this.asked, this.policy.mode);
    // in-dialog requests carry no Supported of their own: without it the UAS would take us for a
    // UA without timers and refresh itself (RFC 4028 §9)
    return refresh ? [['Supported', 'timer'], ...h] : h;
  }

  /** The session ended or expired: late requests and responses change nothing. */
  private get ended(): boolean {
    const state = this.state;
    return state === 'stopped' || state === 'expired';
  }

  /**
   * The final response to a request of ours that carried requestHeaders(). Returns the headers
   * for a retry after 422 (§7.3), else undefined; a 2xx (re)starts or stops the timer.
   */
  onResponse(res: SipResponse): [string, string][] | undefined {
    this.noteAllow(res);
    if (!this.asked || this.ended) return undefined;
    const out = uacTimerOutcome(res, this.asked, this.policy);
    switch (out.kind) {
      case 'retry':
        this.asked = out.request;
        return timerRequestHeaders(out.request, this.policy.mode);
      case 'running':
        this.timer.start(out.interval, weRefresh(out.refresher, true));
        return undefined;
      case 'none':
        if (res.status >= 200 && res.status < 300) this.runningTimer?.disable();
        return undefined;
      case 'give-up':
        return undefined;
    }
  }

  private async sendRefresh(): Promise<void> {
    const method = this.updateEnabled
      ? refreshMethod(this.policy.method ?? 'UPDATE', this.peerAllowsUpdate ? ['UPDATE'] : [])
      : 'INVITE';
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const headers: [string, string][] =
          attempt === 0 ? this.requestHeaders(true) : [['Supported', 'timer'], ...(this.retryHeaders ?? [])];
        let res: SipResponse;
        if (method === 'UPDATE') {
          const d = this.port.dialog();
          if (!d) return;
          res = await this.port.send(d.createRequest('UPDATE', { headers }));
        } else res = await this.port.refreshByInvite(headers);
        if (res.status === 481 || res.status === 408) {
          this.port.expire(); // RFC 4028 §10 / RFC 3261 §12.2.1.2: the dialog is gone
          return;
        }
        this.retryHeaders = this.onResponse(res);
        if (!this.retryHeaders) return; // a failure other than 422 leaves the expiry timer to end it
      }
    } catch (e) {
      this.port.error(e as Error);
    }
  }
  stop(): void {
    if (this.runningTimer) this.runningTimer.stop();
    else this.idleState = 'stopped';
  }
}
