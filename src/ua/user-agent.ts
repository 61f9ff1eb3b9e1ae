import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import {
  NameAddr,
  SipUri,
  createResponse,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type Uri,
} from '../message/index.js';
import { UserAgentCore } from '../dialog/user-agent-core.js';
import { Call, type CallContext } from '../call/call.js';
import type { ServerTransaction, TimerConfig } from '../transaction/index.js';
import {
  SipTransport,
  type ListenOptions,
  type Target,
  type TransportLayer,
  type TransportOptions,
  type TransportProtocol,
  type WireEvent,
} from '../transport/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TimerQueue } from '../util/timer-queue.js';
import { asError, emitError } from '../util/events.js';
import { signallingOnlyFactory } from '../media/signalling-only.js';
import type { MediaSessionFactory } from '../media/session.js';
import { DigestClient } from '../auth/index.js';
import type { SipResponse } from '../message/index.js';
import { Registration } from './registration.js';
import { RequestHandlers } from '../call/request-handlers.js';
import { answerWith, extensionPolicy, sendMessage, uaCapabilities, type ExtensionOptions } from './extensions.js';

const noop = (): void => undefined;

export interface UserAgentOptions extends ExtensionOptions {
  /** Our address-of-record, e.g. `"Alice" <sips:alice@atlanta.example.com>`. */
  aor: string | NameAddr;
  listen: ListenOptions[];
  /** Trust this CA for outgoing TLS (development). Verification stays on. */
  tlsCa?: string;
  outboundProxy?: string | Uri;
  /** Answer incoming calls automatically after this many ms (false: ring until answered). */
  autoAnswer?: number | false;
  /** Accept or refuse incoming REFERs. */
  referPolicy?: 'accept' | 'reject' | ((call: Call, req: SipRequest) => boolean);
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /** Resolve next hops (RFC 3263); tests and the demo map names to loopback addresses. */
  resolve?: (uri: Uri) => Promise<Target[]>;
  tap?: (e: WireEvent) => void;
  userAgent?: string;
  /** Registrar to REGISTER with (RFC 3261 §10.2); refreshed before expiry. */
  registrar?: string | Uri;
  registerExpires?: number;
  /** Digest credentials for 401/407 challenges (never logged). */
  credentials?: { username: string; password: string };
  /** Accept an INVITE with Replaces (RFC 3891) for one of our calls; false answers 603. Default: accept. */
  replacesPolicy?: (replaced: Call, req: SipRequest) => boolean;
  /** Transport limits and timeouts (stream connection caps, idle/handshake/message timeouts, message limits). */
  transportOptions?: Omit<TransportOptions, 'clock' | 'tap' | 'tlsCa'>;
  /** Wrap the transport seen by the core (tests: a LossyTransport). */
  wrapTransport?: (t: TransportLayer) => TransportLayer;
  /** The media of each call (an RTP engine plugs in here); default: SignallingOnlyMedia (SDP, no RTP). */
  mediaFactory?: MediaSessionFactory;
  /** How long a transferor waits for the final NOTIFY (ms, default 32 000). */
  transferTimeout?: number;
  /** After a successful transfer as transferee, how long to wait for the transferor's BYE before sending ours (ms, default 1000). */
  transfereeByeDelay?: number;
  /** RFC 3261 §14.1 delay after 491 (ms) given whether we own the Call-ID; default glareDelay(). */
  glareDelay?: (ownsCallId: boolean) => number;
  /** Retries after 491 before a re-INVITE rejects with RequestPendingError (default 3). */
  maxGlareRetries?: number;
  /** stop(): how long to wait for the BYEs/CANCELs to be answered (ms, default 2000). */
  stopTimeout?: number;
  /**
   * How long an ended call stays in `calls` (ms, default 5000; 0 forgets it at once). Transactions
   * stay for their RFC 3261 §17 timers, which scale with `timers.T1`/`T4`.
   */
  endedCallRetention?: number;
}

export interface UserAgentEvents {
  registered: [expires: number];
  unregistered: [];
  'registration-failed': [status: number, reason: string];
  incoming: [call: Call];
  /** An out-of-dialog MESSAGE (RFC 3428); answered by the MESSAGE handler, default 200. */
  message: [req: SipRequest];
  call: [call: Call];
  /** Transport and internal failures (never thrown for want of a listener). */
  error: [err: Error];
}

