/**
 * One timer for many pacers. Every media leg ticks each ptime twice (send and playout); with a
 * timer each, 500 legs arm 50,000 timers a second, and the timer machinery was a visible share of
 * a leg's CPU (bench/media profile). A FrameTicker keeps one timer per interval for all the pacers
 * that share it (one ticker per user agent, like the PortAllocator) and calls them in turn on a
 * common grid: tick k of an interval is due at origin + k × interval, scheduled from absolute time
 * so that lateness never accumulates into drift.
 *
 * A pacer joining a running grid starts on its next point, so its first tick waits at most one
 * interval; after that its ticks come with every grid tick.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** What a FrameTicker drives (a Pacer). */
export interface TickMember {
  /** Grid tick `k` (counted from the grid's origin) is being delivered. */
  onGridTick(k: number): void;
}

class TickGrid {
  private readonly members = new Set<TickMember>();
  private origin = 0;
  /** Index of the grid tick the pending timer delivers. */
  private nextK = 0;
  private timer: TimerHandle | undefined;
  private firing = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** Add a member; returns the index of the first grid tick it will see. */
  join(member: TickMember): number {
    // idle: a new grid starts now (while firing, the loop's end schedules the next tick)
    if (!this.timer && !this.firing) {
      this.origin = this.clock.now();
      this.nextK = 0;
      this.timer = this.clock.setTimeout(() => this.fire(), 0);
    }
    this.members.add(member);
    return this.nextK;
  }

  leave(member: TickMember): void {
    this.members.delete(member);
    if (this.members.size === 0 && this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // a timer that fires late delivers the latest due tick; each member catches up on its own
    const k = Math.max(this.nextK, Math.floor((now - this.origin) / this.intervalMs));
    this.nextK = k + 1;
    this.firing = true;
    try {
      // a member that joins during the loop starts at nextK: the Set visits it, and it waits
      for (const m of this.members) m.onGridTick(k);
    } finally {
      this.firing = false;
    }
    if (this.members.size === 0) return;
    const at = this.origin + this.nextK * this.intervalMs;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }
}

export class FrameTicker {
  private readonly grids = new Map<number, TickGrid>();

  constructor(readonly clock: Clock) {}

  /** Pacers currently driven (all intervals). */
  get size(): number {
    let n = 0;
    for (const g of this.grids.values()) n += g.size;
    return n;
  }

  /** Drive `member` every `intervalMs` from the next grid tick on; returns that tick's index. */
  join(intervalMs: number, member: TickMember): number {
    let grid = this.grids.get(intervalMs);
    if (!grid) {
      grid = new TickGrid(this.clock, intervalMs);
      this.grids.set(intervalMs, grid);
    }
    return grid.join(member);
  }

  leave(intervalMs: number, member: TickMember): void {
    this.grids.get(intervalMs)?.leave(member);
  }
}
