/**
 * Reliable provisional responses (RFC 3262) in both roles, as machines that know nothing of
 * transports or sessions:
 * - ReliableProvisionalSender (UAS): numbers each reliable 1xx (RSeq), keeps one unacknowledged
 *   at a time, retransmits it with T1 doubling until its PRACK, gives up after 64*T1 (the
 *   caller then rejects the INVITE with a 5xx, §3), and holds back a 2xx while a 1xx that
 *   carried SDP is unacknowledged.
 * - ReliableProvisionalReceiver (UAC): which 1xx get a PRACK (§4: in RSeq order, once), with the
 *   RAck to put in it, and what role the SDP in each plays (RFC 3262 §5, RFC 3261 §13.2.1).
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { RSEQ_MAX, formatRAck, initialRSeq, isReliableProvisional, parseRAck, parseRSeq } from './rel100.js';
import { Machine } from './states.js';

/** The role of the SDP in a reliable 1xx or its PRACK (RFC 3262 §5). */
export type SdpRole = 'offer' | 'answer' | 'none';

/** A reliable 1xx went unacknowledged for 64*T1 (RFC 3262 §3): the INVITE should be rejected 5xx. */
export class PrackTimeoutError extends Error {
  override name = 'PrackTimeoutError';
  constructor(
    readonly status: number,
    readonly rseq: number,
  ) {
    super(`reliable ${status} (RSeq ${rseq}) got no PRACK within 64*T1`);
  }
}

/** The sender stopped (final response sent, or gave up) before this 1xx was acknowledged. */
export class ProvisionalAbandonedError extends Error {
  override name = 'ProvisionalAbandonedError';
  constructor(readonly status: number) {
    super(`reliable ${status} abandoned: the INVITE got its final response first`);
  }
}

export const SenderState = {
  /** No reliable 1xx awaits its PRACK. */
  Idle: 'idle',
  /** One reliable 1xx is out and retransmitted until its PRACK (§3: one at a time). */
  AwaitingPrack: 'awaiting-prack',
  /** A final response went out, or a 1xx timed out: nothing more is sent. */
  Finished: 'finished',
} as const;
export type SenderState = (typeof SenderState)[keyof typeof SenderState];

const SENDER_MOVES: Record<SenderState, readonly SenderState[]> = {
  idle: ['awaiting-prack', 'finished'],
  'awaiting-prack': ['idle', 'finished'],
  finished: [],
};

export interface ReliableSenderOptions {
  clock: Clock;
  /** RFC 3261 T1 in ms (default 500): first retransmission interval; gives up at 64*T1. */
  T1?: number;
  /** Puts a response on the wire (first copy and retransmissions). */
  send(res: SipResponse): void;
  /** A reliable 1xx got no PRACK within 64*T1: reject the INVITE with a 5xx (RFC 3262 §3). */
  onTimeout?(err: PrackTimeoutError): void;
  /** First RSeq (default random in 1..2^31-1). */
  firstRSeq?: number;
  /** Reliable 1xx waiting behind the outstanding one (default 8); more throw RangeError. */
  maxQueued?: number;
}

interface Outgoing {
  res: SipResponse;
  rseq: number;
  sdp: SdpRole;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** What an incoming PRACK matched (RFC 3262 §3). */
export type PrackMatch =
  | { status: 481 }
  | {
      status: 200;
      rseq: number;
      /** What the PRACK's SDP is: the answer to an offer in the 1xx, a new offer, or nothing. */
      sdp: SdpRole;
    };

/** UAS side of RFC 3262 for one INVITE server transaction. */
export class ReliableProvisionalSender {
  private readonly table = new Machine<SenderState>('reliable 1xx sender', SENDER_MOVES, SenderState.Idle);
  private readonly T1: number;
  private nextRSeq: number;
  private outstanding: Outgoing | undefined;
  private readonly queue: Outgoing[] = [];
  private retransmit: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private readonly finalWaiters: (() => void)[] = [];

  constructor(private readonly opts: ReliableSenderOptions) {
    this.T1 = opts.T1 ?? 500;
    this.nextRSeq = opts.firstRSeq ?? initialRSeq();
  }