export interface CallOptions {
  headers?: [string, string][];
  /** Aborting hangs the call up (CANCEL) and rejects with CancelledError. */
  signal?: AbortSignal;
}

/** Handles an out-of-dialog request method (answer through `tx`). */
export type RequestHandler = (tx: ServerTransaction) => void;

/**
 * A SIP phone as a library: transports, the UA core, and calls with hold and transfer.
 * `switchboard phone` and the demo are thin layers over it.
 */
export class UserAgent extends EventEmitter<UserAgentEvents> {
  readonly aor: NameAddr;
  readonly transport: SipTransport;
  core!: UserAgentCore;
  readonly calls = new Map<string, Call>();
  readonly clock: Clock;
  contact!: NameAddr;
  private started = false;
  private callSeq = 0;
  private callCtx: CallContext | undefined;
  private readonly mediaFactory: MediaSessionFactory;
  /** Out-of-dialog requests by method; INVITE is ours unless replaced. */
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly registration: Registration;
  /** INFO / MESSAGE / OPTIONS handlers and SUBSCRIBE/NOTIFY hooks, in and out of dialogs (issue 13 §3). */
  readonly requests: RequestHandlers;

  constructor(readonly opts: UserAgentOptions) {
    super();
    this.aor =
      typeof opts.aor === 'string'
        ? opts.aor.includes('<')
          ? parseNameAddr(opts.aor)
          : new NameAddr(parseUri(opts.aor))
        : opts.aor;
    // one Node timer for all the protocol timers of this user agent (issue 16 §1)
    this.clock = opts.clock ?? new TimerQueue();
    this.mediaFactory = opts.mediaFactory ?? signallingOnlyFactory();
    this.transport = new SipTransport({
      ...opts.transportOptions,
      clock: this.clock,
      ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
      ...(opts.tap ? { tap: opts.tap } : {}),
    });
    this.transport.on('error', (e: Error) => emitError(this, e));
    this.handlers.set('INVITE', (tx) => this.onInvite(tx));
    this.registration = new Registration(this, opts.registrar, {
      registered: (expires) => this.emit('registered', expires),
      unregistered: () => this.emit('unregistered'),
      failed: (status, reason) => this.emit('registration-failed', status, reason),
      error: (e) => emitError(this, e),
    });
    this.requests = new RequestHandlers({
      clock: this.clock,
      capabilityHeaders: () => [
        ['Allow', this.core.allow.join(', ')],
        ['Supported', this.core.supported.join(', ')],
      ],
    });
    for (const m of ['INFO', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY'])
      this.handlers.set(m, (tx) => {
        if (m === 'MESSAGE') this.emit('message', tx.request);
        answerWith(this.requests, tx);
      });
  }

  async start(): Promise<void> {
    if (this.started) return;
    const bound: { protocol: TransportProtocol; host: string; port: number }[] = [];
    for (const l of this.opts.listen) bound.push({ protocol: l.protocol, ...(await this.transport.listen(l)) });
    const first = bound[0]!;
    const secure = first.protocol === 'tls' || first.protocol === 'wss';
    const user = this.aor.uri.kind === 'sip' ? this.aor.uri.user : undefined;
    const host = isIPv6(first.host) ? `[${first.host}]` : first.host;
    const contactUri = new SipUri({ scheme: secure ? 'sips' : 'sip', user, host, port: first.port });
    if (first.protocol !== 'udp' && first.protocol !== 'tls') contactUri.params.set('transport', first.protocol);
    if (first.protocol === 'tls' && !secure) contactUri.params.set('transport', 'tls');
    this.contact = new NameAddr(contactUri);
    const outbound =
      this.opts.outboundProxy === undefined
        ? undefined
        : typeof this.opts.outboundProxy === 'string'
          ? parseUri(this.opts.outboundProxy)
          : this.opts.outboundProxy;
    const caps = uaCapabilities(this.opts, this.requests.events);
    this.core = new UserAgentCore({
      transport: this.opts.wrapTransport ? this.opts.wrapTransport(this.transport) : this.transport,
      clock: this.clock,
      ...(this.opts.timers ? { timers: this.opts.timers } : {}),
      ...(outbound ? { outboundProxy: outbound } : {}),
      ...(this.opts.resolve ? { resolve: this.opts.resolve } : {}),
      ...(this.opts.userAgent ? { userAgent: this.opts.userAgent } : {}),
      ...(this.opts.credentials ? { authenticator: new DigestClient(this.opts.credentials) } : {}),
      // Allow and Supported list only what is enabled (issue 13 §3)
      allow: caps.allow,
      supported: caps.supported,
    });
    this.core.on('request', (tx: ServerTransaction) => this.onRequest(tx));
    // RFC 3261 §9.2: the CANCEL was matched to its INVITE server transaction (Request-URI, tags,
    // Call-ID, CSeq number, top Via branch); only the call of that transaction is cancelled
    this.core.on('cancel', (tx: ServerTransaction) => {
      for (const c of this.calls.values()) if (c.isInviteTransaction(tx)) c.cancelled();
    });
    this.callCtx = this.callContext();
    this.started = true;
  }

  /** Handle out-of-dialog requests of `method` yourself (MESSAGE, OPTIONS, SUBSCRIBE...); undefined: 405. */
  setRequestHandler(method: string, handler: RequestHandler | undefined): void {
    if (handler) this.handlers.set(method.toUpperCase(), handler);
    else this.handlers.delete(method.toUpperCase());
  }

  /** What all our calls share: made once (at start), not per call (issue 16 §1). */
  private callContext(): CallContext {
    const policy = this.opts.referPolicy ?? 'accept';
    const o = this.opts;
    const calls = this.calls;
    const keep = o.endedCallRetention ?? 5000;
    return {
      core: this.core,
      clock: this.clock,
      contact: this.contact,
      aor: this.aor,
      referPolicy: typeof policy === 'function' ? policy : () => policy === 'accept',
      placeCall: (target, headers) => this.dial(target, { headers }),
      ...(o.transferTimeout !== undefined ? { transferTimeout: o.transferTimeout } : {}),
      ...(o.transfereeByeDelay !== undefined ? { transfereeByeDelay: o.transfereeByeDelay } : {}),
      ...(o.glareDelay ? { glareDelay: o.glareDelay } : {}),
      ...(o.maxGlareRetries !== undefined ? { maxGlareRetries: o.maxGlareRetries } : {}),
      extensions: extensionPolicy(o),
      handlers: this.requests,
      observer: {
        // a call's error (a peer's unusable SDP, a failed send) is relayed to the UA's, emitted only when listened to
        callError: (_call, e) => void emitError(this, e),
        // an ended call stays briefly for `calls` listings, then is forgotten
        callEnded: (call) => {
          if (calls.get(call.id) !== call) return;
          if (keep <= 0) calls.delete(call.id);
          else this.clock.setTimeout(() => calls.delete(call.id), keep);
        },
      },
    };
  }

  /** A new call of ours with its own media. */
  private newCall(init: ConstructorParameters<typeof Call>[3], callId: string, secure: boolean): Call {
    const media = this.mediaFactory({ address: this.transport.viaFor('udp').host, secure, callId });
    return new Call(this.callCtx!, `c${++this.callSeq}`, media, init);
  }

  private track(call: Call): Call {
    this.calls.set(call.id, call);
    this.emit('call', call);
    return call;
  }

  /** Place a call to `target` and return it at once (follow it with its events, or `answered()`). */
  dial(target: string | Uri, opts: CallOptions = {}): Call {
    if (!this.started) throw new Error('user agent not started');
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const invite = Call.createInvite({ core: this.core, contact: this.contact }, uri, {
      from: this.aor.clone(),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    const call = this.track(this.newCall({ direction: 'outgoing', invite }, invite.callId!, uri.scheme === 'sips'));
    call.start();
    return call;
  }

  /**
   * Call `target`: resolves with the call once answered; rejects with CallRejectedError (status,
   * reason), RequestTimeoutError or CancelledError (also when `signal` aborts).
   */
  call(target: string | Uri, opts: CallOptions = {}): Promise<Call> {
    try {
      return this.dial(target, opts).answered(opts.signal);
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }
  /** Same as call() (the name issue 13 uses). */
  invite(target: string | Uri, opts: CallOptions = {}): Promise<Call> {
    return this.call(target, opts);
  }

  /** Send a page-mode MESSAGE (RFC 3428) out of dialog; resolves with the final response. */
  message(target: string | Uri, body: string | Buffer, contentType = 'text/plain'): Promise<SipResponse> {
    if (!this.started) return Promise.reject(new Error('user agent not started'));
    const uri = typeof target === 'string' ? parseUri(target) : target;
    return sendMessage(this.core, this.aor.clone(), uri, body, contentType);
  }

  private onRequest(tx: ServerTransaction): void {
    const h = this.handlers.get(tx.request.method);
    if (h) h(tx);
    else tx.respond(createResponse(tx.request, 405, { headers: [['Allow', this.core.allow.join(', ')]] }));
  }

  private onInvite(tx: ServerTransaction): void {
    const req = tx.request;
    // RFC 3891: an INVITE with Replaces takes over an existing dialog
    let replaced: Call | undefined;
    const rep = req.has('Replaces') ? req.replaces : undefined;
    if (rep) {
      const d = this.core.findDialog(rep.callId, rep.toTag, rep.fromTag);
      replaced = d ? [...this.calls.values()].find((c) => c.dialog === d) : undefined;
      // RFC 3891 §3: no such dialog, or an early dialog we did not create → 481
      if (!d || !replaced || replaced.state === 'terminated' || (d.state === 'early' && !d.isUac)) {
        tx.respond(createResponse(req, 481));
        return;
      }
      // early-only and the dialog is confirmed → 486 (RFC 3891 §3)
      if (rep.earlyOnly && d.state === 'confirmed') {
        tx.respond(createResponse(req, 486));
        return;
      }
      if (this.opts.replacesPolicy && !this.opts.replacesPolicy(replaced, req)) {
        tx.respond(createResponse(req, 603));
        return;
      }
    }
    const call = this.newCall({ direction: 'incoming', invite: req, tx }, req.callId!, req.uri.scheme === 'sips');
    // 100rel and session timers may refuse the INVITE first: 420/421 (RFC 3262 §3), 422 (RFC 4028 §9)
    const refused = call.session.ext.checkInvite(req);
    if (refused) {
      call.reject(refused.status, refused.headers);
      return;
    }
    this.track(call);
    this.emit('incoming', call);
    const answer = () => call.answer().catch((e: Error) => call.reportError(e));
    const auto = this.opts.autoAnswer;
    // answered in this tick (a replacement, or autoAnswer 0): the 2xx follows at once, so a 180 would
    // only cost a datagram (RFC 3261 §13.3.1.1 lets the UAS answer without ringing)
    const now = replaced !== undefined || auto === 0;
    if (!now) call.ring();
    if (replaced) {
      // the replacement is answered at once; the replaced call ends with BYE
      const old = replaced;
      call.once('established', () => void old.hangup());
      void answer();
      return;
    }
    if (auto === 0) {
      if (call.state === 'incoming') void answer();
    } else if (auto !== undefined && auto !== false) {
      this.clock.setTimeout(() => {
        if (call.state === 'incoming') void answer();
      }, auto);
    }
  }

  /**
   * REGISTER our Contact with the registrar (RFC 3261 §10.2), answering its challenge, and
   * refresh before expiry. Resolves with the final status.
   */
  register(expires = this.opts.registerExpires ?? 3600): Promise<number> {
    return this.registration.register(expires);
  }

  async unregister(): Promise<number> {
    this.registration.stopRefresh();
    return this.register(0);
  }

  /** A binding of ours is registered now. */
  get registered(): boolean {
    return this.registration.active;
  }

  /** Hang up every call, unregister, and close the transports. */
  async stop(): Promise<void> {
    this.registration.stopRefresh();
    // wait for the BYEs (and CANCELs) and the un-REGISTER to be answered, within stopTimeout
    const ending = [...this.calls.values()].map((c) => c.hangup().catch(() => undefined));
    if (this.registered) ending.push(this.unregister().then(noop, noop));
    let timer: TimerHandle | undefined;
    await Promise.race([
      Promise.all(ending),
      new Promise<void>((r) => (timer = this.clock.setTimeout(r, this.opts.stopTimeout ?? 2000))),
    ]);
    this.clock.clearTimeout(timer);
    // what is still unanswered (a silent peer, a 2xx whose ACK never came because the answer crossed
    // our quit) would wait on transactions the core is about to end: end those calls here, freeing
    // their media (RTP sockets would keep the process alive)
    for (const c of this.calls.values()) c.session.abort('shutdown');
    await Promise.all([...this.calls.values()].map((c) => c.session.media.close().catch(noop)));
    this.core?.close();
    await this.transport.close();
  }
}
