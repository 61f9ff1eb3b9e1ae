/**
 * Frame sources: what a call sends. The RTP sender pulls one frame per packet interval:
 *
 * ```ts
 * const frame = source.next();   // every 20 ms, from the sender's pacer
 * if (frame) send(codec.encode(frame));
 * ```
 *
 * Frames are 16-bit mono PCM at 8 kHz, `frameSamples` long (160 = 20 ms by default). A source
 * never blocks: when it has nothing for this tick it returns undefined (the sender then sends
 * nothing, or comfort silence: its choice). `ended` turns true when it will never produce again,
 * and `done` resolves then, so an application can wait for a prompt to finish playing:
 *
 * ```ts
 * const prompt = await openWavSource('welcome.wav');
 * call.play(prompt);             // (the call layer's API)
 * await prompt.done;
 * ```
 *
 * For a bot, {@link PcmStreamSource} takes audio from the application (a text-to-speech service):
 * a Node Readable of little-endian PCM bytes, any async iterable of Int16Array or Uint8Array
 * chunks, or write() calls. Its pace is the call's: a faster producer is held back (backpressure),
 * a slower one leaves gaps.
 */
import { allocFrame, FRAME_SAMPLES } from './pcm.js';
import { ToneGenerator, type ToneOptions } from './tone.js';
import { readWavFile, type ReadWavOptions } from './wav.js';

/** Audio to send: pulled once per frame interval. */
export interface FrameSource {
  /** The next frame, or undefined when there is nothing to send this tick (starved, paused or ended). */
  next(): Int16Array | undefined;
  /** True once no further frame will come. */
  readonly ended: boolean;
  /** Resolves (never rejects) when the source has ended, by itself or by close(). */
  readonly done: Promise<void>;
  /** Stop now; next() returns undefined from then on. Idempotent. */
  close(): void;
}

/** Shared end-of-source bookkeeping. */
abstract class BaseSource implements FrameSource {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private isEnded = false;

  constructor(readonly frameSamples: number = FRAME_SAMPLES) {
    if (!(Number.isInteger(frameSamples) && frameSamples > 0))
      throw new RangeError(`frame source: frameSamples ${frameSamples} must be a positive integer`);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }
  get ended(): boolean {
    return this.isEnded;
  }
  abstract next(): Int16Array | undefined;
  close(): void {
    this.finish();
  }
  protected finish(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.resolveDone();
  }
}

/** Digital silence, forever (until closed). */
export class SilenceSource extends BaseSource {
  next(): Int16Array | undefined {
    return this.ended ? undefined : allocFrame(this.frameSamples).fill(0);
  }
}

export interface ToneSourceOptions extends ToneOptions {
  /** Stop after this long; default: until closed. */
  durationMs?: number;
  frameSamples?: number;
}

/** A tone (see ToneGenerator), continuous in phase from frame to frame. */
export class ToneSource extends BaseSource {
  private readonly gen: ToneGenerator;
  private remaining: number;

  constructor(opts: ToneSourceOptions) {
    super(opts.frameSamples);
    this.gen = new ToneGenerator(opts);
    this.remaining =
      opts.durationMs === undefined ? Infinity : Math.round((opts.durationMs * this.gen.sampleRate) / 1000);
  }

  next(): Int16Array | undefined {
    if (this.ended) return undefined;
    if (this.remaining <= 0) {
      this.finish();
      return undefined;
    }
    const frame = this.gen.next(this.frameSamples);
    if (this.remaining < this.frameSamples) frame.fill(0, this.remaining);
    this.remaining -= this.frameSamples;
    return frame;
  }
}

export interface BufferSourceOptions {
  /** Start again at the beginning after the end; default false. */
  loop?: boolean;
  frameSamples?: number;
}

/** Samples held in memory (e.g. a WAV prompt), played once or looped. */
export class PcmBufferSource extends BaseSource {
  private pos = 0;
  private readonly loop: boolean;

  constructor(
    private readonly samples: Int16Array,
    opts: BufferSourceOptions = {},
  ) {
    super(opts.frameSamples);
    this.loop = opts.loop ?? false;
    if (samples.length === 0) this.finish();
  }

  next(): Int16Array | undefined {
    if (this.ended) return undefined;
    const n = this.frameSamples;
    const frame = allocFrame(n);
    let filled = 0;
    while (filled < n) {
      if (this.pos >= this.samples.length) {
        if (!this.loop) break;
        this.pos = 0;
      }
      const take = Math.min(n - filled, this.samples.length - this.pos);
      frame.set(this.samples.subarray(this.pos, this.pos + take), filled);
      filled += take;
      this.pos += take;
    }
    if (filled === 0) {
      this.finish();
      return undefined;
    }
    // the last, partial frame is padded with silence
    frame.fill(0, filled);
    if (!this.loop && this.pos >= this.samples.length) this.finish();
    return frame;
  }
}

/** A WAV file as a source (read whole, mixed to mono and resampled to 8 kHz first). */
export async function openWavSource(
  path: string,
  opts: BufferSourceOptions & Omit<ReadWavOptions, 'sampleRate'> = {},
): Promise<PcmBufferSource> {
  const audio = await readWavFile(path, { maxDataBytes: opts.maxDataBytes });
  return new PcmBufferSource(audio.samples, opts);
}

