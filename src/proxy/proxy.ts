import { EventEmitter } from 'node:events';
import { createResponse, parseUri, type SipRequest, type SipResponse, type Uri } from '../message/index.js';
import { ServerTransaction, TransactionLayer, type TimerConfig } from '../transaction/index.js';
import {
  TransportError,
  numericTargets,
  resolveTargets,
  type Inbound,
  type Target,
  type TransportLayer,
  type TransportProtocol,
} from '../transport/index.js';
import { canonicalAor, type Registrar } from '../registrar/index.js';
import type { DigestServer } from '../auth/index.js';
import type { Clock } from '../util/clock.js';
import { TimerQueue } from '../util/timer-queue.js';
import { ProcessorChain, processor } from './chain.js';
import { RequestContext, type Answerer, type ProxyStats, type ResponseContext, type TargetContext } from './context.js';
import { AckRoutes, preferHop } from './ack-routes.js';
import { Forwarder, popVia } from './forwarder.js';
import { isOurDomain, isOwnVia, makeIdentity, type Listener, type ProxyIdentity } from './identity.js';
import { TokenBucketLimiter, TrustList, type RateLimitConfig, type RateLimiter } from './rate-limit.js';
import { defaultRequestProcessors } from './request-processors.js';
import { forwardCopy, preprocessRoute, validateRequest } from './rules.js';
import { StoreUnavailableError } from '../util/store-errors.js';

export interface ProxyOptions {
  transport: TransportLayer & {
    address?(p: TransportProtocol): { host: string; port: number } | undefined;
    readonly listening?: Listener[];
  };
  /** Our domains (registrar and location service). */
  domains: string[];
  /** Aliases (`--hostname`): names or addresses that mean this proxy besides its listening sockets. */
  hostnames: string[];
  registrar?: Registrar;
  /** Challenge out-of-dialog requests from our domains' users with 407 (RFC 3261 §22.3). */
  auth?: DigestServer;
  recordRoute?: boolean;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  resolve?: (uri: Uri) => Promise<Target[]>;
  /** Token bucket per source address (like Kamailio's pike); off when absent. */
  rateLimit?: RateLimitConfig;
  /** A limiter of your own (a shared store); takes precedence over rateLimit. */
  rateLimiter?: RateLimiter;
  /** Networks (CIDR, IPv4 or IPv6) that skip the rate limit. */
  trust?: string[];
  /** Timer C in ms (§16.6 step 11; more than 3 minutes by the RFC): default 185 s. */
  timerC?: number;
  /** One line per transaction, for people (--verbose). */
  log?: (line: string) => void;
  /** One record per transaction, for machines (--log-format json). */
  onTransaction?: (record: TransactionRecord) => void;
  /** Change the processor chains (insert before or after a default processor by name). */
  processors?: (chains: ProxyChains) => void;
}

/** The three chains (like repro's request, target and response processors). */
export interface ProxyChains {
  readonly request: ProcessorChain<RequestContext>;
  readonly target: ProcessorChain<TargetContext>;
  readonly response: ProcessorChain<ResponseContext>;
}

/** What a transaction looked like, once it has its final response. */
export interface TransactionRecord {
  method: string;
  callId: string;
  status: number;
  /** ms from the request's arrival to its final response. */
  duration: number;
  /** `protocol:host:port` the request came from. */
  source: string;
  /** `protocol:host:port` of the branch whose response was chosen, when one was. */
  target?: string;
}

const DEFAULT_TIMER_C = 185_000;

/**
 * A stateful proxy (RFC 3261 §16) with a registrar, digest authentication, record-routing,
 * forking by q-value, RFC 3263 failover, Timer C, CANCEL forwarding, and opt-in flood
 * protection. Its policy is three chains of named processors (request, target, response).
 */
export class Proxy extends EventEmitter {
  readonly transactions: TransactionLayer;
  readonly id: ProxyIdentity;
  readonly chains: ProxyChains;
  readonly stats: ProxyStats = { requests: 0, forwarded: 0, rejected: 0, rateLimited: 0, timerC: 0, failovers: 0 };
  private readonly clock: Clock;
  private readonly resolver: (uri: Uri) => Promise<Target[]>;
  private readonly forwarder: Forwarder;
  private readonly ackRoutes: AckRoutes;
  private draining = false;
  /** How request contexts answer: one object for all of them. */
  private readonly answerer: Answerer = {
    answer: (rc, res, rejected) => {
      if (rejected) this.stats.rejected++;
      this.reply(rc.tx, res, rc.started, rc.inbound);
    },
  };

