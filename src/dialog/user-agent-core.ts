import { EventEmitter } from 'node:events';
import { SipRequest, SipResponse, checkRequest, createResponse, ownCopy, type Uri } from '../message/index.js';
import { ClientTransaction, ServerTransaction, TransactionLayer, type TimerConfig } from '../transaction/index.js';
import { resolveTargets, type Target, type TransportLayer } from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { Dialog, dialogKey, type DialogHandler } from './dialog.js';
import { Pending2xxTable } from './pending-2xx.js';

export type { DialogHandler } from './dialog.js';

/** What a dialog usage (a call, a subscription) gets from the core for its dialog. */
export interface UserAgentCoreOptions {
  transport: TransportLayer;
  transactions?: TransactionLayer;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /** Methods we implement (Allow), option tags (Supported), body types (Accept). */
  allow?: string[];
  supported?: string[];
  accept?: string[];
  userAgent?: string;
  /** Out-of-dialog requests go through this proxy (a pre-loaded Route, RFC 3261 §8.1.2). */
  outboundProxy?: Uri;
  /** Server location (RFC 3263); injectable for tests. */
  resolve?: (uri: Uri) => Promise<Target[]>;
  /** Credentials for 401/407 challenges to out-of-dialog requests. */
  authenticator?: Authenticator;
}

export interface SendHandlers {
  /** Every response (1xx, final, and 2xx retransmissions / forks for INVITE). */
  onResponse?(res: SipResponse, tx: ClientTransaction): void;
  /** The request was re-sent with credentials (a new transaction, CSeq + 1): the TU's reference changes. */
  onRetry?(req: SipRequest): void;
}

/** Answers 401/407 challenges (a DigestClient). */
export interface Authenticator {
  authorize(req: SipRequest, res: SipResponse): boolean;
  /** An authorized request got a final response other than a challenge it answers (its chain is over). */
  settled?(req: SipRequest): void;
}

/**
 * The user agent core (RFC 3261 §8, §12, §13): sends requests through client transactions to
 * the located next hop, answers what an endpoint must answer itself (OPTIONS, 481, 501, 420,
 * CANCEL), dispatches in-dialog requests to the dialog's usage, and keeps 2xx responses to
 * INVITE retransmitted until their ACK arrives.
 */
export class UserAgentCore extends EventEmitter {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly allow: string[];
  readonly supported: string[];
  readonly accept: string[];
  readonly userAgent: string;
  outboundProxy: Uri | undefined;
  authenticator: Authenticator | undefined;
  private readonly resolver: (uri: Uri) => Promise<Target[]>;
  /** Dialogs by key; each carries its handler (no entry object per dialog). */
  private readonly dialogs = new Map<string, Dialog>();
  /**
   * Out-of-dialog requests seen recently (Call-ID, From tag, CSeq) → top Via branch, for §8.2.2.2:
   * two generations swapped every 64*T1 (one timer for all, not one per request), so an entry
   * is kept 64*T1 to 128*T1.
   */
  private recent = new Map<string, string>();
  private recentOld = new Map<string, string>();
  private recentTimer: TimerHandle | undefined;
  /** 2xx responses awaiting their ACK (§13.3.1.4). */
  private readonly pending2xx: Pending2xxTable;

  constructor(opts: UserAgentCoreOptions) {
    super();
    this.transport = opts.transport;
    this.clock = opts.clock ?? opts.transactions?.clock ?? systemClock;
    this.transactions =
      opts.transactions ??
      new TransactionLayer(opts.transport, { clock: this.clock, ...(opts.timers ? { timers: opts.timers } : {}) });
    this.allow = opts.allow ?? ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REFER', 'NOTIFY', 'INFO', 'MESSAGE'];
    this.supported = opts.supported ?? ['replaces', 'norefersub'];
    this.accept = opts.accept ?? ['application/sdp', 'message/sipfrag'];
    this.userAgent = opts.userAgent ?? 'Switchboard/0.1';
    this.outboundProxy = opts.outboundProxy;
    this.authenticator = opts.authenticator;
    this.resolver = opts.resolve ?? ((u) => resolveTargets(u));
    this.pending2xx = new Pending2xxTable({
      clock: this.clock,
      timers: this.transactions.timers,
      resend: (tx, res) =>
        void this.transport
          .send(res, tx.responseTarget, tx.connectionId ? { connectionId: tx.connectionId } : {})
          .catch(() => undefined),
    });
    this.transactions.on('request', (tx) => this.onRequest(tx));
    this.transactions.on('ack', (ack) => this.onAck(ack));
    this.transactions.on('stray-response', (res) => this.emit('stray-response', res));
  }

  // ---- outgoing --------------------------------------------------------------------------

