/**
 * Fixed-interval ticks (one per audio frame) on an injectable clock. Tick n is due at
 * start + n × interval, so timer lateness never accumulates into drift; a tick that comes late is
 * still delivered with its own number, and the next one is scheduled from the absolute time.
 * When the process stalls for more than `maxLagTicks`, the missed ticks are skipped (counted),
 * rather than sent in a burst the receiver would drop anyway.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export interface PacerOptions {
  clock: Clock;
  intervalMs: number;
  /** Ticks behind schedule before skipping ahead (default 5). */
  maxLagTicks?: number;
}

export class Pacer {
  private timer: TimerHandle | undefined;
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
    return this.timer !== undefined;
  }
  /** Ticks skipped because the process fell too far behind. */
  get skipped(): number {
    return this.skippedTicks;
  }

  /** Start with tick 0 now. Restarting begins a new schedule. */
  start(): void {
    this.stop();
    this.startAt = this.opts.clock.now();
    this.nextTick = 0;
    this.timer = this.opts.clock.setTimeout(() => this.fire(), 0);
  }

  stop(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
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
