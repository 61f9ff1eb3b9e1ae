/**
 * The running session timer (RFC 4028 §10) of one session, on the injectable Clock. After each
 * successful negotiation the session calls `start()`; the refresher is asked to refresh at half
 * the interval (`onRefresh`, the session sends a re-INVITE or UPDATE), and either side gives up at
 * SE - min(32, SE/3) seconds without a refresh (`onExpired`, the session sends BYE). Negotiation
 * itself is in session-timer-negotiation.ts.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { Machine } from './states.js';

export const TimerState = {
  /** No session timer negotiated (yet). */
  Inactive: 'inactive',
  /** Interval running; the refresh (if ours) is not due yet. */
  Running: 'running',
  /** We are the refresher and our refresh request is out. */
  Refreshing: 'refreshing',
  /** No refresh came in time: the session must end (BYE). */
  Expired: 'expired',
  /** The session ended. */
  Stopped: 'stopped',
} as const;
export type TimerState = (typeof TimerState)[keyof typeof TimerState];

const MOVES: Record<TimerState, readonly TimerState[]> = {
  inactive: ['running', 'stopped'],
  running: ['running', 'refreshing', 'expired', 'inactive', 'stopped'],
  refreshing: ['running', 'expired', 'inactive', 'stopped'],
  expired: ['stopped'],
  stopped: [],
};

export interface SessionTimerOptions {
  clock: Clock;
  /** Time for the refresher to send its refresh (RFC 4028 §10: half the interval). */
  onRefresh(): void;
  /** The session expired without refresh: send BYE (RFC 4028 §10). */
  onExpired(): void;
  /** Fraction of the interval after which the refresher refreshes (default 0.5). */
  refreshAt?: number;
}

/** When the side that does not refresh gives up (RFC 4028 §10): SE - min(32, SE/3) seconds. */
export function expiryDelay(intervalSeconds: number): number {
  return (intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000;
}

export class SessionTimer {
  private readonly table = new Machine<TimerState>('session timer', MOVES, TimerState.Inactive);
  private refreshTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private current: { interval: number; refresher: boolean } | undefined;

  constructor(private readonly opts: SessionTimerOptions) {}

  get state(): TimerState {
    return this.table.state;
  }
  /** The negotiated interval (s) and whether we refresh, while running. */
  get session(): { interval: number; refresher: boolean } | undefined {
    return this.current;
  }

  /** A refresh (ours or the peer's) succeeded with this interval: restart both timers. */
  start(intervalSeconds: number, weRefresh: boolean): void {
    if (!(intervalSeconds > 0)) throw new RangeError(`session interval must be positive, not ${intervalSeconds}`);
    this.table.to(TimerState.Running);
    this.clearTimers();
    this.current = { interval: intervalSeconds, refresher: weRefresh };
    const { clock } = this.opts;
    if (weRefresh) {
      this.refreshTimer = clock.setTimeout(
        () => {
          this.refreshTimer = undefined;
          this.table.to(TimerState.Refreshing);
          this.opts.onRefresh();
        },
        intervalSeconds * 1000 * (this.opts.refreshAt ?? 0.5),
      );
    }
    this.expiryTimer = clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.clearTimers();
      this.table.to(TimerState.Expired);
      this.opts.onExpired();
    }, expiryDelay(intervalSeconds));
  }

  /** A 2xx to a session refresh without Session-Expires: no timer any more (RFC 4028 §7.2). */
  disable(): void {
    if (this.state === TimerState.Inactive || this.state === TimerState.Stopped || this.state === TimerState.Expired)
      return;
    this.clearTimers();
    this.current = undefined;
    this.table.to(TimerState.Inactive);
  }

  /** The session ended. Idempotent. */
  stop(): void {
    if (this.state === TimerState.Stopped) return;
    this.clearTimers();
    this.current = undefined;
    this.table.to(TimerState.Stopped);
  }

  private clearTimers(): void {
    this.opts.clock.clearTimeout(this.refreshTimer);
    this.opts.clock.clearTimeout(this.expiryTimer);
    this.refreshTimer = this.expiryTimer = undefined;
  }
}