  /** Where a request goes first: the top Route, else the Request-URI (§8.1.2). */
  private nextHopUri(req: SipRequest): Uri {
    const r = req.route[0];
    return r ? r.uri : req.uri;
  }

  /** Add the outbound proxy Route to an out-of-dialog request (no To tag, no Route yet). */
  private preloadRoute(req: SipRequest): void {
    if (this.outboundProxy && !req.to?.tag && !req.has('Route')) {
      const u = this.outboundProxy.clone();
      if (u.kind === 'sip' && !u.lr) u.params.set('lr');
      req.prepend('Route', `<${u.toString()}>`);
    }
    if (!req.has('User-Agent')) req.append('User-Agent', this.userAgent);
  }

  async locate(req: SipRequest): Promise<Target[]> {
    const targets = await this.resolver(this.nextHopUri(req));
    if (targets.length === 0) throw new Error(`no address found for ${this.nextHopUri(req).toString()}`);
    return targets;
  }

  /**
   * Send a request in a client transaction; resolves with the final response (a synthesized
   * 408/503 on timeout/transport failure, after trying the next target, RFC 3263 §4.3).
   */
  async send(req: SipRequest, handlers: SendHandlers = {}): Promise<SipResponse> {
    const res = await this.sendOnce(req, handlers);
    // §22.2: answer a challenge once (again on stale=true) with a new CSeq in a new transaction;
    // in a dialog the CSeq comes from the dialog so that its sequence stays increasing (§12.2.1.1)
    if (
      (res.status === 401 || res.status === 407) &&
      this.authenticator &&
      req.method !== 'ACK' &&
      req.method !== 'CANCEL'
    ) {
      const dialog = req.to?.tag ? this.findDialog(req.callId ?? '', req.from?.tag ?? '', req.to.tag) : undefined;
      // (a BYE's dialog is already gone: CSeq + 1 cannot collide with anything then)
      const retry = this.retarget(req);
      retry.set('CSeq', `${dialog ? dialog.nextCSeq() : req.cseq!.seq + 1} ${req.method}`);
      if (this.authenticator.authorize(retry, res)) {
        handlers.onRetry?.(retry);
        const again = await this.send(retry, handlers);
        this.authenticator.settled?.(retry);
        return again;
      }
    }
    return res;
  }