export interface PcmStreamSourceOptions {
  frameSamples?: number;
  /** Sample rate of the application's audio: must equal the call's (8000); default 8000. */
  sampleRate?: number;
  /** Above this much buffered audio, write() returns false and an iterated input is paused; default 1000 ms. */
  highWaterMs?: number;
  /** Audio beyond this much buffered is dropped (and counted); default 10 000 ms. */
  maxBufferedMs?: number;
}

/**
 * Audio from the application: PCM 16-bit mono (little-endian when given as bytes). Feed it with
 * write()/end(), or give it an input to read: `new PcmStreamSource({}, ttsReadable)`.
 */
export class PcmStreamSource extends BaseSource {
  private readonly chunks: Int16Array[] = [];
  private head = 0;
  private bufferedSamples = 0;
  private inputEnded = false;
  private oddByte: number | undefined;
  private readonly highWater: number;
  private readonly maxBuffered: number;
  private drainWaiters: (() => void)[] = [];
  private droppedSamples = 0;
  private starvedTicks = 0;
  private inputError: Error | undefined;

  constructor(opts: PcmStreamSourceOptions = {}, input?: AsyncIterable<Uint8Array | Int16Array>) {
    super(opts.frameSamples);
    const rate = opts.sampleRate ?? 8000;
    if (rate !== 8000) throw new RangeError(`PcmStreamSource: sample rate ${rate} Hz; the call runs at 8000 Hz`);
    this.highWater = Math.round(((opts.highWaterMs ?? 1000) * rate) / 1000);
    this.maxBuffered = Math.max(this.highWater, Math.round(((opts.maxBufferedMs ?? 10000) * rate) / 1000));
    if (input) void this.pump(input);
  }

  /** Samples dropped over maxBufferedMs. */
  get dropped(): number {
    return this.droppedSamples;
  }
  /** Ticks with nothing to send while the input was still open. */
  get underruns(): number {
    return this.starvedTicks;
  }
  /** The error the input iterable failed with, if any (the source then ended). */
  get error(): Error | undefined {
    return this.inputError;
  }
  /** Audio buffered and not yet sent, in samples. */
  get buffered(): number {
    return this.bufferedSamples;
  }

  /**
   * Queue audio: Int16Array samples, or little-endian bytes (a chunk may split a sample). Returns
   * false when the buffer is above its high-water mark: wait for `drain()` before writing more.
   */
  write(chunk: Int16Array | Uint8Array): boolean {
    if (this.ended || this.inputEnded) return false;
    let samples = chunk instanceof Int16Array ? chunk.slice() : this.fromBytes(chunk);
    const room = this.maxBuffered - this.bufferedSamples;
    if (samples.length > room) {
      this.droppedSamples += samples.length - Math.max(0, room);
      samples = samples.subarray(0, Math.max(0, room));
    }
    if (samples.length > 0) {
      this.chunks.push(samples);
      this.bufferedSamples += samples.length;
    }
    return this.bufferedSamples < this.highWater;
  }

  /** No more input: the source ends once the buffer has been played. */
  end(): void {
    this.inputEnded = true;
    if (this.bufferedSamples === 0) this.finish();
  }

  /** Resolves when the buffer is below the high-water mark (or the source ended). */
  drain(): Promise<void> {
    if (this.bufferedSamples < this.highWater || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  override close(): void {
    this.chunks.length = 0;
    this.bufferedSamples = 0;
    this.inputEnded = true;
    super.close();
    this.wakeWriters();
  }

  next(): Int16Array | undefined {
    if (this.ended) return undefined;
    const n = this.frameSamples;
    if (this.bufferedSamples < n && !this.inputEnded) {
      this.starvedTicks++;
      return undefined;
    }
    if (this.bufferedSamples === 0) {
      this.finish();
      return undefined;
    }
    const frame = allocFrame(n);
    let filled = 0;
    while (filled < n && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(n - filled, c.length - this.head);
      frame.set(c.subarray(this.head, this.head + take), filled);
      filled += take;
      this.head += take;
      if (this.head >= c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    frame.fill(0, filled);
    this.bufferedSamples -= filled;
    if (this.bufferedSamples < this.highWater) this.wakeWriters();
    if (this.inputEnded && this.bufferedSamples === 0) this.finish();
    return frame;
  }

  private wakeWriters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private fromBytes(bytes: Uint8Array): Int16Array {
    let start = 0;
    let first: number | undefined;
    if (this.oddByte !== undefined && bytes.length > 0) {
      first = ((this.oddByte | (bytes[0]! << 8)) << 16) >> 16;
      this.oddByte = undefined;
      start = 1;
    }
    const pairs = (bytes.length - start) >> 1;
    const out = new Int16Array(pairs + (first === undefined ? 0 : 1));
    let o = 0;
    if (first !== undefined) out[o++] = first;
    for (let i = 0; i < pairs; i++) {
      const p = start + 2 * i;
      out[o++] = ((bytes[p]! | (bytes[p + 1]! << 8)) << 16) >> 16;
    }
    if ((bytes.length - start) & 1) this.oddByte = bytes[bytes.length - 1]!;
    return out;
  }

  private async pump(input: AsyncIterable<Uint8Array | Int16Array>): Promise<void> {
    try {
      for await (const chunk of input) {
        if (this.ended) break;
        if (!this.write(chunk)) await this.drain();
        if (this.ended) break;
      }
    } catch (err) {
      this.inputError = err instanceof Error ? err : new Error(String(err));
      this.close();
      return;
    }
    this.end();
  }
}
