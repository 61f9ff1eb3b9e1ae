/**
 * Waiting in tests: on an event or a promise, with a bounded timeout as the failure guard (never a
 * sleep that hopes something has happened). The guard timer is cleared, so it never holds a file open.
 */
import type { EventEmitter } from 'node:events';
import { parseMessage, type SipMessage, type SipRequest } from '../../src/message/index.js';
import type { TraceEntry, TraceRecorder } from '../../src/trace/index.js';

/** Resolves with `p`, or rejects naming `what` when it has not settled within `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The arguments of the next `event` on `em`, or a rejection after `timeoutMs`. */
export function waitFor<T extends unknown[] = unknown[]>(
  em: EventEmitter,
  event: string,
  { timeoutMs = 8000 }: { timeoutMs?: number } = {},
): Promise<T> {
  let on: ((...args: unknown[]) => void) | undefined;
  const got = new Promise<T>((resolve) => {
    on = (...args: unknown[]) => resolve(args as T);
    em.once(event, on);
  });
  return within(got, timeoutMs, `waiting for "${event}"`).finally(() => em.off(event, on!));
}

/** Whether `m` is a request of `method`. */
export const isMethod = (m: SipMessage, method: string): boolean => m.isRequest && (m as SipRequest).method === method;

/**
 * The first trace entry at index `from` or later that matches `pred`, already recorded ones included.
 * A tap records an incoming message before the stack handles it: this resolves after that I/O turn.
 */
export function recorded(
  rec: TraceRecorder,
  pred: (e: TraceEntry, m: SipMessage) => boolean,
  from = 0,
  timeoutMs = 8000,
): Promise<SipMessage> {
  const match = (e: TraceEntry): SipMessage | undefined => {
    const m = parseMessage(e.bytes);
    return pred(e, m) ? m : undefined;
  };
  for (const e of rec.entries.slice(from)) {
    const m = match(e);
    if (m) return Promise.resolve(m);
  }
  let on: ((e: TraceEntry) => void) | undefined;
  const got = new Promise<SipMessage>((resolve) => {
    on = (e: TraceEntry) => {
      const m = match(e);
      if (m) setImmediate(() => resolve(m));
    };
    rec.on('entry', on);
  });
  return within(got, timeoutMs, 'trace entry').finally(() => rec.off('entry', on!));
}

/**
 * Polls `condition` every `intervalMs` until it holds; rejects naming `what` after `timeoutMs`. Only for
 * a peer that gives no event to wait on (a port being bound, a pid file): the one bounded retry loop.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, what, intervalMs = 10 }: { timeoutMs?: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
