import type { Clock, TimerHandle } from '../util/clock.js';
import { systemClock, wallTime } from '../util/clock.js';

/** One registered contact of an address-of-record (RFC 3261 §10.3). */
export interface Binding {
  aor: string;
  /** The Contact URI as registered (url-parameters and escaped headers kept). */
  uri: string;
  /** Contact header parameters other than expires/q (e.g. +sip.instance), as written. */
  params: string;
  /**
   * Absolute expiry, wall-clock epoch ms (Clock.wallNow): meaningful to every process sharing
   * the store, unlike a monotonic time whose origin is per process.
   */
  expires: number;
  q: number;
  callId: string;
  cseq: number;
  /** Path header values (RFC 3327), to route requests back through the edge proxies. */
  path: string[];
  /** Where the REGISTER came from (for NAT traversal and connection reuse). */
  source?: { protocol: string; host: string; port: number; connectionId?: string };
}

/**
 * One REGISTER's changes to an AoR (RFC 3261 §10.3 steps 6–7), applied by the store as one
 * atomic step so that two proxies registering the same AoR cannot lose each other's bindings.
 */
export interface RegisterChange {
  callId: string;
  cseq: number;
  /** `Contact: *` with Expires: 0 (step 6): remove every binding. */
  wildcard?: boolean;
  /** Bindings to add or refresh (by URI). */
  put: Binding[];
  /** URIs of bindings to remove (expires=0, or an old spelling of a refreshed contact). */
  remove: string[];
}

/**
 * `out-of-order`: a binding touched by the change has the same Call-ID and a CSeq at least as
 * high (§10.3 step 7); nothing was applied. Otherwise the live bindings after the change.
 */
export type RegisterOutcome = { ok: true; bindings: Binding[] } | { ok: false; reason: 'out-of-order' };

/** Where bindings are kept. Async, so that a shared store (Redis) can implement it. */
export interface LocationStore {
  /** Live bindings of an AoR, highest q first (expired ones are invisible). */
  lookup(aor: string): Promise<Binding[]>;
  /** Add or replace one binding (same AoR and URI). */
  put(binding: Binding): Promise<void>;
  remove(aor: string, uri: string): Promise<void>;
  removeAll(aor: string): Promise<void>;
  /** Check the Call-ID/CSeq order of every binding `change` touches, then apply it, atomically. */
  register(aor: string, change: RegisterChange): Promise<RegisterOutcome>;
  /** Delete expired bindings now; resolves to how many were deleted. */
  expire(): Promise<number>;
  /** Stop timers; a shared store leaves its connection to its owner. */
  close(): void;
}

/** §10.3 step 7 over one AoR's live bindings: does `change` come out of order? */
export function outOfOrder(live: Iterable<Binding>, change: RegisterChange): boolean {
  const touched = new Set([...change.put.map((b) => b.uri), ...change.remove]);
  for (const b of live) {
    if ((change.wildcard || touched.has(b.uri)) && b.callId === change.callId && change.cseq <= b.cseq) return true;
  }
  return false;
}

/** Live bindings, highest q first. */
export function liveSorted(all: Iterable<Binding>, now: number): Binding[] {
  return [...all].filter((b) => b.expires > now).sort((a, b) => b.q - a.q);
}

/** In-memory store with expiry by timer on an injectable clock: the default, one process only. */
export class MemoryLocationStore implements LocationStore {
  private readonly map = new Map<string, Map<string, { b: Binding; timer: TimerHandle }>>();
  constructor(private readonly clock: Clock = systemClock) {}

  async lookup(aor: string): Promise<Binding[]> {
    return liveSorted(this.all(aor), wallTime(this.clock));
  }
  async put(b: Binding): Promise<void> {
    this.set(b);
  }
  async remove(aor: string, uri: string): Promise<void> {
    this.delete(aor, uri);
  }
  async removeAll(aor: string): Promise<void> {
    for (const b of this.all(aor)) this.delete(aor, b.uri);
  }
  async register(aor: string, change: RegisterChange): Promise<RegisterOutcome> {
    const now = wallTime(this.clock);
    // synchronous from here on: nothing can interleave within this process
    if (outOfOrder(liveSorted(this.all(aor), now), change)) return { ok: false, reason: 'out-of-order' };
    if (change.wildcard) for (const b of this.all(aor)) this.delete(aor, b.uri);
    for (const uri of change.remove) this.delete(aor, uri);
    for (const b of change.put) this.set(b);
    return { ok: true, bindings: liveSorted(this.all(aor), now) };
  }
  async expire(): Promise<number> {
    const now = wallTime(this.clock);
    let n = 0;
    for (const [aor, m] of [...this.map])
      for (const e of [...m.values()])
        if (e.b.expires <= now) {
          this.delete(aor, e.b.uri);
          n++;
        }
    return n;
  }
  close(): void {
    for (const m of this.map.values()) for (const e of m.values()) this.clock.clearTimeout(e.timer);
    this.map.clear();
  }

  private all(aor: string): Binding[] {
    return [...(this.map.get(aor)?.values() ?? [])].map((e) => e.b);
  }
  private set(b: Binding): void {
    let m = this.map.get(b.aor);
    if (!m) this.map.set(b.aor, (m = new Map()));
    const old = m.get(b.uri);
    if (old) this.clock.clearTimeout(old.timer);
    // the timer frees memory; lookup() hides an expired binding even before it fires.
    // (timers cannot exceed 2^31-1 ms; bindings are capped far below that anyway)
    const timer = this.clock.setTimeout(
      () => this.delete(b.aor, b.uri),
      Math.min(0x7fffffff, Math.max(0, b.expires - wallTime(this.clock))),
    );
    m.set(b.uri, { b, timer });
  }
  private delete(aor: string, uri: string): void {
    const m = this.map.get(aor);
    const e = m?.get(uri);
    if (!m || !e) return;
    this.clock.clearTimeout(e.timer);
    m.delete(uri);
    if (m.size === 0) this.map.delete(aor);
  }
}
