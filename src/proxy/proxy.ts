import { EventEmitter } from 'node:events';
import { SipRequest, SipResponse, SipUri, createResponse, createCancel, parseUri, type Uri } from '../message/index.js';
import { ClientTransaction, ServerTransaction, TransactionLayer, type TimerConfig } from '../transaction/index.js';
import {
  resolveTargets,
  type Inbound,
  type Target,
  type TransportLayer,
  type TransportProtocol,
} from '../transport/index.js';
import { Registrar, canonicalAor, type Binding } from '../registrar/index.js';
import type { DigestServer } from '../auth/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import {
  bestResponse,
  forwardCopy,
  isOurDomain,
  isOwnUri,
  nextHop,
  preprocessRoute,
  validateRequest,
  type ProxyIdentity,
} from './rules.js';

export interface ProxyOptions {
  transport: TransportLayer & { address?(p: TransportProtocol): { host: string; port: number } | undefined };
  /** Our domains (registrar and location service). */
  domains: string[];
  /** Host names and addresses that mean "this proxy" in Route / Request-URI. */
  hostnames: string[];
  registrar?: Registrar;
  /** Challenge out-of-dialog requests from our domains' users with 407 (RFC 3261 §22.3). */
  auth?: DigestServer;
  recordRoute?: boolean;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  resolve?: (uri: Uri) => Promise<Target[]>;
  /** Requests per second allowed per source address before 503 + Retry-After (like Kamailio's pike). */
  rateLimit?: { perSecond: number; burst: number };
  /** One line per transaction (for --verbose). */
  log?: (line: string) => void;
  /** Replaceable routing policy: return targets for a request, or undefined for the default (§16.5). */
  targetProcessor?: (req: SipRequest) => Promise<Uri[] | undefined>;
  /** Build the request processor chain from the defaults (insert, remove or replace steps). */
  requestProcessors?: (defaults: RequestProcessor[]) => RequestProcessor[];
  /** Called on every response before it goes upstream (e.g. to strip or add headers). */
  responseProcessors?: ((res: SipResponse, request: SipRequest) => void)[];
}

/** What a request processor sees: the request, its transaction and source, the target set it builds. */
export interface RequestContext {
  request: SipRequest;
  tx: ServerTransaction;
  inbound: Inbound;
  targets: { uri: Uri; q: number; path: string[] }[];
  respond(status: number, init?: Parameters<typeof createResponse>[2]): void;
}

/** One step of the proxy's request processing: answer it ('done') or pass it on ('continue'). */
export type RequestProcessor = (ctx: RequestContext) => 'continue' | 'done' | Promise<'continue' | 'done'>;

interface Branch {
  tx: ClientTransaction | undefined;
  final: SipResponse | undefined;
  request: SipRequest;
  target: Uri;
}

/** A response context (§16.7): one server transaction and its branches. */
interface Context {
  server: ServerTransaction;
  branches: Branch[];
  responses: SipResponse[];
  answered: boolean;
  cancelled: boolean;
}

/**
 * A stateful proxy (RFC 3261 §16) with a registrar, digest authentication, record-routing,
 * forking by q-value, CANCEL forwarding, and protection against floods and open relaying.
 * Policy points (target processing) can be replaced without forking the proxy.
 */
export class Proxy extends EventEmitter {
  readonly transactions: TransactionLayer;
  readonly id: ProxyIdentity;
  private readonly clock: Clock;
  private readonly contexts = new Map<ServerTransaction, Context>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly resolver: (uri: Uri) => Promise<Target[]>;
  readonly stats = { requests: 0, forwarded: 0, rejected: 0, rateLimited: 0 };

