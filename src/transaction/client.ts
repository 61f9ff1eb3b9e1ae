import { EventEmitter } from 'node:events';
import { SipRequest, SipResponse, createResponse, headerKey, ownCopy, type HeaderField } from '../message/index.js';
import type { Target, TransportLayer } from '../transport/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TIMER_D_UNRELIABLE, type TimerConfig } from './timers.js';

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

/** What the transaction user (TU) hears from a client transaction. */
export interface ClientHandlers {
  /** Every response passed up: provisional, final, and (INVITE, RFC 6026 Accepted) 2xx retransmissions. */
  onResponse?(response: SipResponse, tx: ClientTransaction): void;
  /**
   * Timer B/F fired (§17.1.1.2, §17.1.2.2). If absent, the TU gets a synthesized
   * 408 Request Timeout through onResponse (§8.1.3.1).
   */
  onTimeout?(tx: ClientTransaction): void;
  /** The transport failed (§17.1.4). If absent, the TU gets a synthesized 503 (§8.1.3.1). */
  onTransportError?(error: Error, tx: ClientTransaction): void;
}

export interface ClientContext {
  transport: TransportLayer;
  clock: Clock;
  timers: TimerConfig;
  /** It has entered a state where it only waits (Accepted, Completed): see slim(). */
  waiting?(tx: ClientTransaction): void;
  /** It has terminated (called before the 'terminated' event): the layer forgets it. */
  ended?(tx: ClientTransaction): void;
}

/**
 * INVITE and non-INVITE client transactions (RFC 3261 §17.1.1, §17.1.2, with the RFC 6026
 * Accepted state). Timers A/B/D (INVITE), E/F/K (non-INVITE), M (RFC 6026).
 */
export class ClientTransaction extends EventEmitter {
  state: ClientState;
  readonly isInvite: boolean;
  readonly branch: string;
  /** Responses seen, last first: the TU may want the final one. */
  lastResponse: SipResponse | undefined;
  private ack: SipRequest | undefined;
  private timerA: TimerHandle | undefined; // A or E: retransmission
  private timerB: TimerHandle | undefined; // B or F: timeout
  private timerD: TimerHandle | undefined; // D, K or M: wait in Completed/Accepted
  private interval: number;
  private readonly reliable: boolean;

  constructor(
    readonly request: SipRequest,
    readonly target: Target,
    private readonly ctx: ClientContext,
    private readonly handlers: ClientHandlers,
    /** The layer's matching key (§17.1.3), its own string. */
    readonly key = '',
  ) {
    super();
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    // its own copy: the request's text goes when the transaction only waits (slim)
    this.branch = ownCopy(request.topVia!.branch!);
    this.reliable = ctx.transport.isReliable(target.protocol);
    this.interval = ctx.timers.T1;
  }

  /** Send the request and arm the timers. */
  start(): void {
    const { clock, timers } = this.ctx;
    this.send(this.request);
    if (!this.reliable) this.timerA = clock.setTimeout(() => this.retransmit(), this.interval);
    // Timer B (INVITE) / Timer F (non-INVITE): 64*T1
    this.timerB = clock.setTimeout(() => this.timeout(), 64 * timers.T1);
  }

  private send(msg: SipRequest): void {
    this.ctx.transport.send(msg, this.target).catch((err: Error) => this.transportError(err));
  }

  private retransmit(): void {
    const { clock, timers } = this.ctx;
    if (this.state === 'calling') {
      // Timer A doubles without cap (§17.1.1.2)
      this.send(this.request);
      this.interval *= 2;
      this.timerA = clock.setTimeout(() => this.retransmit(), this.interval);
    } else if (this.state === 'trying') {
      // Timer E doubles, capped at T2 (§17.1.2.2)
      this.send(this.request);
      this.interval = Math.min(this.interval * 2, timers.T2);
      this.timerA = clock.setTimeout(() => this.retransmit(), this.interval);
    } else if (this.state === 'proceeding' && !this.isInvite) {
      // in Proceeding, Timer E fires every T2
      this.send(this.request);
      this.interval = timers.T2;
      this.timerA = clock.setTimeout(() => this.retransmit(), this.interval);
    }
  }

