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
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { DigestClient } from '../auth/index.js';
import { createRequest } from '../message/index.js';

export interface UserAgentOptions {
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
}

export interface UserAgentEvents {
  registered: [expires: number];
  unregistered: [];
  'registration-failed': [status: number, reason: string];
  incoming: [call: Call];
  call: [call: Call];
  error: [err: Error];
}

let mediaPort = 40000 + 2 * Math.floor(Math.random() * 5000);

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
  private regTimer: TimerHandle | undefined;
  private regCallId: string | undefined;
  private regCSeq = 0;
  registered = false;

  constructor(readonly opts: UserAgentOptions) {
    super();
    this.aor =
      typeof opts.aor === 'string'
        ? opts.aor.includes('<')
          ? parseNameAddr(opts.aor)
          : new NameAddr(parseUri(opts.aor))
        : opts.aor;
    this.clock = opts.clock ?? systemClock;
    this.transport = new SipTransport({
      ...opts.transportOptions,
      clock: this.clock,
      ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
      ...(opts.tap ? { tap: opts.tap } : {}),
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
    this.core = new UserAgentCore({
      transport: this.opts.wrapTransport ? this.opts.wrapTransport(this.transport) : this.transport,
      clock: this.clock,
      ...(this.opts.timers ? { timers: this.opts.timers } : {}),
      ...(outbound ? { outboundProxy: outbound } : {}),
      ...(this.opts.resolve ? { resolve: this.opts.resolve } : {}),
      ...(this.opts.userAgent ? { userAgent: this.opts.userAgent } : {}),
      ...(this.opts.credentials ? { authenticator: new DigestClient(this.opts.credentials) } : {}),
    });
    this.core.on('request', (tx: ServerTransaction) => this.onRequest(tx));
    this.core.on('cancel', (tx: ServerTransaction) => {
      for (const c of this.calls.values())
        if (c.invite === tx.request || c.invite.callId === tx.request.callId) c.cancelled();
    });
    this.started = true;
  }

  private callContext(): CallContext {
    const policy = this.opts.referPolicy ?? 'accept';
    return {
      core: this.core,
      clock: this.clock,
      contact: this.contact,
      aor: this.aor,
      mediaAddress: this.transport.viaFor('udp').host,
      mediaPort: (mediaPort += 2),
      referPolicy: typeof policy === 'function' ? policy : () => policy === 'accept',
      placeCall: (target, headers) => this.call(target, { headers }),
    };
  }

  private track(call: Call): Call {
    this.calls.set(call.id, call);
    // a call's 'error' (a peer's unusable SDP, a failed send) must not crash the process for want
    // of a listener on that call: relayed to the UA's 'error', itself emitted only when listened to
    call.on('error', (e: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    call.once('terminated', () => {
      // keep it briefly for `calls` listings, then forget it
      this.clock.setTimeout(() => this.calls.delete(call.id), 5000);
    });
    this.emit('call', call);
    return call;
  }

  /** Place a call to `target` (URI string or object). */
  call(target: string | Uri, opts: { headers?: [string, string][] } = {}): Call {
    if (!this.started) throw new Error('user agent not started');
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const from = this.aor.clone();
    const call = Call.dial(this.callContext(), uri, { from, ...(opts.headers ? { headers: opts.headers } : {}) });
    return this.track(call);
  }

  private onRequest(tx: ServerTransaction): void {
    const req = tx.request;
    if (req.method !== 'INVITE') {
      tx.respond(createResponse(req, 405, { headers: [['Allow', this.core.allow.join(', ')]] }));
      return;
    }
    // RFC 3891: an INVITE with Replaces takes over an existing dialog
    let replaced: Call | undefined;
    const rep = req.has('Replaces') ? req.replaces : undefined;
    if (rep) {
      const d = this.core.findDialog(rep.callId, rep.toTag, rep.fromTag);
      replaced = d ? [...this.calls.values()].find((c) => c.dialog === d) : undefined;
      if (!d || !replaced || replaced.state === 'terminated') {
        tx.respond(createResponse(req, 481));
        return;
      }
      if ((d.state === 'early' && !d.isUac) || (rep.earlyOnly && d.state === 'confirmed')) {
        tx.respond(createResponse(req, 486));
        return;
      }
      if (this.opts.replacesPolicy && !this.opts.replacesPolicy(replaced, req)) {
        tx.respond(createResponse(req, 603));
        return;
      }
    }
    const call = new Call(this.callContext(), { direction: 'incoming', invite: req, tx });
    this.track(call);
    this.emit('incoming', call);
    call.ring();
    if (replaced) {
      // the replacement is answered at once; the replaced call ends with BYE
      const old = replaced;
      call.once('established', () => old.hangup());
      call.answer();
      return;
    }
    const auto = this.opts.autoAnswer;
    if (auto !== undefined && auto !== false) {
      this.clock.setTimeout(() => {
        if (call.state === 'incoming') call.answer();
      }, auto);
    }
  }

  /**
   * REGISTER our Contact with the registrar (RFC 3261 §10.2), answering its challenge, and
   * refresh before expiry. Resolves with the final status.
   */
  async register(expires = this.opts.registerExpires ?? 3600): Promise<number> {
    if (!this.opts.registrar) throw new Error('no registrar configured');
    const registrar = typeof this.opts.registrar === 'string' ? parseUri(this.opts.registrar) : this.opts.registrar;
    this.regCallId ??= `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const to = this.aor.clone();
    to.params.delete('tag');
    const req = createRequest({
      method: 'REGISTER',
      uri: registrar,
      from: this.aor.clone(),
      to,
      callId: this.regCallId,
      cseq: ++this.regCSeq,
      contact: `${this.contact.toString()};expires=${expires}`,
      headers: [['Expires', String(expires)]],
    });
    let retried = req;
    const res = await this.core.send(req, { onRetry: (r) => (retried = r) });
    this.regCSeq = retried.cseq!.seq;
    this.clock.clearTimeout(this.regTimer);
    if (res.status >= 200 && res.status < 300) {
      const mine = (res.contact === '*' ? [] : res.contact).find(
        (c) => c.uri.toString() === this.contact.uri.toString(),
      );
      const granted = mine?.expires ?? res.expires ?? expires;
      this.registered = expires > 0;
      if (expires > 0) {
        // refresh a little before expiry
        this.regTimer = this.clock.setTimeout(
          () => void this.register(expires).catch(() => undefined),
          Math.max(1, granted * 0.8) * 1000,
        );
        this.emit('registered', granted);
      } else this.emit('unregistered');
    } else if (res.status === 423 && res.minExpires && expires > 0) {
      return this.register(res.minExpires);
    } else {
      this.emit('registration-failed', res.status, res.reason);
    }
    return res.status;
  }

  async unregister(): Promise<number> {
    this.clock.clearTimeout(this.regTimer);
    return this.register(0);
  }

  /** Hang up every call, unregister, and close the transports. */
  async stop(): Promise<void> {
    if (this.registered) await this.unregister().catch(() => undefined);
    this.clock.clearTimeout(this.regTimer);
    for (const c of this.calls.values()) c.hangup();
    await new Promise((r) => setTimeout(r, 50));
    this.core?.close();
    await this.transport.close();
  }
}