  constructor(private readonly opts: ProxyOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.transactions = new TransactionLayer(opts.transport, {
      clock: this.clock,
      ...(opts.timers ? { timers: opts.timers } : {}),
    });
    const own: SipUri[] = [];
    for (const p of ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportProtocol[]) {
      const a = opts.transport.address?.(p);
      if (!a) continue;
      for (const h of opts.hostnames) own.push(new SipUri({ host: h.includes(':') ? `[${h}]` : h, port: a.port }));
    }
    for (const h of opts.hostnames) own.push(new SipUri({ host: h.includes(':') ? `[${h}]` : h }));
    this.id = { own, domains: opts.domains, supported: ['path'] };
    this.resolver = opts.resolve ?? ((u) => resolveTargets(u));
    this.transactions.on(
      'request',
      (tx, inbound) => void this.onRequest(tx, inbound).catch((e: Error) => this.fail(tx, e)),
    );
    this.transactions.on('ack', (ack) => void this.forwardStateless(ack).catch(() => undefined));
    this.transactions.on('stray-response', (res) => void this.forwardStrayResponse(res).catch(() => undefined));
  }

  private log(s: string): void {
    this.opts.log?.(s);
  }

  private fail(tx: ServerTransaction, e: Error): void {
    this.log(`error ${tx.request.method} ${e.message}`);
    if (tx.state === 'trying' || tx.state === 'proceeding')
      tx.respond(createResponse(tx.request, 500, { reason: 'Server Internal Error' }));
  }

  /** Token bucket per source address. */
  private allow(source: string): boolean {
    const rl = this.opts.rateLimit;
    if (!rl) return true;
    const now = this.clock.now();
    const b = this.buckets.get(source) ?? { tokens: rl.burst, at: now };
    b.tokens = Math.min(rl.burst, b.tokens + ((now - b.at) / 1000) * rl.perSecond);
    b.at = now;
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    if (this.buckets.size > 10_000) this.buckets.clear();
    return true;
  }

  private reply(tx: ServerTransaction, status: number, init: Parameters<typeof createResponse>[2] = {}): void {
    this.stats.rejected++;
    tx.respond(createResponse(tx.request, status, init));
    this.log(`${tx.request.method} ${tx.request.uri} -> ${status}`);
  }

