/**
 * The serial queue of a session's own offer-bearing in-dialog requests (re-INVITE, UPDATE):
 * RFC 3261 §14.1 allows one INVITE transaction at a time in a dialog, so a second hold waits for
 * the first by chaining on its promise (no polling). Glare is handled here: a 491 puts the job
 * to sleep for the §14.1 delay on the Clock (a 500 with Retry-After for the delay the peer named),
 * then it is tried again, still at the head.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { CancelledError } from './errors.js';

/** RFC 3261 §14.1: after 491, retry in 2.1–4 s if we own the Call-ID, 0–2 s if not. */
export function glareDelay(ownsCallId: boolean, random = Math.random): number {
  return ownsCallId ? 2100 + Math.floor(random() * 1900) : Math.floor(random() * 2000);
}

export interface RequestQueueOptions {
  clock: Clock;
  /** The §14.1 delay before a retry after 491 (ms). */
  retryDelay: () => number;
  /** How many times a job is retried after 491 before its 491 is returned (default 3). */
  maxGlareRetries?: number;
  /** Told each time a job goes to sleep before a retry (ms). */
  onRetry?: (delay: number) => void;
}

/** One attempt's outcome: `glare` asks for a retry after the delay (`delayMs` when the peer named one). */
export type Attempt<T> = { glare: true; value: T; delayMs?: number } | { glare: false; value: T };

export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closed = false;
  private readonly sleepers = new Map<TimerHandle, () => void>();

  constructor(private readonly opts: RequestQueueOptions) {}

  /** Jobs queued or running. */
  get length(): number {
    return this.waiting;
  }

  /**
   * Run `attempt` after every job queued before it has settled; retry it after the §14.1 delay
   * while it reports glare (up to maxGlareRetries). Resolves with the last attempt's value.
   */
  enqueue<T>(attempt: () => Promise<Attempt<T>>): Promise<T> {
    this.waiting++;
    const run = async (): Promise<T> => {
      for (let tries = 0; ; tries++) {
        if (this.closed) throw new CancelledError('queued request (session ended)');
        const r = await attempt();
        if (!r.glare || tries >= (this.opts.maxGlareRetries ?? 3)) return r.value;
        const delay = r.delayMs ?? this.opts.retryDelay();
        this.opts.onRetry?.(delay);
        await this.sleep(delay);
      }
    };
    const result = this.tail.then(run).finally(() => this.waiting--);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.opts.clock.setTimeout(() => {
        this.sleepers.delete(h);
        resolve();
      }, ms);
      this.sleepers.set(h, resolve);
    });
  }

  /** The session ended: jobs not yet started reject with CancelledError; a sleeping retry wakes to do so. */
  close(): void {
    this.closed = true;
    for (const [h, wake] of this.sleepers) {
      this.opts.clock.clearTimeout(h);
      wake();
    }
    this.sleepers.clear();
  }
}
