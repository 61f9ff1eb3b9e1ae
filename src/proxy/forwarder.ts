/**
 * The proxy's response contexts (RFC 3261 §16.6–§16.10): forwarding to each target, RFC 3263
 * failover across the destinations of a target, Timer C, CANCEL, and the one path by which every
 * response goes upstream.
 */
import {
  SipUri,
  createCancel,
  createResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { ClientTransaction, ServerTransaction, TransactionLayer } from '../transaction/index.js';
import type { Target, TransportLayer, TransportProtocol } from '../transport/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { ProcessorChain } from './chain.js';
import type { ProxyStats, RequestContext, ResponseContext, TargetContext, TargetEntry } from './context.js';
import { bestResponse, forwardCopy } from './rules.js';
import { spliceResponse } from './splice.js';

export interface ForwarderOptions {
  transactions: TransactionLayer;
  transport: TransportLayer;
  clock: Clock;
  recordRoute: boolean;
  /** Timer C (§16.6 step 11): ms an INVITE branch may stay without a final response. */
  timerC: number;
  targetChain: ProcessorChain<TargetContext>;
  responseChain: ProcessorChain<ResponseContext>;
  stats: ProxyStats;
  /** A final response went upstream (the proxy logs the transaction). */
  onFinal(rc: RequestContext, res: SipResponse, hop: Target | undefined): void;
  log(line: string): void;
}

interface Branch {
  readonly entry: TargetEntry;
  hops: Target[];
  hop: number;
  tx: ClientTransaction | undefined;
  request: SipRequest | undefined;
  provisional: boolean;
  /** A CANCEL is owed as soon as a provisional response arrives (§9.1). */
  cancelOwed: boolean;
  /** The branch's final response, made ready for upstream (our Via removed). */
  final: SipResponse | undefined;
  timerC: TimerHandle | undefined;
  settle(): void;
}

/** One server transaction and its branches (§16.7's response context). */
interface Ctx {
  readonly rc: RequestContext;
  readonly branches: Branch[];
  readonly responses: SipResponse[];
  answered: boolean;
  cancelled: boolean;
  reported: boolean;
}

const CREATES_DIALOG = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export class Forwarder {
  private readonly contexts = new Map<ServerTransaction, Ctx>();
  private pendingCount = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: ForwarderOptions) {}

  /** Response contexts still waiting for a final response. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Resolves when no response context is waiting for a final response. */
  idle(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** §16.6: forward to each target; equal q in parallel, lower q only when those fail (§16.6 step 1). */
  async fork(rc: RequestContext): Promise<void> {
    const tx = rc.tx;
    const ctx: Ctx = { rc, branches: [], responses: [], answered: false, cancelled: false, reported: false };
    this.contexts.set(tx, ctx);
    this.pendingCount++;
    tx.once('terminated', () => this.contexts.delete(tx));
    try {
      const targets = rc.targets;
      if (targets.length === 1) await this.branch(ctx, targets[0]!);
      else {
        const order = [...new Set(targets.map((t) => t.q))].sort((a, b) => b - a);
        for (const q of order) {
          if (ctx.answered || ctx.cancelled) break;
          await Promise.all(targets.filter((t) => t.q === q).map((t) => this.branch(ctx, t)));
        }
      }
      if (!ctx.answered) {
        const best = bestResponse(ctx.responses) ?? createResponse(tx.request, ctx.cancelled ? 487 : 480);
        // §16.7 step 6: a 503 from downstream would tell the client that we are unavailable
        if (best.status === 503) {
          best.status = 500;
          best.reason = 'Server Internal Error';
        }
        this.finish(ctx, best, undefined);
      }
    } finally {
      if (!ctx.answered) ctx.answered = true;
      this.settled();
    }
  }

  private settled(): void {
    if (--this.pendingCount > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Run the target chain for one target, then forward to its first destination. */
  private async branch(ctx: Ctx, entry: TargetEntry): Promise<void> {
    const tctx: TargetContext = { request: ctx.rc, target: entry, hops: [] };
    if ((await this.o.targetChain.run(tctx)) === 'stop') return;
    if (tctx.hops.length === 0) {
      ctx.responses.push(createResponse(ctx.rc.request, 404, { reason: 'Not Found (no route to the target)' }));
      return;
    }
    if (ctx.answered || ctx.cancelled) return;
    await new Promise<void>((settle) => {
      const b: Branch = {
        entry: tctx.target,
        hops: tctx.hops,
        hop: 0,
        tx: undefined,
        request: undefined,
        provisional: false,
        cancelOwed: false,
        final: undefined,
        timerC: undefined,
        settle,
      };
      ctx.branches.push(b);
      this.attempt(ctx, b);
    });
  }

  /** Forward to the branch's current destination (a fresh Via branch per attempt, RFC 3263 §4.3). */
  private attempt(ctx: Ctx, b: Branch): void {
    const { rc } = ctx;
    const req = rc.request;
    const hop = b.hops[b.hop]!;
    const secure = req.uri.scheme === 'sips' || b.entry.uri.scheme === 'sips';
    const rr = this.o.recordRoute && !req.to?.tag && CREATES_DIALOG.has(req.method);
    const via = this.o.transport.viaFor(hop.protocol);
    const out = forwardCopy(req, b.entry.uri, {
      recordRoute: rr ? this.recordRouteFor(rc.inbound.protocol, hop.protocol, secure) : [],
      via: { transport: hop.protocol === 'wss' ? 'WSS' : hop.protocol, host: via.host, port: via.port },
    });
    // RFC 3327: the registration's Path goes in front of the Route set
    for (let i = b.entry.path.length - 1; i >= 0; i--) out.prepend('Route', b.entry.path[i]!);
    b.request = out;
    b.provisional = false;
    this.o.stats.forwarded++;
    // handlers of an abandoned attempt (after failover) are ignored
    b.tx = this.o.transactions.sendRequest(out, hop, {
      onResponse: (res) => {
        if (b.request === out) this.onResponse(ctx, b, res);
      },
      onTimeout: () => {
        if (b.request === out) this.onFailure(ctx, b, 408);
      },
      onTransportError: () => {
        if (b.request === out) this.onFailure(ctx, b, 503);
      },
    });
    if (out.method === 'INVITE') this.armTimerC(ctx, b);
  }

  private armTimerC(ctx: Ctx, b: Branch): void {
    const clock = this.o.clock;
    clock.clearTimeout(b.timerC);
    b.timerC = clock.setTimeout(() => this.expire(ctx, b), this.o.timerC);
  }

  /**
   * Timer C fired (§16.8), or shutdown's bound ran out: CANCEL a branch that has had a
   * provisional response, drop one that has not, and count the branch as a 408.
   */
  private expire(ctx: Ctx, b: Branch): void {
    b.timerC = undefined;
    if (b.final) return;
    this.o.stats.timerC++;
    this.o.log(`${ctx.rc.request.method} ${String(b.entry.uri)} timer C`);
    if (b.provisional) this.sendCancel(b);
    else b.tx?.terminate();
    this.settleBranch(ctx, b, createResponse(ctx.rc.request, 408));
  }

  /** Timeout or transport error of one destination: the next one, else a 408 / 503 for the branch. */
  private onFailure(ctx: Ctx, b: Branch, status: 408 | 503): void {
    if (b.final) return;
    if (this.failover(ctx, b)) return;
    this.settleBranch(ctx, b, createResponse(ctx.rc.request, status));
  }

  /** RFC 3263 §4.3: try the next destination of the same target. */
  private failover(ctx: Ctx, b: Branch): boolean {
    if (b.provisional || b.hop + 1 >= b.hops.length || ctx.answered || ctx.cancelled) return false;
    this.o.clock.clearTimeout(b.timerC);
    b.hop++;
    this.o.stats.failovers++;
    this.attempt(ctx, b);
    return true;
  }

  private settleBranch(ctx: Ctx, b: Branch, upstreamReady: SipResponse): void {
    this.o.clock.clearTimeout(b.timerC);
    b.timerC = undefined;
    b.final = upstreamReady;
    ctx.responses.push(upstreamReady);
    b.settle();
  }

  /**
   * §16.7: a response on one branch. Responses from downstream go upstream without our Via
   * (step 3, popVia); the proxy's own (408, 480, 487) are made from the server transaction's
   * request. Both go through upstream(): the one path to the client.
   */
  private onResponse(ctx: Ctx, b: Branch, res: SipResponse): void {
    const s = res.status;
    if (s === 100) return; // §16.7 step 5: 100 Trying is not forwarded
    if (s < 200) {
      b.provisional = true;
      if (b.cancelOwed) this.sendCancel(b);
      // §16.7 step 2: a provisional response other than 100 resets Timer C
      else if (b.timerC && !b.final) this.armTimerC(ctx, b);
      if (!ctx.answered && !b.final) this.upstream(ctx, popVia(res), b.entry.uri);
      return;
    }
    if (s < 300) {
      // 2xx (and their retransmissions, RFC 6026) go upstream at once; other branches are cancelled
      const up = popVia(res);
      if (!b.final) this.settleBranch(ctx, b, up);
      ctx.answered = true;
      this.finish(ctx, up, b);
      this.cancelOthers(ctx, b);
      return;
    }
    if (b.final) return; // a retransmission, or the 487 after Timer C's CANCEL
    if (s === 503 && this.failover(ctx, b)) return;
    const up = popVia(res);
    this.settleBranch(ctx, b, up);
    if (s >= 600 && !ctx.answered) {
      // §16.7 step 5: a 6xx ends the search and cancels pending branches
      ctx.answered = true;
      this.finish(ctx, up, b);
      this.cancelOthers(ctx, b);
    }
  }

  /** A final response upstream; the transaction is reported once (2xx retransmissions are not). */
  private finish(ctx: Ctx, res: SipResponse, b: Branch | undefined): void {
    if (!this.upstream(ctx, res, b?.entry.uri) || ctx.reported) return;
    ctx.reported = true;
    this.o.onFinal(ctx.rc, res, b ? b.hops[b.hop] : undefined);
  }

  /** Every response goes upstream here (§16.7 step 9): response processors, then the server transaction. */
  private upstream(ctx: Ctx, res: SipResponse, target: Uri | undefined): boolean {
    const rctx: ResponseContext = { request: ctx.rc, response: res, target };
    const r = this.o.responseChain.run(rctx);
    if (typeof r === 'string') return this.send(ctx.rc.tx, rctx.response, r);
    void r.then((v) => this.send(ctx.rc.tx, rctx.response, v)).catch(() => undefined);
    return true;
  }

  private send(tx: ServerTransaction, res: SipResponse, outcome: string): boolean {
    if (outcome === 'stop') return false;
    const st = tx.state;
    if (st === 'trying' || st === 'proceeding' || (st === 'accepted' && res.status < 300 && res.status >= 200))
      tx.respond(res);
    return true;
  }

  private sendCancel(b: Branch): void {
    b.cancelOwed = false;
    if (!b.request || !b.tx) return;
    // §16.10: a CANCEL per pending branch, built from the branch's own INVITE (§9.1)
    this.o.transactions.sendRequest(createCancel(b.request), b.tx.target, {});
  }

  private cancelBranch(b: Branch): void {
    if (b.final || !b.tx || b.request?.method !== 'INVITE') return;
    // §9.1: no CANCEL before a provisional response; it is sent when one arrives
    if (b.provisional) this.sendCancel(b);
    else b.cancelOwed = true;
  }

  private cancelOthers(ctx: Ctx, except?: Branch): void {
    for (const b of ctx.branches) if (b !== except) this.cancelBranch(b);
  }

  /** §16.10: a CANCEL for one of our INVITEs: 200 to it, CANCEL every pending branch. */
  cancel(tx: ServerTransaction): boolean {
    const invite = this.o.transactions.findInviteFor(tx.request);
    const ctx = invite ? this.contexts.get(invite) : undefined;
    if (!ctx) return false;
    tx.respond(createResponse(tx.request, 200));
    ctx.cancelled = true;
    this.cancelOthers(ctx);
    return true;
  }

  /** Shutdown's bound ran out: every open branch ends as if Timer C fired. */
  expireAll(): void {
    for (const ctx of this.contexts.values()) {
      if (ctx.answered) continue;
      for (const b of [...ctx.branches]) this.expire(ctx, b);
    }
  }

  private recordRouteFor(inbound: TransportProtocol, out: TransportProtocol, secure: boolean): SipUri[] {
    const mk = (p: TransportProtocol) => {
      const a = this.o.transport.viaFor(p);
      const u = new SipUri({
        scheme: secure ? 'sips' : 'sip',
        host: a.host.includes(':') ? `[${a.host}]` : a.host,
        port: a.port,
      });
      if (p !== 'udp' && !(secure && p === 'tls')) u.params.set('transport', p);
      u.params.set('lr');
      return u;
    };
    // RFC 5658: two Record-Route values when the proxy changes transport
    return inbound === out ? [mk(out)] : [mk(out), mk(inbound)];
  }
}

/** §16.7 step 3: a copy of a downstream response without our Via, ready for upstream. */
export function popVia(res: SipResponse): SipResponse {
  // the received bytes less the top Via value (splice.ts): nothing else is parsed or re-serialised
  return parseMessage(spliceResponse(res.toBuffer()), { lazy: true }) as SipResponse;
}