  /**
   * The request processor chain (like repro's request processors): each one may answer the
   * request (return 'done') or let it go on; the last ones build the target set. Replace or extend
   * it with ProxyOptions.requestProcessors.
   */
  readonly defaultRequestProcessors: RequestProcessor[] = [
    // flood protection (like Kamailio's pike)
    (ctx) => {
      if (this.allow(ctx.inbound.remote.host)) return 'continue';
      this.stats.rateLimited++;
      ctx.respond(503, { headers: [['Retry-After', '5']] });
      return 'done';
    },
    // §16.3 validation: scheme, Max-Forwards, loops, Proxy-Require
    (ctx) => {
      const v = validateRequest(ctx.request, this.id);
      if (v.ok) return 'continue';
      this.stats.rejected++;
      ctx.tx.respond(v.response);
      this.log(`${ctx.request.method} ${ctx.request.uri} -> ${v.response.status}`);
      return 'done';
    },
    // §16.10 CANCEL
    (ctx) => {
      if (ctx.request.method !== 'CANCEL') return 'continue';
      this.onCancel(ctx.tx);
      return 'done';
    },
    // §16.4 route preprocessing
    (ctx) => {
      preprocessRoute(ctx.request, this.id);
      return 'continue';
    },
    // requests for us: REGISTER for our domains (§10.3), OPTIONS to the proxy itself
    async (ctx) => {
      const req = ctx.request;
      if (req.route.length === 0 && req.method === 'REGISTER' && isOurDomain(req.uri, this.id) && this.opts.registrar) {
        const i = ctx.inbound;
        const res = await this.opts.registrar.handleRegister(req, {
          protocol: i.protocol,
          host: i.remote.host,
          port: i.remote.port,
          ...(i.connectionId ? { connectionId: i.connectionId } : {}),
        });
        ctx.tx.respond(res);
        this.log(`REGISTER ${req.to?.uri} -> ${res.status}`);
        return 'done';
      }
      if (req.route.length === 0 && req.method === 'OPTIONS' && isOwnUri(req.uri, this.id)) {
        ctx.respond(200, {
          headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, SUBSCRIBE, INFO, MESSAGE']],
        });
        return 'done';
      }
      return 'continue';
    },
    // §22.3: out-of-dialog requests from our users must authenticate (407)
    async (ctx) => {
      const req = ctx.request;
      const auth = this.opts.auth;
      const fromOurs = req.from ? isOurDomain(req.from.uri, this.id) : false;
      if (!auth || !fromOurs || req.to?.tag || req.method === 'ACK') return 'continue';
      const r = await auth.verify(req, { proxy: true });
      if (!r.ok) {
        this.log(`${req.method} ${req.uri} -> 407 (${r.reason})`);
        ctx.tx.respond(
          createResponse(req, 407, {
            headers: auth
              .challenges({ stale: r.stale ?? false })
              .map((c) => ['Proxy-Authenticate', c] as [string, string]),
          }),
        );
        return 'done';
      }
      if ((req.from!.uri as SipUri).userDecoded !== r.user) {
        ctx.respond(403, { reason: 'Forbidden (From does not match the authenticated user)' });
        return 'done';
      }
      // credentials for us are not forwarded (§22.3)
      req.headers = req.headers.filter(
        (h) => !(h.key === 'proxy-authorization' && h.value.includes(`realm="${auth.realm}"`)),
      );
      return 'continue';
    },
    // §16.5 target set: a user's targetProcessor, else the location service for our domains
    async (ctx) => {
      const req = ctx.request;
      const custom = this.opts.targetProcessor ? await this.opts.targetProcessor(req) : undefined;
      if (custom) {
        ctx.targets.push(...custom.map((uri) => ({ uri, q: 1, path: [] })));
        return 'continue';
      }
      if (req.route.length === 0 && isOurDomain(req.uri, this.id)) {
        const bindings = this.opts.registrar ? await this.opts.registrar.store.lookup(canonicalAor(req.uri)) : [];
        if (bindings.length === 0) {
          ctx.respond(req.to?.tag ? 481 : 404);
          return 'done';
        }
        ctx.targets.push(...bindings.map((b: Binding) => ({ uri: parseUri(b.uri), q: b.q, path: b.path })));
      }
      return 'continue';
    },
    // not for our domain: relay only our own users' requests or in-dialog ones (no open relay)
    (ctx) => {
      if (ctx.targets.length) return 'continue';
      const req = ctx.request;
      const fromOurs = req.from ? isOurDomain(req.from.uri, this.id) : false;
      if (!fromOurs && !req.to?.tag && req.route.length === 0) {
        ctx.respond(403, { reason: 'Forbidden (relaying denied)' });
        return 'done';
      }
      ctx.targets.push({ uri: req.uri, q: 1, path: [] });
      return 'continue';
    },
  ];

  private async onRequest(tx: ServerTransaction, inbound: Inbound): Promise<void> {
    this.stats.requests++;
    const ctx: RequestContext = {
      request: tx.request,
      tx,
      inbound,
      targets: [],
      respond: (status, init = {}) => this.reply(tx, status, init),
    };
    const chain = this.opts.requestProcessors
      ? this.opts.requestProcessors(this.defaultRequestProcessors)
      : this.defaultRequestProcessors;
    for (const p of chain) if ((await p(ctx)) === 'done') return;
    if (ctx.targets.length === 0) return this.reply(tx, 480);
    await this.fork(tx, inbound, ctx.targets);
  }

