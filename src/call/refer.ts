/**
 * The refer subscription (RFC 3515, RFC 6665) as two dialog usages: ReferSubscriber for the
 * REFER we send (transferor) and ReferNotifier for one we accept (transferee). Each REFER in a
 * dialog makes its own subscription, told apart by `Event: refer;id=<CSeq of the REFER>`
 * (RFC 3515 §2.4.6); `Refer-Sub: false` (RFC 4488) makes none.
 */
import { EventEmitter } from 'node:events';
import { buildSipfrag, createResponse, parseSipfrag, type SipRequest, type SipResponse } from '../message/index.js';
import type { Dialog, DialogUsage } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { UsageRouter } from '../dialog/usage-router.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TransferFailedError } from './errors.js';
import { Machine } from './states.js';

export const SubscriptionState = {
  /** REFER sent (or received), not yet accepted. */
  Pending: 'pending',
  Active: 'active',
  Terminated: 'terminated',
} as const;
export type SubscriptionState = (typeof SubscriptionState)[keyof typeof SubscriptionState];
const MOVES: Record<SubscriptionState, readonly SubscriptionState[]> = {
  pending: ['active', 'terminated'],
  active: ['terminated'],
  terminated: [],
};

export interface ReferUsageOptions {
  core: UserAgentCore;
  clock: Clock;
  dialog: Dialog;
  router: UsageRouter;
}

/** The final outcome of a REFER: the sipfrag's final status, or 202 when there was no subscription. */
export interface ReferOutcome {
  status: number;
  reason: string;
  /** False with Refer-Sub: false (RFC 4488): the result is unknown to us. */
  subscribed: boolean;
}

/** The `id` of a refer NOTIFY (its Event header), undefined when absent. */
export function referEventId(req: SipRequest): string | undefined {
  return req.event?.params.get('id') ?? undefined;
}

/**
 * A NOTIFY in a dialog where we sent REFERs, to the subscription it is for: 489 for an event
 * other than refer, 481 for no such subscription (RFC 6665 §4.1.3).
 */
export function dispatchNotify(tx: ServerTransaction, subscribers: readonly ReferSubscriber[]): void {
  const req = tx.request;
  if (req.event?.value.toLowerCase() !== 'refer') {
    tx.respond(createResponse(req, 489));
    return;
  }
  // RFC 3515 §2.4.6: the id names the REFER; without one, the first REFER's subscription
  const id = referEventId(req);
  const sub =
    id !== undefined
      ? subscribers.find((s) => s.id === id)
      : (subscribers.find((s) => s.state !== SubscriptionState.Terminated) ?? subscribers[0]);
  if (sub) sub.onNotify(tx);
  else tx.respond(createResponse(req, 481));
}

/** Transferor: one REFER and the NOTIFYs it brings (RFC 3515 §2.4.4–§2.4.7). */
export class ReferSubscriber extends EventEmitter<{ progress: [status: number, reason: string] }> {
  /** The REFER's CSeq number: the `id` of its NOTIFYs' Event header. */
  id = '';
  private readonly machine = new Machine<SubscriptionState>('refer subscription', MOVES, SubscriptionState.Pending);
  private readonly usage: { kind: 'subscription'; key: string } = { kind: 'subscription', key: 'refer' };
  private timer: TimerHandle | undefined;
  private settle: { resolve: (o: ReferOutcome) => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly opts: ReferUsageOptions) {
    super();
  }

  get state(): SubscriptionState {
    return this.machine.state;
  }

  /**
   * Send the REFER (headers: Refer-To, Referred-By, ...). Resolves with the final 2xx sipfrag
   * (or 202 without a subscription); rejects with TransferFailedError otherwise, after
   * `timeout` ms without a final NOTIFY too.
   */
  refer(headers: [string, string][], timeout: number): Promise<ReferOutcome> {
    const { dialog, router, core, clock } = this.opts;
    const req = dialog.createRequest('REFER', { headers });
    this.setId(req);
    const noSub = headers.some(([n, v]) => n.toLowerCase() === 'refer-sub' && v.toLowerCase() === 'false');
    router.addUsage(dialog, this.usage);
    const outcome = new Promise<ReferOutcome>((resolve, reject) => (this.settle = { resolve, reject }));
    core
      .send(req, { onRetry: (r) => this.setId(r) })
      .then((res) => {
        if (this.state === SubscriptionState.Terminated) return;
        if (res.status < 200 || res.status >= 300) return this.finish(res.status, res.reason);
        if (noSub || res.referSub === false) {
          // RFC 4488: no subscription, no NOTIFYs: the outcome is unknown to us
          this.emit('progress', 202, 'Accepted');
          return this.finish(202, res.reason || 'Accepted', false);
        }
        if (this.state === SubscriptionState.Pending) this.machine.to(SubscriptionState.Active);
        this.timer = clock.setTimeout(() => this.finish(408, 'no final NOTIFY'), timeout);
      })
      .catch((e: Error) => this.finish(500, e.message));
    return outcome;
  }