  constructor(private readonly opts: ProxyOptions) {
    super();
    // one Node timer for all protocol timers: a proxy arms a handful of durations (T1, 64*T1,
    // T4, Timer C) per transaction, and a Node Timeout each was an async resource per timer
    this.clock = opts.clock ?? new TimerQueue();
    this.transactions = new TransactionLayer(opts.transport, {
      clock: this.clock,
      ...(opts.timers ? { timers: opts.timers } : {}),
    });
    this.id = makeIdentity(this.sockets(), opts.hostnames, opts.domains);
    this.resolver = opts.resolve ?? ((u) => resolveTargets(u));
    this.ackRoutes = new AckRoutes(this.clock);
    const limiter =
      opts.rateLimiter ??
      (opts.rateLimit ? new TokenBucketLimiter({ ...opts.rateLimit, clock: this.clock }) : undefined);
    this.chains = {
      request: new ProcessorChain(
        'request',
        defaultRequestProcessors({
          id: this.id,
          registrar: opts.registrar,
          auth: opts.auth,
          limiter,
          trust: new TrustList(opts.trust ?? []),
          stats: this.stats,
          cancel: (tx) => {
            // not ours: we know nothing of its INVITE (§16.10 allows a stateless forward)
            if (!this.forwarder.cancel(tx)) this.reply(tx, createResponse(tx.request, 481), this.clock.now());
          },
        }),
      ),
      target: new ProcessorChain('target', [processor('resolve', (t) => this.resolveHops(t))]),
      response: new ProcessorChain('response'),
    };
    this.forwarder = new Forwarder({
      transactions: this.transactions,
      transport: opts.transport,
      clock: this.clock,
      recordRoute: opts.recordRoute ?? false,
      timerC: opts.timerC ?? DEFAULT_TIMER_C,
      targetChain: this.chains.target,
      responseChain: this.chains.response,
      stats: this.stats,
      onFinal: (rc, res, hop) => {
        const req = rc.request;
        const tag = res.to?.tag;
        if (hop && tag && req.method === 'INVITE' && res.status < 300 && res.status >= 200)
          this.ackRoutes.remember(req.callId ?? '', req.cseq?.seq ?? 0, tag, hop);
        this.report(rc.tx, rc.inbound, rc.started, res.status, hop);
      },
      log: (l) => this.opts.log?.(l),
    });
    opts.processors?.(this.chains);
    this.transactions.on('request', (tx, inbound) => this.onRequest(tx, inbound));
    this.transactions.on('ack', (ack, inbound) => void this.forwardAck(ack, inbound).catch(() => undefined));
    this.transactions.on('stray-response', (res) => void this.forwardStrayResponse(res).catch(() => undefined));
  }

  private sockets(): Listener[] {
    const t = this.opts.transport;
    if (t.listening) return t.listening;
    const out: Listener[] = [];
    for (const p of ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportProtocol[]) {
      const a = t.address?.(p);
      if (a) out.push({ protocol: p, host: a.host, port: a.port });
    }
    return out;
  }

  /** Open transactions: requests still waiting for a final response. */
  get pending(): number {
    return this.forwarder.pending;
  }

  private onRequest(tx: ServerTransaction, inbound: Inbound): void {
    this.stats.requests++;
    const started = this.clock.now();
    const req = tx.request;
    if (this.draining && req.method !== 'CANCEL') {
      // shutting down: no new transactions (a CANCEL still ends an open one)
      this.reply(tx, createResponse(req, 503, { headers: [['Retry-After', '5']] }), started, inbound);
      return;
    }
    const rc = new RequestContext(req, tx, inbound, started, this.answerer);
    const r = this.chains.request.run(rc);
    if (typeof r === 'string') this.afterRequestChain(rc, r);
    else r.then((v) => this.afterRequestChain(rc, v)).catch((e: Error) => this.fail(rc, e));
  }

  private afterRequestChain(rc: RequestContext, r: string): void {
    if (r === 'stop') return;
    if (rc.targets.length === 0) return rc.respond(480);
    this.forwarder.fork(rc).catch((e: Error) => this.fail(rc, e));
  }

  private fail(rc: RequestContext, e: Error): void {
    this.opts.log?.(`error ${rc.request.method} ${e.message}`);
    const st = rc.tx.state;
    if (st !== 'trying' && st !== 'proceeding') return;
    // a shared store (Redis) that does not answer: try again later (RFC 3261 §21.5.4)
    if (e instanceof StoreUnavailableError)
      rc.respond(503, {
        reason: 'Service Unavailable (shared store unreachable)',
        headers: [['Retry-After', String(e.retryAfter)]],
      });
    else rc.respond(500, { reason: 'Server Internal Error' });
  }

  /** A response of the proxy's own: to the client, then to the log. */
  private reply(tx: ServerTransaction, res: SipResponse, started: number, inbound?: Inbound): void {
    tx.respond(res);
    if (res.status >= 200) this.report(tx, inbound, started, res.status, undefined);
  }

  private report(
    tx: ServerTransaction,
    inbound: Inbound | undefined,
    started: number,
    status: number,
    hop: Target | undefined,
  ): void {
    const { log, onTransaction } = this.opts;
    if (!log && !onTransaction) return;
    const req = tx.request;
    const source = inbound ? `${inbound.protocol}:${inbound.remote.host}:${inbound.remote.port}` : '';
    const target = hop ? `${hop.protocol}:${hop.host}:${hop.port}` : undefined;
    log?.(`${req.method} ${String(req.uri)} -> ${status}${target ? ` from ${target}` : ''}`);
    onTransaction?.({
      method: req.method,
      callId: req.callId ?? '',
      status,
      duration: Math.round((this.clock.now() - started) * 1000) / 1000,
      source,
      ...(target ? { target } : {}),
    });
  }