  /** §16.6: forward to each target; groups of equal q in parallel, lower q only if those fail. */
  private async fork(
    tx: ServerTransaction,
    inbound: Inbound,
    targets: { uri: Uri; q: number; path: string[] }[],
  ): Promise<void> {
    const req = tx.request;
    const ctx: Context = { server: tx, branches: [], responses: [], answered: false, cancelled: false };
    this.contexts.set(tx, ctx);
    tx.once('terminated', () => this.contexts.delete(tx));
    const groups = new Map<number, typeof targets>();
    for (const t of targets) groups.set(t.q, [...(groups.get(t.q) ?? []), t]);
    const order = [...groups.keys()].sort((a, b) => b - a);
    for (const q of order) {
      if (ctx.answered || ctx.cancelled) break;
      await Promise.all(groups.get(q)!.map((t) => this.forwardBranch(ctx, inbound, t.uri, t.path)));
      if (ctx.answered) break;
    }
    if (!ctx.answered && !ctx.cancelled) {
      ctx.answered = true;
      const best = bestResponse(ctx.responses) ?? createResponse(req, 480);
      this.sendUpstream(tx, best);
    } else if (ctx.cancelled && !ctx.answered) {
      ctx.answered = true;
      this.sendUpstream(tx, createResponse(req, 487));
    }
  }

