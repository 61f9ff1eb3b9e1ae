import { EventEmitter } from 'node:events';
import type { SipMessage } from '../message/index.js';
import type { Inbound, Target, TransportLayer, TransportProtocol } from './types.js';

/** Decides whether the n-th UDP datagram sent through the wrapper (0-based) is lost. */
export type DropRule = (message: SipMessage, index: number) => boolean;

/**
 * A TransportLayer wrapper for tests that loses outgoing UDP datagrams by a rule, to prove that
 * retransmissions (Timers A, E, G and 2xx retransmission) recover from loss. Stream transports
 * are reliable and pass through untouched; inbound UDP messages are relayed unless an inbound
 * rule drops them.
 */
export class LossyTransport extends EventEmitter implements TransportLayer {
  private n = 0;
  /** Datagrams lost so far. */
  dropped = 0;
  /** Datagrams let through so far. */
  passed = 0;
  /** Every lost message, in order (for assertions). */
  readonly lost: SipMessage[] = [];
  /** Inbound UDP datagrams lost so far (the `inbound` rule: a full socket receive buffer). */
  droppedIn = 0;
  private nIn = 0;
  private readonly relay = (m: Inbound) => {
    if (m.protocol === 'udp' && this.inbound?.(m.message, this.nIn++)) {
      this.droppedIn++;
      this.lost.push(m.message);
      return;
    }
    this.emit('message', m);
  };

  /**
   * `rule` decides the fate of outgoing UDP datagrams; `inbound`, when given, of received ones
   * (the kernel dropping datagrams at a full socket, as under load).
   */
  constructor(
    readonly inner: TransportLayer,
    private readonly rule: DropRule,
    private readonly inbound?: DropRule,
  ) {
    super();
    inner.on('message', this.relay);
  }
  send(message: SipMessage, target: Target, opts?: { connectionId?: string }): Promise<void> {
    if (target.protocol === 'udp') {
      if (this.rule(message, this.n++)) {
        this.dropped++;
        this.lost.push(message);
        return Promise.resolve(); // lost on the wire: the sender cannot tell
      }
      this.passed++;
    }
    return this.inner.send(message, target, opts);
  }
  isReliable(p: TransportProtocol): boolean {
    return this.inner.isReliable(p);
  }
  viaFor(p: TransportProtocol): { host: string; port: number } {
    return this.inner.viaFor(p);
  }
  /** The inner transport's bound address, when it has one (a proxy learns its own URIs from it). */
  address(p: TransportProtocol): { host: string; port: number } | undefined {
    const inner = this.inner as TransportLayer & { address?(p: TransportProtocol): { host: string; port: number } };
    return inner.address?.(p);
  }
  /** Stop relaying the inner transport's messages. */
  detach(): void {
    this.inner.off('message', this.relay);
  }
}

/** Drop the first copy of every distinct message (same bytes): every exchange needs a retransmission. */
export function dropFirstCopies(): DropRule {
  const seen = new Set<string>();
  return (m) => {
    const key = m.toBuffer().toString('latin1');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drop a fraction (0..1; 0.3 = 30 %) of datagrams at random with a fixed seed, so a failing run
 * can be replayed exactly.
 */
export function dropRandomly(fraction: number, seed: number): DropRule {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`drop fraction must be within 0..1, got ${fraction}`);
  const next = seededRandom(seed);
  return () => next() < fraction;
}