  /**
   * The default target processor: the next hop (Path, then Route, then the target, §16.6 step 7)
   * resolved (RFC 3263); synchronous for an address, so the target chain needs no promise then.
   */
  private resolveHops(t: TargetContext): 'continue' | Promise<'continue'> {
    const path = t.target.path[0];
    const uri = path ? parseRouteUri(path) : (t.request.request.route[0]?.uri ?? t.target.uri);
    try {
      const now = uri ? this.hopsNow(uri) : [];
      if (now) {
        t.hops = now;
        return 'continue';
      }
    } catch {
      t.hops = [];
      return 'continue';
    }
    return this.resolver(uri!).then(
      (hops) => {
        t.hops = hops;
        return 'continue' as const;
      },
      () => {
        t.hops = [];
        return 'continue' as const;
      },
    );
  }

  /** The next hops of `uri` when known without waiting (an address, with the default resolver), else undefined. */
  private hopsNow(uri: Uri): Target[] | undefined {
    return this.opts.resolve ? undefined : numericTargets(uri);
  }

  /**
   * ACK for a 2xx (no transaction, §16.11 forwards it statelessly). It always goes through: no
   * rate limit, no shutdown refusal, and inside a dialog it goes to its Request-URI.
   */
  private async forwardAck(req: SipRequest, inbound: Inbound): Promise<void> {
    if (!validateRequest(req, this.id).ok) return;
    const routed = preprocessRoute(req, this.id);
    let target: Uri = req.uri;
    const inDialog = routed && req.to?.tag !== undefined;
    if (!inDialog && req.route.length === 0 && isOurDomain(req.uri, this.id) && this.opts.registrar) {
      const b = (await this.opts.registrar.store.lookup(canonicalAor(req.uri)))[0];
      if (!b) return this.opts.log?.(`ACK ${String(req.uri)} dropped: no binding`);
      target = parseUri(b.uri);
    }
    const first = req.route[0];
    // RFC 3263 §4.3 for a request without a transaction: the destination that answered the
    // INVITE first, then the next destination of the same resolution on a transport error
    const tag = req.to?.tag;
    const answered = tag ? this.ackRoutes.find(req.callId ?? '', req.cseq?.seq ?? 0, tag) : undefined;
    const next = first ? first.uri : target;
    const hops = preferHop(this.hopsNow(next) ?? (await this.resolver(next)), answered);
    if (hops.length === 0) return this.opts.log?.(`ACK ${String(req.uri)} dropped: no route`);
    for (let i = 0; ; i++) {
      const hop = hops[i]!;
      const via = this.opts.transport.viaFor(hop.protocol);
      const out = forwardCopy(req, target, { via: { transport: hop.protocol, host: via.host, port: via.port } });
      this.opts.log?.(
        `ACK ${String(req.uri)} from ${inbound.remote.host}:${inbound.remote.port} -> ${hop.host}:${hop.port}`,
      );
      try {
        return await this.opts.transport.send(out, hop);
      } catch (e) {
        if (!(e instanceof TransportError) || i + 1 >= hops.length) throw e;
        this.stats.failovers++;
        this.opts.log?.(`ACK ${String(req.uri)} to ${hop.host}:${hop.port} failed (${e.message}): next destination`);
      }
    }
  }

  /** A response without a transaction (a 2xx retransmission after Timer M): by its Via (§16.7, §18.2.2). */
  private async forwardStrayResponse(res: SipResponse): Promise<void> {
    const ours = res.topVia;
    if (!ours || !isOwnVia(ours.host, ours.port, this.id)) return;
    if (res.status < 200 || res.status >= 300) return;
    const copy = popVia(res);
    const next = copy.topVia;
    if (!next) return;
    const protocol = next.transport.toLowerCase() as TransportProtocol;
    const port = typeof next.rport === 'number' ? next.rport : (next.port ?? (protocol === 'tls' ? 5061 : 5060));
    await this.opts.transport.send(copy, {
      protocol,
      host: (next.received ?? next.hostname).replace(/^\[|\]$/g, ''),
      port,
    });
  }

  /**
   * Graceful shutdown: new transactions get 503 from now on; resolves when the open ones have
   * their final responses, or after `boundMs`, when what is left ends as if Timer C fired (408).
   */
  async drain(boundMs: number): Promise<void> {
    this.draining = true;
    if (this.forwarder.pending === 0) return;
    let timer;
    const bound = new Promise<void>((r) => {
      timer = this.clock.setTimeout(() => {
        this.forwarder.expireAll();
        r();
      }, boundMs);
    });
    await Promise.race([this.forwarder.idle(), bound]);
    this.clock.clearTimeout(timer);
  }

  close(): void {
    this.transactions.close();
  }
}

function parseRouteUri(value: string): Uri | undefined {
  const lt = value.indexOf('<');
  const gt = value.indexOf('>', lt);
  try {
    return parseUri(lt >= 0 && gt > lt ? value.slice(lt + 1, gt) : value.trim());
  } catch {
    return undefined;
  }
}
