/**
 * Probes for media tests against real peers: a sink that keeps what it hears and says when more
 * has arrived, and a source that says when it has been pulled (one pull = one packet sent), so a
 * test can wait on "N more packets went out / came in" instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import type { FrameSink } from '../../src/media/sinks.js';
import type { FrameSource } from '../../src/media/sources.js';
import { FRAME_SAMPLES } from '../../src/media/pcm.js';

function concat(frames: Int16Array[]): Int16Array {
  const all = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  return all;
}

/** Resolves once `count()` has grown by `n` (checked on each `event` of `emitter`), or rejects after `ms`. */
function grows(emitter: EventEmitter, event: string, count: () => number, n: number, ms: number, what: string) {
  const start = count();
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`${what}: only ${count() - start} of ${n} within ${ms} ms`));
    }, ms);
    const on = () => {
      if (count() - start < n) return;
      clearTimeout(t);
      emitter.off(event, on);
      resolve();
    };
    emitter.on(event, on);
  });
}

/** Keeps every frame played out to it (after the jitter buffer), and passes it on to `tee` (a WAV recorder). */
export class CollectSink extends EventEmitter implements FrameSink {
  readonly frames: Int16Array[] = [];
  constructor(private readonly tee?: FrameSink) {
    super();
  }
  write(frame: Int16Array): void {
    this.frames.push(frame);
    this.tee?.write(frame.slice());
    this.emit('frame');
  }
  close(): Promise<void> {
    return this.tee?.close() ?? Promise.resolve();
  }
  /** All samples from frame `from` on. */
  samples(from = 0): Int16Array {
    return concat(this.frames.slice(from));
  }
  /** The samples of the next `n` frames (rejects after `ms`). */
  async more(n: number, ms = 8000): Promise<Int16Array> {
    const from = this.frames.length;
    await grows(this, 'frame', () => this.frames.length, n, ms, 'frames played out');
    return this.samples(from);
  }
}

/** Wraps a source and emits 'pull' each time the pacer takes a frame from it. */
export class CountingSource extends EventEmitter implements FrameSource {
  pulls = 0;
  constructor(private readonly inner: FrameSource) {
    super();
  }
  get ended(): boolean {
    return this.inner.ended;
  }
  get done(): Promise<void> {
    return this.inner.done;
  }
  next(): Int16Array | undefined {
    this.pulls++;
    const f = this.inner.next();
    this.emit('pull');
    return f;
  }
  close(): void {
    this.inner.close();
  }
  /** Resolves after `n` more frames were pulled (about n × 20 ms of sending time). */
  more(n: number, ms = 8000): Promise<void> {
    return grows(this, 'pull', () => this.pulls, n, ms, 'frames pulled');
  }
}

export const FRAME = FRAME_SAMPLES;
