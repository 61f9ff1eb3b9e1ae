import { EventEmitter } from 'node:events';
import { createResponse, type SipRequest, type SipResponse } from '../message/index.js';
import type { Inbound, Target, TransportLayer, TransportProtocol } from '../transport/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TRYING_DELAY, type TimerConfig } from './timers.js';

export type ServerState = 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export interface ServerContext {
  transport: TransportLayer;
  clock: Clock;
  timers: TimerConfig;
  /** Called when the transaction cannot deliver or times out (Timer H), for the TU. */
  onFailure?(tx: ServerTransaction, why: 'timeout' | 'transport', error?: Error): void;
  /** It has entered a state where it only waits (Accepted, Completed, Confirmed): see slim(). */
  waiting?(tx: ServerTransaction): void;
  /** It has terminated (called before the 'terminated' event): the layer forgets it. */
  ended?(tx: ServerTransaction): void;
}

/**
 * INVITE and non-INVITE server transactions (RFC 3261 §17.2.1, §17.2.2, with the RFC 6026
 * Accepted state). Timers G/H/I/L (INVITE), J (non-INVITE), and the 200 ms 100 Trying.
 */
export class ServerTransaction extends EventEmitter {
  state: ServerState;
  readonly isInvite: boolean;
  lastResponse: SipResponse | undefined;
  private timerG: TimerHandle | undefined;
  private timerH: TimerHandle | undefined;
  private timerEnd: TimerHandle | undefined; // I, J or L
  private timerTrying: TimerHandle | undefined;
  private interval: number;
  private readonly reliable: boolean;
  /** Where responses go (§18.2.2), computed once from the request's source and top Via. */
  readonly responseTarget: Target;
  readonly connectionId: string | undefined;

  constructor(
    readonly request: SipRequest,
    readonly inbound: Pick<Inbound, 'protocol' | 'remote' | 'connectionId'>,
    private readonly ctx: ServerContext,
    /** The layer's matching key (§17.2.3), its own string. */
    readonly key = '',
  ) {
    super();
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.reliable = ctx.transport.isReliable(inbound.protocol);
    this.interval = ctx.timers.T1;
    this.responseTarget = responseTarget(request, inbound);
    this.connectionId = inbound.connectionId;
    // §17.2.1: 100 Trying unless the TU answers within 200 ms
    if (this.isInvite) this.timerTrying = ctx.clock.setTimeout(() => this.autoTrying(), TRYING_DELAY);
  }

  get method(): string {
    return this.request.method;
  }

  private autoTrying(): void {
    this.timerTrying = undefined;
    if (this.state === 'proceeding' && !this.lastResponse) this.respond(createResponse(this.request, 100));
  }

  private send(res: SipResponse): void {
    this.ctx.transport.send(res, this.responseTarget, { connectionId: this.connectionId }).catch((err: Error) => {
      // §17.2.4: try the next address (the Via sent-by) once before giving up
      const alt = viaTarget(this.request, this.inbound.protocol);
      if (alt && (alt.host !== this.responseTarget.host || alt.port !== this.responseTarget.port)) {
        this.ctx.transport.send(res, alt).catch((e: Error) => this.fail('transport', e));
      } else this.fail('transport', err);
    });
  }

  /** The TU's response. Responses after a final one are ignored (except 2xx in Accepted, RFC 6026). */
  respond(res: SipResponse): void {
    const { clock, timers } = this.ctx;
    const s = res.status;
    if (this.timerTrying && s >= 100) {
      clock.clearTimeout(this.timerTrying);
      this.timerTrying = undefined;
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.lastResponse = res;
        this.send(res);
        // for observers (metrics): every response the TU sends, once
        this.emit('response', res);
        if (s < 200) {
          this.state = 'proceeding';
          return;
        }
        if (this.isInvite) {
          this.ctx.waiting?.(this);
          if (s < 300) {
            // RFC 6026: Accepted; the TU retransmits the 2xx until the ACK (§13.3.1.4)
            this.state = 'accepted';
            this.timerEnd = clock.setTimeout(() => this.terminate(), 64 * timers.T1);
          } else {
            this.state = 'completed';
            if (!this.reliable) this.timerG = clock.setTimeout(() => this.retransmitFinal(), this.interval);
            this.timerH = clock.setTimeout(() => {
              this.terminate();
              this.ctx.onFailure?.(this, 'timeout');
            }, 64 * timers.T1);
          }
        } else {
          this.state = 'completed';
          this.ctx.waiting?.(this);
          // Timer J: 64*T1 unreliable, 0 reliable
          this.timerEnd = clock.setTimeout(() => this.terminate(), this.reliable ? 0 : 64 * timers.T1);
        }
        return;
      case 'accepted':
        if (s >= 200 && s < 300) {
          this.lastResponse = res;
          this.send(res);
          this.emit('response', res);
        }
        return;
      default:
        return;
    }
  }

