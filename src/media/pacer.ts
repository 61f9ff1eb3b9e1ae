/**
 * Fixed-interval ticks (one per audio frame) on an injectable clock. Tick n is due at
 * start + n × interval, so timer lateness never accumulates into drift; a tick that comes late is
 * still delivered with its own number, and the next one is scheduled from the absolute time.
 * When the process stalls for more than `maxLagTicks`, the missed ticks are skipped (counted),
 * rather than sent in a burst the receiver would drop anyway.
 *
 * With a FrameTicker, the pacer has no timer of its own: it ticks on the ticker's shared grid
 * (see ticker.ts), tick 0 on the grid's next point.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { FrameTicker, TickMember } from './ticker.js';

export interface PacerOptions {
  clock: Clock;
  intervalMs: number;
  /** Ticks behind schedule before skipping ahead (default 5). */
  maxLagTicks?: number;
  /** Tick on this shared grid (its clock) instead of a timer per pacer. */
  ticker?: FrameTicker;
}

export class Pacer implements TickMember {
  private timer: TimerHandle | undefined;
  /** On the ticker's grid: the grid index of our tick 0, and a count that changes on start/stop. */
  private joined = false;
  private startK = 0;
  private generation = 0;
  private startAt = 0;
  private nextTick = 0;
  private skippedTicks = 0;
  private readonly maxLag: number;

  constructor(
    private readonly opts: PacerOptions,
    private readonly onTick: (tick: number) => void,
  ) {
    if (!(opts.intervalMs > 0)) throw new RangeError(`pacer interval ${opts.intervalMs} ms must be positive`);
    this.maxLag = opts.maxLagTicks ?? 5;
  }

  get running(): boolean {
    return this.timer !== undefined || this.joined;
  }
  /** Ticks skipped because the process fell too far behind. */
  get skipped(): number {
    return this.skippedTicks;
  }

  /** Start with tick 0 now. Restarting begins a new schedule. */
  start(): void {
    this.stop();
    this.nextTick = 0;
    const ticker = this.opts.ticker;
    if (ticker) {
      this.joined = true;
      this.startK = ticker.join(this.opts.intervalMs, this);
      return;
    }
    this.startAt = this.opts.clock.now();
    this.timer = this.opts.clock.setTimeout(() => this.fire(), 0);
  }

  stop(): void {
    this.generation++;
    if (this.joined) this.opts.ticker!.leave(this.opts.intervalMs, this);
    this.joined = false;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** From the ticker: grid tick `k` is due; deliver our ticks up to it. */
  onGridTick(k: number): void {
    const due = k - this.startK;
    if (!this.joined || due < this.nextTick) return;
    if (due - this.nextTick > this.maxLag) {
      this.skippedTicks += due - this.nextTick;
      this.nextTick = due;
    }
    // a callback that stops or restarts the pacer ends this round
    const generation = this.generation;
    while (this.generation === generation && this.nextTick <= due) this.onTick(this.nextTick++);
  }

  private fire(): void {
    const now = this.opts.clock.now();
    const { intervalMs } = this.opts;
    const due = Math.floor((now - this.startAt) / intervalMs);
    if (due - this.nextTick > this.maxLag) {
      this.skippedTicks += due - this.nextTick;
      this.nextTick = due;
    }
    const tick = this.nextTick++;
    // schedule before the callback, so a callback that stops the pacer wins
    this.timer = this.opts.clock.setTimeout(
      () => this.fire(),
      Math.max(0, this.startAt + this.nextTick * intervalMs - now),
    );
    this.onTick(tick);
  }
}
