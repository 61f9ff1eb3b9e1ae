import { EventEmitter } from 'node:events';
import { createVia, ownCopy, type SipRequest, type SipResponse } from '../message/index.js';
import type { Inbound, Target, TransportLayer } from '../transport/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ClientTransaction, type ClientContext, type ClientHandlers } from './client.js';
import { clientKey, clientKeyOfResponse, serverKey } from './key.js';
import { ServerTransaction, type ServerContext } from './server.js';
import { DEFAULT_TIMERS, type TimerConfig } from './timers.js';

export interface TransactionLayerOptions {
  clock?: Clock;
  timers?: Partial<TimerConfig>;
}

export interface TransactionLayerEvents {
  /** A new request (not a retransmission, not an ACK): the TU answers through the transaction. */
  request: [tx: ServerTransaction, inbound: Inbound];
  /** An ACK that matches no INVITE server transaction in Completed: the ACK for a 2xx (§17.2.3). */
  ack: [ack: SipRequest, inbound: Inbound];
  /** A response that matches no client transaction, e.g. a 2xx retransmission after Timer M (§17.1.3). */
  'stray-response': [res: SipResponse, inbound: Inbound];
  /** A server transaction failed: Timer H (no ACK) or a transport error while answering. */
  'server-failure': [tx: ServerTransaction, why: 'timeout' | 'transport', error?: Error];
}

/**
 * The transaction layer (RFC 3261 §17): creates client transactions for outgoing requests,
 * server transactions for incoming ones, and routes messages to them (§17.1.3, §17.2.3).
 */
export class TransactionLayer extends EventEmitter<TransactionLayerEvents> {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  /** Transactions that entered a waiting state since the last inbound message: slimmed on the next one. */
  private waiting: (ServerTransaction | ClientTransaction)[] = [];
  private readonly onWaiting = (tx: ServerTransaction | ClientTransaction) => void this.waiting.push(tx);
  private readonly onMessage = (m: Inbound) => this.receive(m);
  /** One context for all server (client) transactions, not an object and closures each. */
  private readonly serverCtx: ServerContext;
  private readonly clientCtx: ClientContext;

  constructor(
    readonly transport: TransportLayer,
    opts: TransactionLayerOptions = {},
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    const shared = { transport, clock: this.clock, timers: this.timers, waiting: this.onWaiting };
    this.serverCtx = {
      ...shared,
      onFailure: (t, why, err) => this.emit('server-failure', t, why, err),
      ended: (tx) => {
        if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
      },
    };
    this.clientCtx = {
      ...shared,
      ended: (tx) => {
        if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
      },
    };
    transport.on('message', this.onMessage);
  }

  /** Live transactions (client + server): it returns to 0 when everything has ended. */
  get size(): number {
    return this.clients.size + this.servers.size;
  }

  /**
   * Start a client transaction. A Via with a fresh branch is added when the request has none
   * (§8.1.1.7); ACK for 2xx is not a transaction: send it with `sendStateless`.
   */
  sendRequest(request: SipRequest, target: Target, handlers: ClientHandlers): ClientTransaction {
    if (request.method === 'ACK') throw new Error('ACK is not sent in a client transaction; use sendStateless');
    this.ensureVia(request, target);
    // kept as long as the transaction (up to 64*T1): its own string, not a view of the message text
    const key = ownCopy(clientKey(request.topVia!.branch!, request.method));
    const tx = new ClientTransaction(request, target, this.clientCtx, handlers, key);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Send without a transaction: ACK for 2xx (§13.2.2.4), or a stateless proxy's forward. */
  sendStateless(message: SipRequest | SipResponse, target: Target, opts?: { connectionId?: string }): Promise<void> {
    if (message.isRequest) this.ensureVia(message as SipRequest, target);
    return this.transport.send(message, target, opts);
  }

  private ensureVia(request: SipRequest, target: Target): void {
    if (request.has('Via')) return;
    const via = this.transport.viaFor(target.protocol);
    request.prepend(
      'Via',
      createVia(target.protocol === 'wss' ? 'WSS' : target.protocol.toUpperCase(), via.host, via.port).toString(),
    );
  }

  /** The INVITE server transaction a CANCEL refers to (§9.2), if it is still there. */
  findInviteFor(cancel: SipRequest): ServerTransaction | undefined {
    const key = serverKey(cancel, 'INVITE');
    return key ? this.servers.get(key) : undefined;
  }

  /** Feed an inbound message (the transport's 'message' event). */
  receive(m: Inbound): void {
    if (this.waiting.length) this.slimWaiting();
    const msg = m.message;
    if (!msg.isRequest) {
      const res = msg as SipResponse;
      const key = clientKeyOfResponse(res);
      const tx = key ? this.clients.get(key) : undefined;
      if (tx) tx.receive(res);
      else this.emit('stray-response', res, m);
      return;
    }
    const req = msg as SipRequest;
    const found = serverKey(req);
    if (!found) return; // no Via: nothing can be answered (the element check catches it first)
    const existing = this.servers.get(found);
    if (req.method === 'ACK') {
      // ACK for a non-2xx final: absorbed by the INVITE server transaction; else it is the TU's
      if (existing && existing.receiveAck()) return;
      if (existing && existing.state === 'confirmed') return; // retransmitted ACK
      this.emit('ack', req, m);
      return;
    }
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    // kept as long as the transaction: its own string, not a view of the request's text
    const key = ownCopy(found);
    const tx = new ServerTransaction(req, m, this.serverCtx, key);
    this.servers.set(key, tx);
    this.emit('request', tx, m);
  }

  /**
   * Transactions waiting out their timers keep only what matches and resends (§17.1, §17.2): the
   * parsed headers of their messages go. Not at once: the TU usually still reads the final response
   * and the request right after it is sent or received (a proxy logs it, a UA builds its dialog);
   * by the next inbound message that handling is over. (A read after this derives them again.)
   * Kept in memory for 32 s, at hundreds of calls/s, those header objects were most of the heap and
   * each one was copied by every scavenge until promoted.
   */
  private slimWaiting(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const tx of w) if (tx.state !== 'terminated') tx.slim();
  }

  /** Stop listening to the transport and end every transaction (timers cleared). */
  close(): void {
    this.transport.off('message', this.onMessage);
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
  }
}
