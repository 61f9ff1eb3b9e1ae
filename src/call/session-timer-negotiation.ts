/**
 * Session timer negotiation (RFC 4028 §7–§9) as pure functions over requests and responses:
 * which Session-Expires / Min-SE a request carries, what a UAS answers (422 when too small,
 * otherwise the interval and who refreshes), and what a UAC learns from the 2xx or the 422.
 * The running timer is in session-timer.ts.
 */
import type { SipMessage, SipResponse } from '../message/index.js';
import type { ExtensionMode } from './rel100.js';

/** RFC 4028 §4: Min-SE never below 90 s. */
export const MIN_SE_FLOOR = 90;
/** RFC 4028 §4: recommended Session-Expires, 30 minutes. */
export const DEFAULT_SESSION_EXPIRES = 1800;

export type Refresher = 'uac' | 'uas';

export interface SessionTimerPolicy {
  /** off: ignore Session-Expires; supported: use them; required: Require: timer on our INVITEs. */
  mode: ExtensionMode;
  /** Interval we ask for / accept at most, in seconds (default 1800). */
  interval?: number;
  /** The smallest interval we accept, in seconds (default 90, never lower). */
  minSE?: number;
  /** Who refreshes when the choice is ours (UAC: put in the request; UAS: when the request left it open). */
  refresher?: Refresher;
  /** Largest Min-SE we follow in a 422 (a peer controls it; default 7200 s). */
  maxInterval?: number;
}

export interface SessionExpires {
  interval: number;
  refresher: Refresher | undefined;
}

/** `Session-Expires: 1800;refresher=uac` (or compact `x:`); undefined when absent or malformed. */
export function parseSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const v = msg.get('Session-Expires');
  if (v === undefined) return undefined;
  const [delta, ...params] = v.split(';').map((s) => s.trim());
  if (!/^\d{1,10}$/.test(delta ?? '')) return undefined;
  let refresher: Refresher | undefined;
  for (const p of params) {
    const [name, value] = p.split('=').map((s) => s.trim().toLowerCase());
    if (name === 'refresher' && (value === 'uac' || value === 'uas')) refresher = value;
  }
  return { interval: Number(delta), refresher };
}

/** `Min-SE: 90` (parameters ignored); undefined when absent or malformed. */
export function parseMinSE(msg: SipMessage): number | undefined {
  const v = msg.get('Min-SE')?.split(';')[0]?.trim();
  return v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : undefined;
}

function supportsTimer(msg: SipMessage): boolean {
  return [...msg.supported, ...msg.require].some((t) => t.toLowerCase() === 'timer');
}

function settings(p: SessionTimerPolicy): { interval: number; minSE: number; maxInterval: number } {
  const minSE = Math.max(MIN_SE_FLOOR, p.minSE ?? MIN_SE_FLOOR);
  return {
    minSE,
    interval: Math.max(minSE, p.interval ?? DEFAULT_SESSION_EXPIRES),
    maxInterval: p.maxInterval ?? 7200,
  };
}

/** What a UAC asks for: interval and Min-SE (raised after a 422). */
export interface TimerRequest {
  interval: number;
  minSE: number;
  /** We are the refresher of the running session (a refresh says refresher=uac, §7.4). */
  refresher?: Refresher;
}

export function initialTimerRequest(p: SessionTimerPolicy): TimerRequest | undefined {
  if (p.mode === 'off') return undefined;
  const s = settings(p);
  return { interval: s.interval, minSE: s.minSE, ...(p.refresher ? { refresher: p.refresher } : {}) };
}

/** UAC: Session-Expires, Min-SE (and Require: timer when required) for an INVITE or UPDATE (RFC 4028 §7.1). */
export function timerRequestHeaders(r: TimerRequest, mode: ExtensionMode): [string, string][] {
  const h: [string, string][] = [
    ['Session-Expires', r.refresher ? `${r.interval};refresher=${r.refresher}` : String(r.interval)],
    ['Min-SE', String(r.minSE)],
  ];
  if (mode === 'required') h.push(['Require', 'timer']);
  return h;
}