  private retransmitFinal(): void {
    if (this.state !== 'completed' || !this.lastResponse) return;
    this.send(this.lastResponse);
    // Timer G doubles, capped at T2 (§17.2.1)
    this.interval = Math.min(this.interval * 2, this.ctx.timers.T2);
    this.timerG = this.ctx.clock.setTimeout(() => this.retransmitFinal(), this.interval);
  }

  /** A retransmission of the request: resend the last response (§17.2.1, §17.2.2). */
  receiveRetransmission(): void {
    if (this.lastResponse && (this.state === 'proceeding' || this.state === 'completed')) this.send(this.lastResponse);
  }

  /**
   * The TU matched the ACK of our 2xx (§13.3.1.4): it retransmits the 2xx no more, and in Accepted a
   * retransmitted INVITE is only absorbed (RFC 6026 §8.7), so the 2xx is not kept until Timer L.
   */
  acknowledged(): void {
    if (this.state !== 'accepted') return;
    this.lastResponse = undefined;
    // the INVITE outlives us in its call, read rarely from now on: its parsed headers go too
    this.request.releaseParsed();
  }

  /**
   * In Accepted, Completed or Confirmed the transaction only matches retransmissions (by the
   * layer's key) and resends its last response's bytes (§17.2.1, §17.2.2) for up to 64*T1: the
   * header objects parsed from its request and response go (they are derived again if read).
   * Called by the layer once the TU is done with the message that led here (see layer.ts).
   */
  slim(): void {
    this.request.releaseParsed();
    this.lastResponse?.releaseParsed();
  }

  /** An ACK matching this INVITE transaction (non-2xx final): Completed → Confirmed, Timer I. */
  receiveAck(): boolean {
    const { clock, timers } = this.ctx;
    if (this.state !== 'completed') return false;
    clock.clearTimeout(this.timerG);
    clock.clearTimeout(this.timerH);
    this.timerG = this.timerH = undefined;
    this.state = 'confirmed';
    this.timerEnd = clock.setTimeout(() => this.terminate(), this.reliable ? 0 : timers.T4);
    return true;
  }

  private fail(why: 'transport' | 'timeout', err?: Error): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.ctx.onFailure?.(this, why, err);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    const { clock } = this.ctx;
    for (const t of [this.timerG, this.timerH, this.timerEnd, this.timerTrying]) clock.clearTimeout(t);
    this.timerG = this.timerH = this.timerEnd = this.timerTrying = undefined;
    this.state = 'terminated';
    this.ctx.ended?.(this);
    this.emit('terminated', this);
  }
}

/**
 * RFC 3261 §18.2.2 with RFC 3581 §4: reliable → the connection it came on (the transport
 * reuses it by connectionId); maddr → there; otherwise the source address (`received`) and,
 * when rport was asked for, the source port; else the Via port.
 */
export function responseTarget(
  req: SipRequest,
  inbound: Pick<Inbound, 'protocol' | 'remote' | 'connectionId'>,
): Target {
  const via = req.topVia;
  const protocol = inbound.protocol;
  if (!via) return { protocol, host: inbound.remote.host, port: inbound.remote.port };
  if (protocol !== 'udp') return { protocol, host: inbound.remote.host, port: inbound.remote.port };
  if (via.maddr) return { protocol, host: via.maddr, port: via.port ?? 5060 };
  const host = (via.received ?? inbound.remote.host).replace(/^\[|\]$/g, '');
  const rport = via.rport;
  const port = rport === undefined ? (via.port ?? 5060) : rport === true ? inbound.remote.port : rport;
  return { protocol, host, port };
}

function viaTarget(req: SipRequest, protocol: TransportProtocol): Target | undefined {
  const via = req.topVia;
  if (!via) return undefined;
  return { protocol, host: via.hostname, port: via.port ?? (protocol === 'tls' ? 5061 : 5060) };
}
