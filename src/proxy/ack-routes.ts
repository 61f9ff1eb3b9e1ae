/**
 * Where the 2xx of an INVITE came from, kept for its ACK. The ACK for a 2xx is forwarded
 * statelessly (RFC 3261 §16.11): it has no transaction to fail over with, and resolving its next
 * hop again (RFC 3263) would start at the first destination, the one the INVITE may have failed
 * over from. Sending it to the destination that answered avoids a second failure.
 */
import { ownCopy } from '../message/index.js';
import type { Target } from '../transport/index.js';
import type { Clock } from '../util/clock.js';

export interface AckRoutesOptions {
  /** ms an entry is kept: 64*T1, as long as the UAS retransmits its 2xx (§13.3.1.4). */
  ttl?: number;
  /** Entries kept at most (the oldest go first). */
  max?: number;
}

export class AckRoutes {
  private readonly map = new Map<string, { hop: Target; at: number }>();
  private readonly ttl: number;
  private readonly max: number;

  constructor(
    private readonly clock: Clock,
    opts: AckRoutesOptions = {},
  ) {
    this.ttl = opts.ttl ?? 32_000;
    this.max = opts.max ?? 10_000;
  }

  get size(): number {
    return this.map.size;
  }

  /** The 2xx to the INVITE `callId`/`cseq` with To-tag `toTag` came from `hop`. */
  remember(callId: string, cseq: number, toTag: string, hop: Target): void {
    const now = this.clock.now();
    // entries are in time order: drop the expired ones, and the oldest when full
    for (const [k, v] of this.map) {
      if (now - v.at < this.ttl && this.map.size < this.max) break;
      this.map.delete(k);
    }
    // kept for 32 s: its own string, not a view of the INVITE's text
    this.map.set(ownCopy(`${callId}\n${cseq}\n${toTag}`), { hop, at: now });
  }

  /** The destination that answered the INVITE this ACK acknowledges, if known. */
  find(callId: string, cseq: number, toTag: string): Target | undefined {
    const e = this.map.get(`${callId}\n${cseq}\n${toTag}`);
    return e && this.clock.now() - e.at < this.ttl ? e.hop : undefined;
  }
}

/** `hops` with `first` moved to the front when it is one of them (same protocol, host and port). */
export function preferHop(hops: Target[], first: Target | undefined): Target[] {
  if (!first) return hops;
  const i = hops.findIndex((h) => h.protocol === first.protocol && h.host === first.host && h.port === first.port);
  return i <= 0 ? hops : [hops[i]!, ...hops.slice(0, i), ...hops.slice(i + 1)];
}