export type UasTimerVerdict =
  | { kind: 'none' }
  | { kind: 'reject'; status: 422; headers: [string, string][] }
  | { kind: 'accept'; interval: number; refresher: Refresher; headers: [string, string][] };

/**
 * UAS: our answer to the Session-Expires of an INVITE/UPDATE (RFC 4028 §9). Too small with a UAC
 * that supports timers → 422 with our Min-SE; a UAC without timer support gets a raised
 * interval instead (it could not retry) and we refresh. The 2xx carries Session-Expires with
 * the refresher, and Require: timer when the UAC refreshes.
 */
export function uasTimerVerdict(req: SipMessage, p: SessionTimerPolicy): UasTimerVerdict {
  if (p.mode === 'off') return { kind: 'none' };
  const s = settings(p);
  const asked = parseSessionExpires(req);
  const peerSupports = supportsTimer(req);
  if (asked && asked.interval < s.minSE && peerSupports)
    return { kind: 'reject', status: 422, headers: [['Min-SE', String(s.minSE)]] };
  // §9: the UAS MAY add a timer the request did not ask for; we do only when we require timers
  if (!asked && p.mode !== 'required') return { kind: 'none' };
  const floor = Math.max(s.minSE, parseMinSE(req) ?? MIN_SE_FLOOR);
  // §9: the UAS may shorten the interval, never below either Min-SE
  const interval = asked ? Math.max(floor, Math.min(asked.interval, s.interval)) : Math.max(floor, s.interval);
  const refresher: Refresher = peerSupports ? (asked?.refresher ?? p.refresher ?? 'uac') : 'uas';
  const headers: [string, string][] = [['Session-Expires', `${interval};refresher=${refresher}`]];
  if (refresher === 'uac') headers.push(['Require', 'timer']);
  return { kind: 'accept', interval, refresher, headers };
}

export type UacTimerOutcome =
  | { kind: 'none' }
  | { kind: 'running'; interval: number; refresher: Refresher }
  /** 422: ask again with these values (§7.3), once per request. */
  | { kind: 'retry'; request: TimerRequest }
  /** 422 we cannot follow (no or absurd Min-SE). */
  | { kind: 'give-up' };

/** UAC: what the final response to our INVITE/UPDATE says about the session timer (RFC 4028 §7.2, §7.3). */
export function uacTimerOutcome(res: SipResponse, asked: TimerRequest, p: SessionTimerPolicy): UacTimerOutcome {
  const s = settings(p);
  if (res.status === 422) {
    const min = parseMinSE(res);
    if (min === undefined || min <= asked.interval || min > s.maxInterval) return { kind: 'give-up' };
    const request: TimerRequest = { ...asked, interval: min, minSE: Math.max(asked.minSE, min) };
    return { kind: 'retry', request };
  }
  if (res.status < 200 || res.status >= 300) return { kind: 'none' };
  const se = parseSessionExpires(res);
  if (!se) return { kind: 'none' };
  // §7.2: a 2xx without refresher means the UAC refreshes; the UAS must not go below our Min-SE
  const interval = Math.max(se.interval, MIN_SE_FLOOR);
  return { kind: 'running', interval, refresher: se.refresher ?? 'uac' };
}

/** Whether we refresh: `refresher` names a role in the transaction that negotiated it. */
export function weRefresh(refresher: Refresher, weWereUac: boolean): boolean {
  return (refresher === 'uac') === weWereUac;
}

/** RFC 4028 §7.4/§9: refresh by UPDATE when preferred and the peer allows it, else re-INVITE. */
export function refreshMethod(preferred: 'UPDATE' | 'INVITE', peerAllow: readonly string[]): 'UPDATE' | 'INVITE' {
  return preferred === 'UPDATE' && peerAllow.some((m) => m.toUpperCase() === 'UPDATE') ? 'UPDATE' : 'INVITE';
}
