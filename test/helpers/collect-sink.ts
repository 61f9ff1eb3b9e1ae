import { EventEmitter } from 'node:events';
import type { FrameSink } from '../../src/media/sinks.js';

/** A FrameSink for media tests: keeps every received frame and tells when `n` more have arrived. */
export class CollectSink extends EventEmitter implements FrameSink {
  frames: Int16Array[] = [];
  write(frame: Int16Array): void {
    this.frames.push(frame);
    this.emit('frame');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** Resolves with the frames received from now on, once `n` have arrived (rejects after `ms`). */
  more(n: number, ms = 8000): Promise<Int16Array> {
    const start = this.frames.length;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.frames.length - start} of ${n} frames`)), ms);
      const on = () => {
        if (this.frames.length - start < n) return;
        clearTimeout(t);
        this.off('frame', on);
        const got = this.frames.slice(start);
        const all = new Int16Array(got.length * 160);
        got.forEach((f, i) => all.set(f, i * 160));
        resolve(all);
      };
      this.on('frame', on);
    });
  }
}