  private timeout(): void {
    if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
    // Timer B only runs in Calling for INVITE (it is cancelled on a provisional response)
    this.terminate();
    if (this.handlers.onTimeout) this.handlers.onTimeout(this);
    else this.handlers.onResponse?.(synthesize(this.request, 408), this);
  }

  private transportError(err: Error): void {
    if (this.state === 'terminated') return;
    this.terminate();
    if (this.handlers.onTransportError) this.handlers.onTransportError(err, this);
    else this.handlers.onResponse?.(synthesize(this.request, 503), this);
  }

  /** A response matched this transaction (§17.1.3). */
  receive(res: SipResponse): void {
    const { clock, timers } = this.ctx;
    const s = res.status;
    this.lastResponse = res;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          if (this.state === 'calling') {
            clock.clearTimeout(this.timerA);
            clock.clearTimeout(this.timerB);
            this.timerA = this.timerB = undefined;
          } else if (this.state === 'trying' && !this.reliable) {
            // non-INVITE keeps Timer E running, at T2 from now on
          }
          this.state = 'proceeding';
          this.handlers.onResponse?.(res, this);
          return;
        }
        this.clearAll();
        this.ctx.waiting?.(this);
        if (this.isInvite) {
          if (s < 300) {
            // RFC 6026: Accepted, Timer M = 64*T1; 2xx retransmissions go to the TU
            this.state = 'accepted';
            this.timerD = clock.setTimeout(() => this.terminate(), 64 * timers.T1);
          } else {
            this.state = 'completed';
            this.ack = buildAckForNonSuccess(this.request, res);
            this.send(this.ack);
            this.timerD = clock.setTimeout(() => this.terminate(), this.reliable ? 0 : TIMER_D_UNRELIABLE);
          }
        } else {
          this.state = 'completed';
          // Timer K: T4 unreliable, 0 reliable
          this.timerD = clock.setTimeout(() => this.terminate(), this.reliable ? 0 : timers.T4);
        }
        this.handlers.onResponse?.(res, this);
        return;
      case 'accepted':
        // retransmitted 2xx (or a 2xx from another fork): the TU ACKs it
        if (s >= 200 && s < 300) this.handlers.onResponse?.(res, this);
        return;
      case 'completed':
        // retransmitted final response: resend the ACK (INVITE), absorb otherwise
        if (this.isInvite && this.ack && s >= 300) this.send(this.ack);
        return;
      default:
        return;
    }
  }

  /**
   * In Accepted or Completed the transaction only absorbs retransmitted responses (matched by the
   * layer's key; an INVITE resends its ACK's bytes) until Timer D, K or M: the header objects parsed
   * from its request and responses go (they are derived again if read).
   */
  slim(): void {
    this.request.releaseParsed();
    this.lastResponse?.releaseParsed();
  }

  private clearAll(): void {
    const { clock } = this.ctx;
    clock.clearTimeout(this.timerA);
    clock.clearTimeout(this.timerB);
    clock.clearTimeout(this.timerD);
    this.timerA = this.timerB = this.timerD = undefined;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.clearAll();
    this.state = 'terminated';
    this.ctx.ended?.(this);
    this.emit('terminated', this);
  }
}

/**
 * The ACK for a non-2xx final response (§17.1.1.3): Request-URI, Call-ID, From, CSeq number
 * and the single top Via of the INVITE, To of the response, the INVITE's Route headers.
 */
export function buildAckForNonSuccess(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: HeaderField[] = [];
  const add = (name: string, value: string) => headers.push({ name, key: headerKey(name), value, offset: -1 });
  add('Via', invite.topVia!.toString());
  add('Max-Forwards', '70');
  for (const h of invite.headers) if (h.key === 'route') add('Route', h.value);
  add('From', invite.headers.find((h) => h.key === 'from')!.value);
  add('To', res.headers.find((h) => h.key === 'to')!.value);
  add('Call-ID', invite.callId!);
  add('CSeq', `${invite.cseq!.seq} ACK`);
  add('Content-Length', '0');
  return new SipRequest('ACK', invite.uri.clone(), headers);
}

/** A response the transaction layer makes up for the TU (408 on timeout, 503 on transport error). */
export function synthesize(req: SipRequest, status: number): SipResponse {
  const res = createResponse(req, status);
  // nobody answered: keep the To of the request as it was (no made-up tag)
  const to = req.headers.find((h) => h.key === 'to');
  if (to) res.set('To', to.value);
  return res;
}