  get state(): SenderState {
    return this.table.state;
  }
  /** RSeq of the 1xx awaiting its PRACK, if any. */
  get pendingRSeq(): number | undefined {
    return this.outstanding?.rseq;
  }

  /**
   * Send `res` (101–199) reliably: Require: 100rel and the next RSeq are added. Resolves when its
   * PRACK arrives; rejects with PrackTimeoutError after 64*T1, or ProvisionalAbandonedError
   * when the final response goes first. While another reliable 1xx is unacknowledged, this one
   * waits its turn (RFC 3262 §3).
   */
  sendReliable(res: SipResponse, sdp: SdpRole = res.body.length > 0 ? 'answer' : 'none'): Promise<void> {
    if (res.status <= 100 || res.status >= 200)
      throw new RangeError(`only 101–199 can be sent reliably (RFC 3262 §3), not ${res.status}`);
    if (this.state === SenderState.Finished) return Promise.reject(new ProvisionalAbandonedError(res.status));
    if (this.queue.length >= (this.opts.maxQueued ?? 8))
      throw new RangeError('too many reliable provisional responses waiting for PRACK');
    if (this.nextRSeq > RSEQ_MAX) throw new RangeError('RSeq space exhausted');
    const rseq = this.nextRSeq++;
    const require = res.get('Require');
    res.set('Require', require ? `${require}, 100rel` : '100rel');
    res.set('RSeq', String(rseq));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ res, rseq, sdp, resolve, reject });
      if (this.state === SenderState.Idle) this.sendNext();
    });
  }

  /** Whether a final response with this status may go now (§3: no 2xx before the PRACK of a 1xx with SDP). */
  finalAllowed(status: number): boolean {
    if (status < 200 || status >= 300) return true;
    const blocks = (o: Outgoing | undefined) => o !== undefined && o.sdp !== 'none';
    return !blocks(this.outstanding) && !this.queue.some(blocks);
  }

  /** Resolves once a 2xx may be sent (immediately when nothing blocks it). */
  whenFinalAllowed(): Promise<void> {
    if (this.finalAllowed(200) || this.state === SenderState.Finished) return Promise.resolve();
    return new Promise((r) => this.finalWaiters.push(r));
  }

  /** A PRACK for our INVITE (RFC 3262 §3): 200 when it acknowledges the outstanding 1xx, else 481. */
  onPrack(prack: SipRequest): PrackMatch {
    const rack = parseRAck(prack.get('RAck'));
    const o = this.outstanding;
    if (!rack || !o || rack.method !== 'INVITE') return { status: 481 };
    if (rack.rseq !== o.rseq || rack.cseq !== o.res.cseq?.seq) return { status: 481 };
    this.stopTimers();
    this.outstanding = undefined;
    // an offer in the 1xx is answered in the PRACK; otherwise SDP in the PRACK is a new offer (§5)
    const sdp: SdpRole = o.sdp === 'offer' ? 'answer' : prack.body.length > 0 ? 'offer' : 'none';
    if (this.state === SenderState.AwaitingPrack) this.table.to(SenderState.Idle);
    o.resolve();
    if (this.state === SenderState.Idle) this.sendNext();
    this.wakeFinalWaiters();
    return { status: 200, rseq: o.rseq, sdp };
  }

  /**
   * The final response was sent: stop retransmitting (§3 SHOULD NOT continue). Unacknowledged
   * and queued 1xx reject with ProvisionalAbandonedError.
   */
  finish(): void {
    if (this.state === SenderState.Finished) return;
    this.table.to(SenderState.Finished);
    this.stopTimers();
    const dropped = [...(this.outstanding ? [this.outstanding] : []), ...this.queue.splice(0)];
    this.outstanding = undefined;
    for (const o of dropped) o.reject(new ProvisionalAbandonedError(o.res.status));
    this.wakeFinalWaiters();
  }

  private sendNext(): void {
    const next = this.queue.shift();
    if (!next) return;
    this.table.to(SenderState.AwaitingPrack);
    this.outstanding = next;
    this.opts.send(next.res);
    // §3: retransmit at T1, then doubling, whatever the transport (PRACK is end to end)
    let interval = this.T1;
    const again = () => {
      this.opts.send(next.res);
      interval *= 2;
      this.retransmit = this.opts.clock.setTimeout(again, interval);
    };
    this.retransmit = this.opts.clock.setTimeout(again, interval);
    this.deadline = this.opts.clock.setTimeout(() => {
      const err = new PrackTimeoutError(next.res.status, next.rseq);
      this.outstanding = undefined;
      this.finish();
      next.reject(err);
      this.opts.onTimeout?.(err);
    }, 64 * this.T1);
  }

  private stopTimers(): void {
    this.opts.clock.clearTimeout(this.retransmit);
    this.opts.clock.clearTimeout(this.deadline);
    this.retransmit = this.deadline = undefined;
  }

  private wakeFinalWaiters(): void {
    if (!this.finalAllowed(200) && this.state !== SenderState.Finished) return;
    for (const w of this.finalWaiters.splice(0)) w();
  }
}

