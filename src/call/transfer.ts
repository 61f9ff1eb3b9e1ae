/**
 * Transfer flows (RFC 5589) built on the refer subscription: what the transferor puts in
 * Refer-To (blind, or attended with an escaped Replaces, RFC 3891 / RFC 5589 §7), and what the
 * transferee does with an accepted REFER (a new call carrying Referred-By, RFC 3892, and
 * Replaces; NOTIFYs of its progress; BYE of the old call after success, RFC 5589 §6).
 */
import {
  HEADER_VALUE_CHARS,
  createResponse,
  escapeUriComponent,
  type NameAddr,
  type SipRequest,
  type Uri,
} from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { UsageRouter } from '../dialog/usage-router.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Clock } from '../util/clock.js';
import { ReferNotifier } from './refer.js';

/** Refer-To for a blind transfer to `target`, or an attended one to the peer of `consultation`. */
export function referToFor(target: Uri | Dialog): string {
  if (!('callId' in target)) return `<${target.toString()}>`;
  const d = target;
  // Replaces names the target's dialog as the target sees it: to-tag = its tag, from-tag = ours
  const replaces = `${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`;
  const uri = d.remoteTarget.clone();
  if (uri.kind === 'sip') {
    uri.headers.list.length = 0;
    uri.headers.list.push({ name: 'Replaces', value: escapeUriComponent(replaces, HEADER_VALUE_CHARS) });
  }
  return `<${uri.toString()}>`;
}

/** What an incoming REFER asks (RFC 3515 §2.4.1), for the refer-received event and the policy. */
export interface ReferInfo {
  referTo: string;
  /** The Referred-By header as received (RFC 3892), valid or not. */
  referredBy: string | undefined;
  /** Whether Referred-By parsed as a name-addr with a URI: only then is it copied to the new INVITE. */
  referredByValid: boolean;
  /** The Replaces header carried in the Refer-To URI (attended transfer). */
  replaces: string | undefined;
}

export type ReadRefer =
  { ok: true; info: ReferInfo; target: Uri; headers: [string, string][] } | { ok: false; status: 400; reason: string };

/**
 * Read an incoming REFER. Refer-To is required (400 without a usable one); a malformed
 * Referred-By does not sink the request (liberal receiving): it is only left off the new INVITE.
 */
export function readRefer(req: SipRequest): ReadRefer {
  let referTo;
  try {
    referTo = req.referTo;
  } catch {
    return { ok: false, status: 400, reason: 'Bad Request (Refer-To invalid)' };
  }
  if (!referTo) return { ok: false, status: 400, reason: 'Bad Request (Refer-To missing)' };
  if (referTo.uri.kind === 'absolute')
    return { ok: false, status: 400, reason: 'Bad Request (Refer-To is not a SIP or tel URI)' };
  const rawBy = req.get('Referred-By');
  let byValid: boolean;
  try {
    byValid = rawBy !== undefined && req.referredBy !== undefined;
  } catch {
    byValid = false;
  }
  const replaces = referTo.uri.kind === 'sip' ? referTo.uri.header('Replaces') : undefined;
  const target = referTo.uri.clone();
  const headers: [string, string][] = [];
  // the new call carries Referred-By (RFC 3892) and Replaces when the Refer-To had one (RFC 3891)
  if (byValid && rawBy) headers.push(['Referred-By', rawBy]);
  if (target.kind === 'sip') {
    if (replaces) headers.push(['Replaces', replaces]);
    target.headers.list.length = 0;
  }
  return {
    ok: true,
    info: { referTo: referTo.uri.toString(), referredBy: rawBy, referredByValid: byValid, replaces },
    target,
    headers,
  };
}

/** The new call placed for a REFER, as the transferee flow sees it. */
export interface ReferredCall {
  onProgress(fn: (status: number) => void): void;
  onAnswered(fn: () => void): void;
  /** The call failed before it was answered (a final non-2xx, or cancelled). */
  onFailed(fn: (status: number, reason: string) => void): void;
}

