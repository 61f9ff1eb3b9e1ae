import type { Clock, TimerHandle } from '../util/clock.js';
import { systemClock } from '../util/clock.js';

/** One registered contact of an address-of-record (RFC 3261 §10.3). */
export interface Binding {
  aor: string;
  /** The Contact URI as registered (url-parameters and escaped headers kept). */
  uri: string;
  /** Contact header parameters other than expires/q (e.g. +sip.instance), as written. */
  params: string;
  /** Absolute expiry on the store's clock (ms). */
  expires: number;
  q: number;
  callId: string;
  cseq: number;
  /** Path header values (RFC 3327), to route requests back through the edge proxies. */
  path: string[];
  /** Where the REGISTER came from (for NAT traversal and connection reuse). */
  source?: { protocol: string; host: string; port: number; connectionId?: string };
}

/** Where bindings are kept. Async, so that a shared store (Redis) can implement it. */
export interface LocationStore {
  get(aor: string): Promise<Binding[]>;
  put(binding: Binding): Promise<void>;
  remove(aor: string, uri: string): Promise<void>;
  removeAll(aor: string): Promise<void>;
  /** Live bindings, highest q first. */
  lookup(aor: string): Promise<Binding[]>;
  close(): void;
}

/** In-memory store with expiry by timer on an injectable clock. */
export class MemoryLocationStore implements LocationStore {
  private readonly map = new Map<string, Map<string, { b: Binding; timer: TimerHandle }>>();
  constructor(private readonly clock: Clock = systemClock) {}

  async get(aor: string): Promise<Binding[]> {
    return [...(this.map.get(aor)?.values() ?? [])].map((e) => e.b);
  }
  async put(b: Binding): Promise<void> {
    let m = this.map.get(b.aor);
    if (!m) this.map.set(b.aor, (m = new Map()));
    const old = m.get(b.uri);
    if (old) this.clock.clearTimeout(old.timer);
    // (timers cannot exceed 2^31-1 ms; bindings are capped far below that anyway)
    const timer = this.clock.setTimeout(
      () => void this.remove(b.aor, b.uri),
      Math.min(0x7fffffff, Math.max(0, b.expires - this.clock.now())),
    );
    m.set(b.uri, { b, timer });
  }
  async remove(aor: string, uri: string): Promise<void> {
    const m = this.map.get(aor);
    const e = m?.get(uri);
    if (!m || !e) return;
    this.clock.clearTimeout(e.timer);
    m.delete(uri);
    if (m.size === 0) this.map.delete(aor);
  }
  async removeAll(aor: string): Promise<void> {
    for (const b of await this.get(aor)) await this.remove(aor, b.uri);
  }
  async lookup(aor: string): Promise<Binding[]> {
    const now = this.clock.now();
    return (await this.get(aor)).filter((b) => b.expires > now).sort((a, b) => b.q - a.q);
  }
  close(): void {
    for (const m of this.map.values()) for (const e of m.values()) this.clock.clearTimeout(e.timer);
    this.map.clear();
  }
}