  private async sendOnce(req: SipRequest, handlers: SendHandlers): Promise<SipResponse> {
    this.preloadRoute(req);
    let targets: Target[];
    try {
      targets = await this.locate(req);
    } catch {
      const res = createResponse(req, 503, { reason: 'Service Unavailable (no route to the next hop)' });
      return res;
    }
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const isLast = i === targets.length - 1;
      const attempt = i === 0 ? req : this.retarget(req);
      const final = await new Promise<SipResponse | 'failover'>((resolve) => {
        let done = false;
        this.transactions.sendRequest(attempt, target, {
          onResponse: (res, tx) => {
            handlers.onResponse?.(res, tx);
            if (!done && res.status >= 200) {
              done = true;
              resolve(res);
            }
          },
          onTimeout: () => {
            if (done) return;
            done = true;
            resolve(isLast ? synthesized(attempt, 408) : 'failover');
          },
          onTransportError: () => {
            if (done) return;
            done = true;
            resolve(isLast ? synthesized(attempt, 503) : 'failover');
          },
        });
      });
      if (final !== 'failover') return final;
    }
    return synthesized(req, 503);
  }

  /** A copy of a request with a new branch, for the next target (§8.1.2: a new transaction). */
  private retarget(req: SipRequest): SipRequest {
    const copy = new SipRequest(
      req.method,
      req.uri.clone(),
      req.headers.filter((h) => h.key !== 'via').map((h) => ({ ...h, raw: undefined })),
      req.body,
    );
    return copy;
  }

  /** Send an ACK (or anything else transaction-less) to the request's next hop. */
  async sendStateless(req: SipRequest): Promise<void> {
    const [target] = await this.locate(req);
    await this.transactions.sendStateless(req, target!);
  }

  // ---- dialogs ---------------------------------------------------------------------------

  addDialog(dialog: Dialog, handler: DialogHandler): void {
    dialog.handler = handler;
    this.dialogs.set(dialog.key, dialog);
  }
  removeDialog(dialog: Dialog): void {
    this.dialogs.delete(dialog.key);
    this.pending2xx.dropDialog(dialog.key);
  }
  findDialog(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.dialogs.get(dialogKey(callId, localTag, remoteTag));
  }
  get dialogCount(): number {
    return this.dialogs.size;
  }

  /**
   * §13.3.1.4: the UAS core retransmits a 2xx to INVITE, T1 doubling to T2, until the ACK
   * arrives; after 64*T1 without ACK the handler's onAckTimeout is called.
   */
  respond2xx(tx: ServerTransaction, res: SipResponse, dialog: Dialog): Promise<boolean> {
    const key = dialog.key;
    return this.pending2xx.start(tx, res, key, this.transport.isReliable(tx.inbound.protocol), () =>
      this.dialogs.get(key)?.handler?.onAckTimeout?.(dialog),
    );
  }

  // ---- incoming --------------------------------------------------------------------------

  private onAck(ack: SipRequest): void {
    const toTag = ack.to?.tag;
    const fromTag = ack.from?.tag ?? '';
    if (!toTag || !ack.callId) return;
    const dialog = this.dialogs.get(dialogKey(ack.callId, toTag, fromTag));
    if (!dialog) return; // an ACK for nothing we know: dropped (§17.2.3)
    if (this.pending2xx.acknowledge(dialog.key, ack.cseq?.seq ?? -1)) dialog.handler?.onAck?.(ack, dialog);
  }

  private onRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const owed = checkRequest(req, { role: 'uas', allow: this.allow, supported: this.supported, accept: this.accept });
    if (owed) {
      tx.respond(createResponse(req, owed.status, { reason: owed.reason, headers: owed.headers }));
      return;
    }
    if (req.method === 'CANCEL') return this.onCancel(tx);
    const toTag = req.to?.tag;
    // §8.2.2.2 merged requests: the same out-of-dialog request reaching us twice by different
    // paths (a forking proxy) is answered 482 on the second path
    if (!toTag) {
      const key = `${req.callId}\u0000${req.from?.tag ?? ''}\u0000${req.cseq!.seq}\u0000${req.method}`;
      const branch = req.topVia?.branch ?? '';
      const seen = this.recent.get(key) ?? this.recentOld.get(key);
      if (seen !== undefined && seen !== branch) {
        tx.respond(createResponse(req, 482, { reason: 'Loop Detected (merged request)' }));
        return;
      }
      if (seen === undefined) {
        // own strings: views of the request's text would keep the whole message for 64-128*T1
        this.recent.set(ownCopy(key), ownCopy(branch));
        this.recentTimer ??= this.clock.setTimeout(() => this.rotateRecent(), 64 * this.transactions.timers.T1);
      }
    }
    if (toTag) {
      // §12.2.2: in-dialog
      const dialog = this.dialogs.get(dialogKey(req.callId!, toTag, req.from?.tag ?? ''));
      if (!dialog?.handler) {
        tx.respond(createResponse(req, 481));
        return;
      }
      if (!dialog.acceptRemoteCSeq(req)) {
        tx.respond(createResponse(req, 500, { reason: 'Server Internal Error (CSeq out of order)' }));
        return;
      }
      dialog.handler.onRequest(tx, dialog);
      return;
    }
    if (req.method === 'OPTIONS') {
      // §11.2: capabilities
      tx.respond(
        createResponse(req, 200, {
          headers: [
            ['Allow', this.allow.join(', ')],
            ['Accept', this.accept.join(', ')],
            ['Supported', this.supported.join(', ')],
            ['User-Agent', this.userAgent],
          ],
        }),
      );
      return;
    }
    if (req.method === 'BYE' || req.method === 'NOTIFY') {
      // out of dialog: nothing to end or to notify about
      tx.respond(createResponse(req, 481));
      return;
    }
    if (this.listenerCount('request') === 0) {
      tx.respond(
        createResponse(req, req.method === 'INVITE' ? 480 : 405, { headers: [['Allow', this.allow.join(', ')]] }),
      );
      return;
    }
    this.emit('request', tx);
  }

  /** The older generation of `recent` is forgotten; the timer runs while either holds entries. */
  private rotateRecent(): void {
    this.recentOld = this.recent;
    this.recent = new Map();
    this.recentTimer =
      this.recentOld.size > 0
        ? this.clock.setTimeout(() => this.rotateRecent(), 64 * this.transactions.timers.T1)
        : undefined;
  }

  /** §9.2: 200 to the CANCEL, 487 to the INVITE if it is still pending; 481 if there is none. */
  private onCancel(tx: ServerTransaction): void {
    const invite = this.transactions.findInviteFor(tx.request);
    if (!invite) {
      tx.respond(createResponse(tx.request, 481));
      return;
    }
    tx.respond(createResponse(tx.request, 200));
    if (invite.state === 'proceeding') {
      invite.respond(createResponse(invite.request, 487, { toTag: invite.lastResponse?.to?.tag ?? undefined }));
      this.emit('cancel', invite);
    }
  }

  close(): void {
    this.pending2xx.clear();
    this.dialogs.clear();
    this.clock.clearTimeout(this.recentTimer);
    this.recentTimer = undefined;
    this.transactions.close();
  }
}

function synthesized(req: SipRequest, status: number): SipResponse {
  const res = createResponse(req, status);
  const to = req.headers.find((h) => h.key === 'to');
  if (to) res.set('To', to.value);
  return res;
}