export interface TransfereeFlow {
  notifier: ReferNotifier;
  call: ReferredCall;
  clock: Clock;
  /** After success, how long to leave the transferor to send BYE before we do (ms). */
  byeDelay: number;
  transferred(status: number): void;
  failed(status: number, reason: string): void;
  /** End the original call (BYE) if it is still up. */
  hangupOriginal(): Promise<void>;
  originalLive(): boolean;
}

/** Relay the new call's progress as NOTIFYs; on success end the original call (RFC 5589 §6). */
export function runTransferee(f: TransfereeFlow): void {
  void f.notifier.notify(100, 'Trying', false);
  f.call.onProgress((s) => void f.notifier.notify(s, s === 180 ? 'Ringing' : 'Session Progress', false));
  f.call.onAnswered(() => {
    // wait for the final NOTIFY's answer before BYE (avoiding the 481 race); the transferor
    // normally sends BYE on the 2xx sipfrag, so give it a moment first
    void f.notifier.notify(200, 'OK', true).then(() => {
      f.transferred(200);
      if (!f.originalLive()) return;
      f.clock.setTimeout(() => void f.hangupOriginal(), f.byeDelay);
    });
  });
  f.call.onFailed((status, reason) => {
    void f.notifier.notify(status, reason, true);
    f.failed(status, reason);
  });
}

/** What an incoming REFER needs of the call it arrived in (RFC 3515 §2.4). */
export interface IncomingReferContext {
  core: UserAgentCore;
  clock: Clock;
  router: UsageRouter;
  contact: NameAddr;
  /** Transfers this call runs now; one more than `max` gets 503. */
  running: { count: number; max: number };
  byeDelay: number;
  /** The application's REFER policy, and whether a new call can be placed at all. */
  allowed(req: SipRequest): boolean;
  established(): boolean;
  placeCall(target: Uri, headers: [string, string][]): ReferredCall;
  received(info: ReferInfo): void;
  transferred(status: number): void;
  failed(status: number, reason: string): void;
  hangupOriginal(): Promise<void>;
}

/**
 * An incoming REFER as transferee: 400 without a usable Refer-To, 603 when refused, 503 when
 * too many run; else 202 (with Refer-Sub: false when asked, RFC 4488) and the transferee flow.
 */
export function acceptRefer(tx: ServerTransaction, dialog: Dialog, ctx: IncomingReferContext): void {
  const req = tx.request;
  const r = readRefer(req);
  if (!r.ok) {
    tx.respond(createResponse(req, r.status, { reason: r.reason }));
    return;
  }
  ctx.received(r.info);
  if (!ctx.allowed(req) || !ctx.established()) {
    tx.respond(createResponse(req, 603));
    return;
  }
  if (ctx.running.count >= ctx.running.max) {
    tx.respond(createResponse(req, 503, { headers: [['Retry-After', '5']] }));
    return;
  }
  let subscribed = true;
  try {
    subscribed = req.referSub !== false;
  } catch {
    /* an unreadable Refer-Sub asks for nothing: keep the default subscription */
  }
  tx.respond(createResponse(req, 202, { contact: ctx.contact, headers: subscribed ? [] : [['Refer-Sub', 'false']] }));
  const notifier = new ReferNotifier({ core: ctx.core, clock: ctx.clock, dialog, router: ctx.router }, req, subscribed);
  const call = ctx.placeCall(r.target, r.headers);
  ctx.running.count++;
  runTransferee({
    notifier,
    clock: ctx.clock,
    byeDelay: ctx.byeDelay,
    call,
    transferred: (status) => (ctx.running.count--, ctx.transferred(status)),
    failed: (status, reason) => (ctx.running.count--, ctx.failed(status, reason)),
    hangupOriginal: ctx.hangupOriginal,
    originalLive: ctx.established,
  });
}
