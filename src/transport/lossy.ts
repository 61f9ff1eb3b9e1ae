import { EventEmitter } from 'node:events';
import type { SipMessage } from '../message/index.js';
import type { Inbound, Target, TransportLayer, TransportProtocol } from './types.js';

/** Decides whether the n-th datagram sent (0-based) is lost. */
export type DropRule = (message: SipMessage, index: number) => boolean;

/**
 * A TransportLayer wrapper for tests that loses outgoing UDP datagrams by a rule, to prove that
 * retransmissions (Timers A, E, G and 2xx retransmission) recover from loss.
 */
export class LossyTransport extends EventEmitter implements TransportLayer {
  private n = 0;
  dropped = 0;
  private readonly relay = (m: Inbound) => this.emit('message', m);

  constructor(
    private readonly inner: TransportLayer,
    private readonly rule: DropRule,
  ) {
    super();
    inner.on('message', this.relay);
  }
  send(message: SipMessage, target: Target, opts?: { connectionId?: string }): Promise<void> {
    if (target.protocol === 'udp' && this.rule(message, this.n++)) {
      this.dropped++;
      return Promise.resolve(); // lost on the wire: the sender cannot tell
    }
    return this.inner.send(message, target, opts);
  }
  isReliable(p: TransportProtocol): boolean {
    return this.inner.isReliable(p);
  }
  viaFor(p: TransportProtocol): { host: string; port: number } {
    return this.inner.viaFor(p);
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

/** Drop a fraction of datagrams with a seeded PRNG (mulberry32), so a failing run can be replayed. */
export function dropRandomly(fraction: number, seed: number): DropRule {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => next() < fraction;
}
