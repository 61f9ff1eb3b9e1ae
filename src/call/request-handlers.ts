/**
 * Per-method handlers for the requests an application answers itself (issue 13 §3): INFO,
 * MESSAGE (RFC 3428), OPTIONS, and SUBSCRIBE/NOTIFY hooks per event package (RFC 6665). A handler
 * returns the response to send (or undefined for the default); a throw, a bad status or no
 * answer within `handlerTimeout` becomes 500, so a faulty handler never leaves a transaction
 * hanging. Requests for nothing registered get the default: 200 for INFO/MESSAGE, the
 * capabilities for OPTIONS, 489 Bad Event for SUBSCRIBE (RFC 6665 §8.3.2), 481 for NOTIFY
 * (RFC 6665 §4.1.3).
 */
import type { SipRequest } from '../message/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface HandlerResponse {
  status: number;
  reason?: string;
  headers?: [string, string][];
  body?: string | Buffer;
  contentType?: string;
}

export interface RequestContext {
  /** The request came inside a dialog (a call), not out of dialog. */
  inDialog: boolean;
}

export type RequestHandler = (
  req: SipRequest,
  ctx: RequestContext,
) => HandlerResponse | undefined | Promise<HandlerResponse | undefined>;

export type HandledMethod = 'INFO' | 'MESSAGE' | 'OPTIONS';

/** Hooks of one event package (RFC 6665): SUBSCRIBE and NOTIFY carrying `Event: <name>`. */
export interface EventPackageHooks {
  subscribe?: RequestHandler;
  notify?: RequestHandler;
}

export interface RequestHandlersOptions {
  clock: Clock;
  /** A handler that has not answered within this many ms gets 500 sent for it (default 10 000). */
  handlerTimeout?: number;
  /** Headers of our capabilities (Allow, Accept, Supported) for the default OPTIONS answer. */
  capabilityHeaders?: () => [string, string][];
  /** Event packages at most (a registration API, but bounded all the same; default 32). */
  maxPackages?: number;
}

/** RFC 6665 §7.2.1 event-type token, without its parameters, lower-cased. */
function eventPackage(req: SipRequest): string | undefined {
  const v = req.get('Event');
  const name = v?.split(';')[0]?.trim().toLowerCase();
  return name && /^[a-z0-9!%*_+`'~.-]+$/.test(name) ? name : undefined;
}

export class RequestHandlers {
  private readonly handlers = new Map<HandledMethod, RequestHandler>();
  private readonly packages = new Map<string, EventPackageHooks>();

  constructor(private readonly opts: RequestHandlersOptions) {}

  /** Register the handler of a method (replacing any); returns a function that removes it. */
  on(method: HandledMethod, handler: RequestHandler): () => void {
    this.handlers.set(method, handler);
    return () => {
      if (this.handlers.get(method) === handler) this.handlers.delete(method);
    };
  }

  has(method: HandledMethod): boolean {
    return this.handlers.has(method);
  }

  /** Accept SUBSCRIBE/NOTIFY for an event package (lower-cased name, no parameters). */
  addEventPackage(name: string, hooks: EventPackageHooks): () => void {
    const key = name.toLowerCase();
    if (!this.packages.has(key) && this.packages.size >= (this.opts.maxPackages ?? 32))
      throw new RangeError('too many event packages registered');
    this.packages.set(key, hooks);
    return () => {
      if (this.packages.get(key) === hooks) this.packages.delete(key);
    };
  }

  /** Event packages we take SUBSCRIBE for (Allow-Events, RFC 6665 §8.2.2). */
  get events(): string[] {
    return [...this.packages].filter(([, h]) => h.subscribe).map(([n]) => n);
  }

  /** Whether SUBSCRIBE belongs in Allow: some package takes subscriptions. */
  get acceptsSubscribe(): boolean {
    return this.events.length > 0;
  }

  /** The response for `req` (one of INFO, MESSAGE, OPTIONS, SUBSCRIBE, NOTIFY); never rejects. */
  async handle(req: SipRequest, ctx: RequestContext): Promise<HandlerResponse> {
    const method = req.method.toUpperCase();
    let handler: RequestHandler | undefined;
    let fallback: HandlerResponse;
    switch (method) {
      case 'INFO':
        handler = this.handlers.get('INFO');
        // RFC 6086 §5.2.3: an Info Package nobody handles → 469 (legacy INFO without one → 200)
        fallback = req.has('Info-Package') ? { status: 469, headers: [['Recv-Info', '']] } : { status: 200 };
        break;
      case 'MESSAGE':
        handler = this.handlers.get('MESSAGE');
        fallback = { status: 200 };
        break;
      case 'OPTIONS':
        handler = this.handlers.get('OPTIONS');
        fallback = { status: 200, headers: this.opts.capabilityHeaders?.() ?? [] };
        break;
      case 'SUBSCRIBE':
      case 'NOTIFY': {
        const pkg = eventPackage(req);
        if (!pkg) return { status: 400, reason: 'Bad Request (missing or malformed Event header)' };
        const hooks = this.packages.get(pkg);
        handler = method === 'SUBSCRIBE' ? hooks?.subscribe : hooks?.notify;
        fallback =
          method === 'SUBSCRIBE'
            ? { status: 489, headers: [['Allow-Events', this.events.join(', ')]] }
            : { status: 481, reason: 'Subscription Does Not Exist' };
        break;
      }
      default:
        return { status: 405 };
    }
    if (!handler) return fallback;
    return this.run(handler, req, ctx, fallback);
  }

  private async run(
    handler: RequestHandler,
    req: SipRequest,
    ctx: RequestContext,
    fallback: HandlerResponse,
  ): Promise<HandlerResponse> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<HandlerResponse>((resolve) => {
      timer = this.opts.clock.setTimeout(
        () => resolve({ status: 500, reason: `Server Internal Error (${req.method} handler did not answer)` }),
        this.opts.handlerTimeout ?? 10_000,
      );
    });
    const answered = (async (): Promise<HandlerResponse> => {
      try {
        const r = await handler(req, ctx);
        if (r === undefined) return fallback;
        if (!Number.isInteger(r.status) || r.status < 200 || r.status > 699)
          return { status: 500, reason: `Server Internal Error (${req.method} handler gave status ${r.status})` };
        return r;
      } catch {
        // the handler's error text may carry anything: it is not put on the wire
        return { status: 500, reason: `Server Internal Error (${req.method} handler failed)` };
      }
    })();
    try {
      return await Promise.race([answered, timeout]);
    } finally {
      this.opts.clock.clearTimeout(timer);
    }
  }
}
