/** What the proxy's three processor chains see (request, target, response). */
import { createResponse, type SipRequest, type SipResponse, type Uri } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Inbound, Target } from '../transport/index.js';

/** One target of the target set (§16.5), with the Path (RFC 3327) of its registration. */
export interface TargetEntry {
  uri: Uri;
  q: number;
  path: string[];
}

export type ResponseInit = Parameters<typeof createResponse>[2];

/** Where a request context's own answers go (the proxy: its counters, the transaction, its log). */
export interface Answerer {
  /** `rejected`: the proxy refused the request itself (respond), rather than relaying an answer. */
  answer(rc: RequestContext, res: SipResponse, rejected: boolean): void;
}

/**
 * A request on its way through the proxy: one per server transaction. A class (one shape, methods
 * on the prototype) with its storage made on first use: one small object per request, where an
 * object literal with two closures and a Map cost four.
 */
export class RequestContext {
  /** The target set the request chain builds (§16.5); forwarded when the chain ends. */
  targets: TargetEntry[] = [];
  /** The request came by a Route (or strict-routed Request-URI) naming us (set by 'route'). */
  routedToUs = false;
  private store: Map<string | symbol, unknown> | undefined;

  constructor(
    readonly request: SipRequest,
    readonly tx: ServerTransaction,
    readonly inbound: Inbound,
    /** clock.now() when the request arrived. */
    readonly started: number,
    private readonly answerer: Answerer,
  ) {}

  /** Storage scoped to this request, shared by its request, target and response processors. */
  get storage(): Map<string | symbol, unknown> {
    return (this.store ??= new Map());
  }

  /** Answer the request from the proxy itself. */
  respond(status: number, init: ResponseInit = {}): void {
    this.answerer.answer(this, createResponse(this.request, status, init), true);
  }

  /** Answer with a response built elsewhere (a registrar's, a challenge). */
  respondWith(res: SipResponse): void {
    this.answerer.answer(this, res, false);
  }
}

/** One target about to be forwarded to (§16.6): the target chain may rewrite it or choose its hops. */
export interface TargetContext {
  readonly request: RequestContext;
  target: TargetEntry;
  /** RFC 3263 destinations tried in order (failover on 503, timeout, transport error); set by 'resolve'. */
  hops: Target[];
}

/** A response on its way upstream (our Via already removed, §16.7 step 3). */
export interface ResponseContext {
  readonly request: RequestContext;
  response: SipResponse;
  /** The branch target it came from; undefined for a response the proxy made (408, 480, 487). */
  readonly target: Uri | undefined;
}

/** Counters a caller (metrics, tests) may read. */
export interface ProxyStats {
  requests: number;
  forwarded: number;
  rejected: number;
  rateLimited: number;
  /** Branches abandoned by Timer C (§16.8). */
  timerC: number;
  /** Hops abandoned for the next one of the same target (RFC 3263 §4.3). */
  failovers: number;
}
