/**
 * One Node timer for many protocol timers (issue 16 §1). A SIP stack arms a handful of durations
 * over and over (T1, 64*T1, T4, 200 ms...), so timers are kept in one FIFO list per duration:
 * within a list, deadlines only grow (time is monotonic), so the head is the earliest, insertion
 * is an append and cancelling an unlink. A single unref'd Node timer is armed for the earliest
 * head. Compared with a Node Timeout per timer this allocates one small entry per timer and no
 * async-hooks resource, and a cleared timer lets go of its callback at once.
 */
import type { Clock, TimerHandle } from './clock.js';

interface Entry extends TimerHandle {
  at: number;
  fn: (() => void) | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
  list: List | undefined;
}

interface List {
  readonly ms: number;
  head: Entry | undefined;
  tail: Entry | undefined;
}

export class TimerQueue implements Clock {
  private readonly lists = new Map<number, List>();
  private seq = 0;
  private count = 0;
  private native: NodeJS.Timeout | undefined;
  /** When the armed Node timer fires (ms on now()'s scale), Infinity when none is armed. */
  private armedAt = Infinity;
  private readonly onFire = () => this.fire();

  /** `unref` (default true): pending protocol timers do not keep a CLI or test process alive. */
  constructor(private readonly opts: { unref?: boolean } = {}) {}

  now(): number {
    return performance.now();
  }
  wallNow(): number {
    return Date.now();
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.count;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const d = ms > 0 ? Math.ceil(ms) : 0;
    let list = this.lists.get(d);
    if (!list) this.lists.set(d, (list = { ms: d, head: undefined, tail: undefined }));
    const at = performance.now() + d;
    const e: Entry = { id: ++this.seq, at, fn, prev: list.tail, next: undefined, list };
    if (list.tail) list.tail.next = e;
    else list.head = e;
    list.tail = e;
    this.count++;
    if (at < this.armedAt) this.arm(at);
    return e;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const e = handle as Entry | undefined;
    if (!e || !e.list) return;
    this.unlink(e);
    // the Node timer stays armed: when it fires early for nothing it re-arms for the next head
  }

  private unlink(e: Entry): void {
    const list = e.list!;
    if (e.prev) e.prev.next = e.next;
    else list.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else list.tail = e.prev;
    e.prev = e.next = e.list = undefined;
    e.fn = undefined;
    this.count--;
    // few durations are live at once; one used once (a random back-off) must not stay listed
    if (!list.head) this.lists.delete(list.ms);
  }

  private arm(at: number): void {
    if (this.native) clearTimeout(this.native);
    this.armedAt = at;
    this.native = setTimeout(this.onFire, Math.max(0, at - performance.now()));
    if (this.opts.unref !== false) this.native.unref();
  }

  private fire(): void {
    this.native = undefined;
    this.armedAt = Infinity;
    try {
      for (;;) {
        // a Node timer may fire up to a millisecond before performance.now() reaches the deadline
        const now = performance.now() + 1;
        let due: Entry | undefined;
        for (const list of this.lists.values()) {
          const h = list.head;
          if (h && h.at <= now && (!due || h.at < due.at)) due = h;
        }
        if (!due) break;
        const fn = due.fn!;
        this.unlink(due);
        fn();
      }
    } finally {
      let next = Infinity;
      for (const list of this.lists.values()) if (list.head && list.head.at < next) next = list.head.at;
      if (next !== Infinity && next < this.armedAt) this.arm(next);
    }
  }

  /** Cancel every timer (a stopping user agent). */
  clear(): void {
    for (const list of this.lists.values()) while (list.head) this.unlink(list.head);
    if (this.native) clearTimeout(this.native);
    this.native = undefined;
    this.armedAt = Infinity;
  }
}