/** What the UAC does with a provisional response (RFC 3262 §4). */
export type ProvisionalVerdict =
  | { kind: 'unreliable' }
  /** Already acknowledged (a retransmission): no new PRACK. */
  | { kind: 'retransmission' }
  /** RSeq not one above the last: neither acknowledged nor processed (§4, erratum 4604). */
  | { kind: 'out-of-order' }
  /** Require: 100rel without a usable RSeq: dropped. */
  | { kind: 'invalid' }
  /** Send a PRACK with this RAck; `sdp` says what the 1xx's SDP is (an offer must be answered in the PRACK). */
  | { kind: 'prack'; rack: string; rseq: number; sdp: SdpRole };

/** Per early dialog (To tag): the last RSeq and whether the SDP exchange of the INVITE is done. */
interface EarlyDialogTrack {
  lastRSeq: number;
  sdpDone: boolean;
}

/** UAC side of RFC 3262 for one INVITE client transaction (all its early dialogs). */
export class ReliableProvisionalReceiver {
  private readonly dialogs = new Map<string, EarlyDialogTrack>();

  /**
   * @param inviteHadOffer the INVITE carried an offer (then SDP in a 1xx is the answer), else the
   *   first SDP in a reliable 1xx is an offer to answer in the PRACK (RFC 3262 §5).
   * @param maxEarlyDialogs forks tracked at most (a peer controls how many To tags arrive).
   */
  constructor(
    private readonly inviteHadOffer: boolean,
    private readonly maxEarlyDialogs = 16,
  ) {}

  onProvisional(res: SipResponse): ProvisionalVerdict {
    if (!isReliableProvisional(res)) return { kind: 'unreliable' };
    const rseq = parseRSeq(res.get('RSeq'));
    const cseq = res.cseq;
    const tag = res.to?.tag;
    if (rseq === undefined || !cseq || !tag) return { kind: 'invalid' };
    let track = this.dialogs.get(tag);
    if (track) {
      if (rseq <= track.lastRSeq) return { kind: 'retransmission' };
      if (rseq !== track.lastRSeq + 1) return { kind: 'out-of-order' };
      track.lastRSeq = rseq;
    } else {
      if (this.dialogs.size >= this.maxEarlyDialogs) return { kind: 'invalid' };
      track = { lastRSeq: rseq, sdpDone: false };
      this.dialogs.set(tag, track);
    }
    let sdp: SdpRole = 'none';
    // RFC 3261 §13.2.1 / RFC 3262 §5: only the first SDP of the early dialog plays the INVITE's exchange
    if (res.body.length > 0 && !track.sdpDone) {
      sdp = this.inviteHadOffer ? 'answer' : 'offer';
      track.sdpDone = true;
    }
    return { kind: 'prack', rack: formatRAck({ rseq, cseq: cseq.seq, method: cseq.method }), rseq, sdp };
  }

  /** Whether the INVITE's offer/answer completed in this early dialog. */
  sdpDone(toTag: string): boolean {
    return this.dialogs.get(toTag)?.sdpDone ?? false;
  }
}
