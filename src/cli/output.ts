import { writeSync } from 'node:fs';
import { systemClock, type Clock } from '../util/clock.js';

/**
 * Batched line output for the CLI's event streams. A write per event costs a syscall each (on
 * Linux a pipe on stdout is written synchronously): at 1,400 calls/s that was 17.9% of the
 * phone's profile (issue 16). Lines are buffered and written with one write per flush delay
 * (10 ms: what arrives meanwhile shares the write), or at once when the buffer is large; while
 * the stream pushes back (write() returned false) the lines wait for 'drain', up to a cap, beyond
 * which the oldest are dropped and counted. Measured (bench/output.ts, JSON events into a pipe):
 * output cost per event 5.65 µs with a write each, 3.14 µs flushing every event-loop turn,
 * 0.76 µs flushing every 10 ms.
 */

/** The part of a Writable the writer uses (process.stdout, a socket, a file stream). */
export interface LineSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  /** A file descriptor, for the last synchronous flush at process exit. */
  fd?: number;
}

export interface LineWriterOptions {
  /** Write at once when this many bytes (UTF-16 units) are buffered. Default 64 KiB. */
  flushBytes?: number;
  /** Most bytes held while the stream pushes back; older lines are dropped beyond it. Default 8 MiB. */
  maxPendingBytes?: number;
  /** How long output may wait to share a write (ms). Default 10; 0 flushes after the current turn. */
  delayMs?: number;
  /** Clock for the flush delay. */
  clock?: Clock;
  /** Runs a flush later (overrides delayMs and clock; tests end turns by hand). */
  schedule?: (fn: () => void) => void;
  /** The line that reports dropped lines, when writing resumes. */
  droppedLine?: (count: number) => string;
}

export class LineWriter {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;
  /** Waiting for 'drain'. */
  private blocked = false;
  private dropped = 0;
  /** Lines dropped for want of room, over the writer's life. */
  droppedTotal = 0;
  /** Writes issued to the sink (one per batch). */
  writes = 0;
  private idle: (() => void)[] = [];
  private readonly flushBytes: number;
  private readonly maxPending: number;
  private readonly schedule: (fn: () => void) => void;
  private readonly droppedLine: (count: number) => string;

  constructor(
    private readonly sink: LineSink,
    opts: LineWriterOptions = {},
  ) {
    this.flushBytes = opts.flushBytes ?? 64 * 1024;
    this.maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    const delay = opts.delayMs ?? 10;
    const clock = opts.clock ?? systemClock;
    this.schedule =
      opts.schedule ?? (delay > 0 ? (fn) => void clock.setTimeout(fn, delay) : (fn) => void setImmediate(fn));
    this.droppedLine = opts.droppedLine ?? ((n) => `${JSON.stringify({ event: 'dropped', lines: n })}\n`);
  }

  /** Queue one line (its newline included). */
  write(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    if (this.blocked) {
      // the sink pushes back: keep the newest lines within the cap
      while (this.bytes > this.maxPending && this.lines.length > 1) {
        this.bytes -= this.lines.shift()!.length;
        this.dropped++;
        this.droppedTotal++;
      }
      return;
    }
    if (this.bytes >= this.flushBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Lines waiting to be written. */
  get pending(): number {
    return this.lines.length;
  }

  /** Write what is buffered now, in one write (unless the sink is pushing back). */
  flush(): void {
    if (this.blocked || this.lines.length === 0) return this.settle();
    let text = this.lines.join('');
    if (this.dropped > 0) {
      text = this.droppedLine(this.dropped) + text;
      this.dropped = 0;
    }
    this.lines = [];
    this.bytes = 0;
    this.writes++;
    if (!this.sink.write(text)) {
      this.blocked = true;
      this.sink.once('drain', () => {
        this.blocked = false;
        this.flush();
      });
      return;
    }
    this.settle();
  }

  /** Resolves when everything queued so far has been handed to the sink and it is not pushing back. */
  end(): Promise<void> {
    this.flush();
    if (!this.blocked && this.lines.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** At process exit, no turn is left: write what remains synchronously (when the sink has an fd). */
  flushSync(): void {
    if (this.lines.length === 0 || this.sink.fd === undefined) return;
    const text = (this.dropped > 0 ? this.droppedLine(this.dropped) : '') + this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.dropped = 0;
    try {
      writeSync(this.sink.fd, text);
    } catch {
      // the reader is gone: nothing left to tell
    }
  }

  private settle(): void {
    if (this.blocked || this.lines.length > 0 || this.idle.length === 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }
}

/** The CLI's event output: `--json` lines or `event key=value` text, batched. */
export type Emit = (event: string, fields: Record<string, unknown>) => void;

export function formatEvent(json: boolean, event: string, fields: Record<string, unknown>): string {
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return json
    ? JSON.stringify({ event, ...clean }) + '\n'
    : `${event}${Object.entries(clean)
        .map(([k, v]) => ` ${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
        .join('')}\n`;
}

/**
 * An Emit over a LineWriter. With `quiet`, only the events in `always` (errors, readiness,
 * answers to commands) are written: no per-call events.
 */
export function eventEmitter(
  writer: LineWriter,
  opts: { json: boolean; quiet: boolean; always: ReadonlySet<string> },
): Emit {
  return (event, fields) => {
    if (opts.quiet && !opts.always.has(event)) return;
    writer.write(formatEvent(opts.json, event, fields));
  };
}