  private setId(req: SipRequest): void {
    this.id = String(req.cseq!.seq);
    this.usage.key = `refer;id=${this.id}`;
  }

  /** A NOTIFY for this subscription (the owner matched its Event id). */
  onNotify(tx: ServerTransaction): void {
    const req = tx.request;
    tx.respond(createResponse(req, 200));
    let status = 0;
    let reason = '';
    try {
      const frag = parseSipfrag(req.body);
      status = frag.status ?? 0;
      reason = frag.reason ?? '';
    } catch {
      /* an unreadable sipfrag is only progress we cannot show */
    }
    if (status) this.emit('progress', status, reason);
    if (this.state === SubscriptionState.Terminated) return;
    if (this.state === SubscriptionState.Pending) this.machine.to(SubscriptionState.Active);
    if (status >= 200) this.finish(status, reason);
    else if (req.subscriptionState?.state === 'terminated')
      this.finish(487, 'subscription terminated without a final status');
  }

  /** The dialog went away (the call ended and nothing more will come). */
  abandon(status = 481, reason = 'dialog ended'): void {
    this.finish(status, reason);
  }

  private finish(status: number, reason: string, subscribed = true): void {
    if (this.state === SubscriptionState.Terminated) return;
    this.machine.to(SubscriptionState.Terminated);
    this.opts.clock.clearTimeout(this.timer);
    this.opts.router.releaseUsage(this.opts.dialog, this.usage);
    if ((status >= 200 && status < 300) || !subscribed) this.settle?.resolve({ status, reason, subscribed });
    else this.settle?.reject(new TransferFailedError(status, reason));
  }
}

/** Transferee: the subscription an accepted REFER creates; NOTIFYs carry the new call's progress. */
export class ReferNotifier {
  private readonly machine = new Machine<SubscriptionState>('refer notifier', MOVES, SubscriptionState.Active);
  private readonly usage: DialogUsage;
  readonly id: string;

  /** `refer` is the accepted REFER; with Refer-Sub: false pass subscribed=false (no NOTIFYs). */
  constructor(
    private readonly opts: ReferUsageOptions,
    refer: SipRequest,
    readonly subscribed: boolean,
  ) {
    this.id = String(refer.cseq!.seq);
    this.usage = { kind: 'subscription', key: `refer;id=${this.id}` };
    if (subscribed) opts.router.addUsage(opts.dialog, this.usage);
    else this.machine.to(SubscriptionState.Terminated);
  }

  get state(): SubscriptionState {
    return this.machine.state;
  }

  /** NOTIFY the new call's progress as a sipfrag; `final` ends the subscription. */
  notify(status: number, reason: string, final: boolean): Promise<SipResponse | undefined> {
    if (this.state === SubscriptionState.Terminated) return Promise.resolve(undefined);
    if (final) this.machine.to(SubscriptionState.Terminated);
    const n = this.opts.dialog.createRequest('NOTIFY', {
      headers: [
        ['Event', `refer;id=${this.id}`],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: buildSipfrag(status, reason),
      contentType: 'message/sipfrag;version=2.0',
    });
    const sent = this.opts.core.send(n).then(
      (res) => {
        // 481: the transferor's side is gone; nothing more to tell (RFC 6665 §4.1.3)
        if (res.status === 481 && this.state !== SubscriptionState.Terminated) {
          this.machine.to(SubscriptionState.Terminated);
          this.opts.router.releaseUsage(this.opts.dialog, this.usage);
        }
        return res;
      },
      () => undefined,
    );
    // the notifier's usage ends with the final NOTIFY's transaction (RFC 5057 §5.2)
    if (final) void sent.finally(() => this.opts.router.releaseUsage(this.opts.dialog, this.usage));
    return sent;
  }
}