  private recordRouteFor(inbound: Inbound, out: TransportProtocol, secure: boolean): SipUri[] {
    if (!this.opts.recordRoute) return [];
    const mk = (p: TransportProtocol) => {
      const a = this.opts.transport.viaFor(p);
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
    return inbound.protocol === out ? [mk(out)] : [mk(out), mk(inbound.protocol)];
  }

  private forwardBranch(ctx: Context, inbound: Inbound, target: Uri, path: string[]): Promise<void> {
    const req = ctx.server.request;
    return new Promise<void>((resolve) => {
      void (async () => {
        // the next hop: Path (RFC 3327) first, then the top Route, else the target itself
        const probe = forwardCopy(req, target, { via: { transport: 'UDP', host: '0.0.0.0', port: 0 } });
        for (const p of [...path].reverse()) probe.prepend('Route', p);
        let hops: Target[];
        try {
          hops = await this.resolver(nextHop(probe));
        } catch {
          hops = [];
        }
        const hop = hops[0];
        if (!hop) {
          ctx.responses.push(createResponse(req, 404, { reason: 'Not Found (no route to the target)' }));
          return resolve();
        }
        const secure = req.uri.scheme === 'sips' || target.scheme === 'sips';
        const creates = !req.to?.tag && ['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY'].includes(req.method);
        const via = this.opts.transport.viaFor(hop.protocol);
        const out = forwardCopy(req, target, {
          recordRoute: creates ? this.recordRouteFor(inbound, hop.protocol, secure) : [],
          via: { transport: hop.protocol === 'wss' ? 'WSS' : hop.protocol, host: via.host, port: via.port },
        });
        for (const p of [...path].reverse()) out.prepend('Route', p);
        const branch: Branch = { tx: undefined, final: undefined, request: out, target };
        ctx.branches.push(branch);
        this.stats.forwarded++;
        this.log(`${req.method} ${req.uri} -> ${hop.protocol}:${hop.host}:${hop.port}`);
        branch.tx = this.transactions.sendRequest(out, hop, {
          onResponse: (res) => {
            this.onBranchResponse(ctx, branch, res);
            if (res.status >= 200 && !branch.final) {
              branch.final = res;
              resolve();
            }
          },
          onTimeout: () => {
            // §16.8: as if a 408 had arrived; built from the received request (not `out`), so it
            // carries no Via of ours when it goes upstream (§16.7 step 3)
            branch.final = createResponse(req, 408);
            ctx.responses.push(branch.final);
            resolve();
          },
          onTransportError: () => {
            branch.final = createResponse(out, 503);
            ctx.responses.push(createResponse(req, 503));
            resolve();
          },
        });
      })().catch(() => resolve());
    });
  }

  /** §16.7 response processing for one branch. */
  private onBranchResponse(ctx: Context, branch: Branch, res: SipResponse): void {
    const s = res.status;
    if (s === 100) return; // §16.7 step 5: 100 is not forwarded
    if (s < 200) {
      if (!ctx.answered) this.sendUpstream(ctx.server, this.upstream(res));
      return;
    }
    if (s < 300) {
      // 2xx (and their retransmissions, RFC 6026) go upstream at once; other branches are cancelled
      ctx.answered = true;
      this.sendUpstream(ctx.server, this.upstream(res), true);
      this.cancelOthers(ctx, branch);
      return;
    }
    if (branch.final) return; // a retransmitted final
    ctx.responses.push(this.upstream(res));
    if (s >= 600 && !ctx.answered) {
      // §16.7 step 5: a 6xx ends the search and cancels pending branches
      ctx.answered = true;
      this.sendUpstream(ctx.server, this.upstream(res));
      this.cancelOthers(ctx, branch);
    }
  }

  /** Strip our Via (§16.7 step 3) and translate 503 (step 6 via bestResponse callers). */
  private upstream(res: SipResponse): SipResponse {
    const copy = this.copyResponse(res);
    copy.removeFirstValue('Via');
    return copy;
  }

  private copyResponse(res: SipResponse): SipResponse {
    return new SipResponse(
      res.status,
      Buffer.from(res.reason, 'utf8').toString('latin1'),
      res.headers.map((h) => ({ ...h, raw: h.raw })),
      res.body,
    );
  }

  private sendUpstream(tx: ServerTransaction, res: SipResponse, force = false): void {
    for (const p of this.opts.responseProcessors ?? []) p(res, tx.request);
    if (res.status === 503) {
      res.status = 500;
      res.reason = 'Server Internal Error';
    }
    if (force || tx.state === 'trying' || tx.state === 'proceeding' || tx.state === 'accepted') tx.respond(res);
    this.log(`${tx.request.method} ${tx.request.uri} <- ${res.status}`);
  }

  private cancelOthers(ctx: Context, except?: Branch): void {
    for (const b of ctx.branches) {
      if (b === except || b.final || !b.tx || b.request.method !== 'INVITE') continue;
      // §16.10: a CANCEL per pending branch, built from the branch's own INVITE (§9.1)
      const cancel = createCancel(b.request);
      this.transactions.sendRequest(cancel, b.tx.target, {});
    }
  }

  /** §16.10: answer the CANCEL and cancel every pending branch of its INVITE. */
  private onCancel(tx: ServerTransaction): void {
    const invite = this.transactions.findInviteFor(tx.request);
    const ctx = invite ? this.contexts.get(invite) : undefined;
    if (!invite || !ctx) {
      // not ours: forward statelessly would be allowed; we know nothing of it
      return this.reply(tx, 481);
    }
    tx.respond(createResponse(tx.request, 200));
    ctx.cancelled = true;
    this.cancelOthers(ctx);
  }

  /** ACK for a 2xx (and other transaction-less requests): forward without state (§16.11). */
  private async forwardStateless(req: SipRequest): Promise<void> {
    const v = validateRequest(req, this.id);
    if (!v.ok) return;
    preprocessRoute(req, this.id);
    let target: Uri = req.uri;
    if (req.route.length === 0 && isOurDomain(req.uri, this.id) && this.opts.registrar) {
      const b = (await this.opts.registrar.store.lookup(canonicalAor(req.uri)))[0];
      if (!b) return;
      target = parseUri(b.uri);
    }
    const [hop] = await this.resolver(req.route.length ? nextHop(req) : target);
    if (!hop) return;
    const via = this.opts.transport.viaFor(hop.protocol);
    const out = forwardCopy(req, target, { via: { transport: hop.protocol, host: via.host, port: via.port } });
    await this.opts.transport.send(out, hop);
  }

  /** A response without a transaction (e.g. a 2xx retransmission after Timer M): by its Via (§16.7, §18.2.2). */
  private async forwardStrayResponse(res: SipResponse): Promise<void> {
    const ours = res.topVia;
    if (!ours || !this.id.own.some((u) => u.hostname === ours.hostname.toLowerCase())) return;
    if (res.status < 200 || res.status >= 300) return;
    const copy = this.upstream(res);
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

  close(): void {
    this.transactions.close();
  }
}
