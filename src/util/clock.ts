/**
 * Time source for every protocol timer (RFC 3261 §17 timers, registration refresh, nonce
 * expiry). Production uses the system clock; tests inject FakeClock and advance time by hand,
 * so a 32 s Timer B runs in microseconds.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds, monotonic within one clock. */
  now(): number;
  /**
   * Wall-clock time in epoch milliseconds: for deadlines shared with other processes (location
   * bindings and nonces in a shared store), which a per-process monotonic origin cannot express.
   * Optional: read it through wallTime(), which falls back to Date.now().
   */
  wallNow?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // protocol timers must not keep a CLI or test process alive on their own
    t.unref?.();
    // a Node timer converts to its own unique id, so no counter is shared between clocks
    return { id: Number(t), t } as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout((handle as unknown as { t: NodeJS.Timeout }).t);
  },
};

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** Deterministic clock for tests: timers fire only inside advance(), in time order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  /** `epoch`: the wall-clock time (epoch ms) at fake time 0; wallNow() moves with advance(). */
  constructor(private readonly epoch = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.epoch + this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const seq = this.seq++;
    const timer = { id: seq, at: this.t + Math.max(0, ms), seq, fn };
    this.timers.push(timer);
    return { id: timer.id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((x) => x.id !== handle.id);
  }
  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }
  /** Move time forward by `ms`, firing every timer due on the way (including ones they set). */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const x of this.timers)
        if (x.at <= target && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = target;
  }
  /** Advance to the next timer and fire it (and any due at the same instant); returns the new time. */
  step(): number {
    if (this.timers.length === 0) return this.t;
    const at = Math.min(...this.timers.map((x) => x.at));
    this.advance(at - this.t);
    return this.t;
  }
}

/** Wall-clock epoch ms from `clock` (Date.now() for a clock that only keeps monotonic time). */
export function wallTime(clock: Clock): number {
  return clock.wallNow ? clock.wallNow() : Date.now();
}
