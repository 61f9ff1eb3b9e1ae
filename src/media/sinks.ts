/**
 * Frame sinks: where a call's received audio goes. The receiver pushes one frame per playout
 * tick (after the jitter buffer), 16-bit mono PCM at 8 kHz:
 *
 * ```ts
 * sink.write(jitterBuffer.pull().samples);   // every 20 ms
 * ```
 *
 * write() must not block the media path, so sinks buffer and, if their consumer cannot keep up,
 * drop (and count) rather than stall the call. A bot piping a call to a speech service and back:
 *
 * ```ts
 * const heard = new PcmStreamSink();                 // call → application
 * const said = new PcmStreamSource();                // application → call
 * // (the call layer attaches `heard` as the call's sink and `said` as its source)
 * for await (const pcm of heard.readable()) stt.send(pcm);   // Buffers of 16-bit LE PCM
 * tts.on('audio', (pcm: Buffer) => said.write(pcm));          // 8 kHz 16-bit LE PCM
 * ```
 */
import { Readable } from 'node:stream';
import { SAMPLE_RATE } from './pcm.js';
import { WavFileWriter, pcmToBytes, type WavWriterOptions } from './wav.js';

/** Audio received: pushed once per frame interval. */
export interface FrameSink {
  /** One frame of samples. Must return quickly; the sink owns the array from now on. */
  write(frame: Int16Array): void;
  /** No more frames: flush and release. Idempotent. */
  close(): Promise<void>;
}

/** Records to a 16-bit mono 8 kHz WAV file, header fixed on close. */
export class WavRecorderSink implements FrameSink {
  private constructor(private readonly writer: WavFileWriter) {}

  static async create(path: string, opts: WavWriterOptions = {}): Promise<WavRecorderSink> {
    return new WavRecorderSink(await WavFileWriter.create(path, opts));
  }
  get path(): string {
    return this.writer.path;
  }
  /** Samples recorded so far. */
  get samples(): number {
    return this.writer.samples;
  }
  write(frame: Int16Array): void {
    this.writer.write(frame);
  }
  close(): Promise<void> {
    return this.writer.close();
  }
}

export interface PcmStreamSinkOptions {
  /** Frames queued for a slow reader before new ones are dropped; default 5000 ms worth. */
  maxQueuedMs?: number;
  frameMs?: number;
}

/**
 * Received audio as a stream for the application: an async iterator of Int16Array frames
 * (`for await (const frame of sink)`), or readable() for a Node Readable of little-endian bytes.
 * One consumer. When the reader falls more than maxQueuedMs behind, new frames are dropped and
 * counted in `dropped`; close() ends the iteration after the queued frames.
 */
export class PcmStreamSink implements FrameSink, AsyncIterable<Int16Array> {
  private readonly queue: Int16Array[] = [];
  private readonly maxQueued: number;
  private waiter: ((r: IteratorResult<Int16Array>) => void) | undefined;
  private closed = false;
  private droppedFrames = 0;
  private iterated = false;

  constructor(opts: PcmStreamSinkOptions = {}) {
    this.maxQueued = Math.max(1, Math.ceil((opts.maxQueuedMs ?? 5000) / (opts.frameMs ?? 20)));
  }

  /** Frames dropped because the reader was too slow. */
  get dropped(): number {
    return this.droppedFrames;
  }
  /** Frames waiting for the reader. */
  get queued(): number {
    return this.queue.length;
  }
  /** Sample rate of the frames. */
  get sampleRate(): number {
    return SAMPLE_RATE;
  }

  write(frame: Int16Array): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: frame, done: false });
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.droppedFrames++;
      return;
    }
    this.queue.push(frame);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.({ value: undefined, done: true });
    }
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    if (this.iterated) throw new Error('PcmStreamSink: only one reader may iterate the sink');
    this.iterated = true;
    return {
      next: () => {
        const frame = this.queue.shift();
        if (frame) return Promise.resolve({ value: frame, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        // the reader stopped: later frames have nowhere to go
        this.closed = true;
        this.queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** The frames as a Node Readable of little-endian 16-bit PCM bytes (takes the iterator). */
  readable(): Readable {
    const frames = this[Symbol.asyncIterator]();
    return Readable.from(
      (async function* () {
        try {
          for (;;) {
            const r = await frames.next();
            if (r.done) return;
            yield Buffer.from(pcmToBytes(r.value).buffer);
          }
        } finally {
          // the Readable was destroyed or ended: stop queueing for it
          await frames.return?.();
        }
      })(),
      { objectMode: false },
    );
  }
}

/** Calls a function with every frame (taps, meters, tests). */
export class CallbackSink implements FrameSink {
  private closed = false;
  constructor(private readonly fn: (frame: Int16Array) => void) {}
  write(frame: Int16Array): void {
    if (!this.closed) this.fn(frame);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
