/**
 * Tone generator: one or more sine components summed, with the phase carried from frame to
 * frame so that consecutive frames join without clicks. Whole-hertz tones repeat exactly after
 * sampleRate / gcd(f, sampleRate) samples (200 for 440 Hz at 8 kHz), so that period is computed
 * once and copied out: a sine per sample per frame was a visible share of a media leg's CPU
 * (bench/media profile).
 */
import { allocFrame, FRAME_SAMPLES, SAMPLE_RATE } from './pcm.js';

export interface ToneOptions {
  /** Frequency in Hz, or several for a multi-frequency tone (e.g. [350, 440] dial tone). */
  frequency: number | readonly number[];
  /** Peak amplitude of the sum as a fraction of full scale, 0 … 1; default 0.5 (about −6 dBFS). */
  amplitude?: number;
  /** Sample rate in Hz; default 8000. */
  sampleRate?: number;
}

export class ToneGenerator {
  readonly frequencies: readonly number[];
  readonly amplitude: number;
  readonly sampleRate: number;
  /** Phase of each component in cycles (0 … 1), so that it never grows and loses precision. */
  private readonly phases: Float64Array;
  private readonly increments: Float64Array;
  /** One exact period of the tone, when it has one of at most a second; else computed per sample. */
  private readonly period: Int16Array | undefined;
  private pos = 0;

  constructor(opts: ToneOptions) {
    const freqs = typeof opts.frequency === 'number' ? [opts.frequency] : [...opts.frequency];
    this.sampleRate = opts.sampleRate ?? SAMPLE_RATE;
    this.amplitude = opts.amplitude ?? 0.5;
    if (freqs.length === 0) throw new RangeError('ToneGenerator: no frequency given');
    for (const f of freqs) {
      // a component at or above Nyquist would alias to another frequency
      if (!(f >= 0 && f < this.sampleRate / 2))
        throw new RangeError(`ToneGenerator: frequency ${f} Hz outside 0 … ${this.sampleRate / 2} Hz`);
    }
    if (!(this.amplitude >= 0 && this.amplitude <= 1))
      throw new RangeError(`ToneGenerator: amplitude ${this.amplitude} outside 0 … 1`);
    this.frequencies = Object.freeze(freqs);
    this.phases = new Float64Array(freqs.length);
    this.increments = Float64Array.from(freqs, (f) => f / this.sampleRate);
    const length = periodLength(freqs, this.sampleRate);
    if (length !== undefined) this.period = this.compute(new Int16Array(length));
  }

  /** The next `samples` samples (default one 20 ms frame at 8 kHz). */
  next(samples: number = FRAME_SAMPLES): Int16Array {
    const out = allocFrame(samples);
    const period = this.period;
    if (!period) return this.compute(out);
    let i = 0;
    while (i < samples) {
      const len = Math.min(samples - i, period.length - this.pos);
      out.set(period.subarray(this.pos, this.pos + len), i);
      i += len;
      this.pos = (this.pos + len) % period.length;
    }
    return out;
  }

  /** Fill `out` from the running phases (which move on by out.length samples). */
  private compute(out: Int16Array): Int16Array {
    const samples = out.length;
    const n = this.phases.length;
    const scale = (this.amplitude * 32767) / n;
    for (let i = 0; i < samples; i++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += Math.sin(2 * Math.PI * this.phases[k]!);
      out[i] = Math.round(v * scale);
      for (let k = 0; k < n; k++) {
        const p = this.phases[k]! + this.increments[k]!;
        this.phases[k] = p >= 1 ? p - 1 : p;
      }
    }
    return out;
  }

  /** Start again from phase 0. */
  reset(): void {
    this.phases.fill(0);
    this.pos = 0;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Samples after which every component is back at phase 0, when whole numbers give one ≤ 1 s. */
function periodLength(freqs: readonly number[], sampleRate: number): number | undefined {
  if (!Number.isInteger(sampleRate) || !freqs.every((f) => Number.isInteger(f))) return undefined;
  let length = 1;
  for (const f of freqs) {
    const p = sampleRate / gcd(f, sampleRate);
    length = (length / gcd(length, p)) * p;
  }
  return length <= sampleRate ? length : undefined;
}

/** A whole tone of `durationMs` at once (for tests and prompts). */
export function generateTone(opts: ToneOptions & { durationMs: number }): Int16Array {
  const gen = new ToneGenerator(opts);
  return gen.next(Math.round((opts.durationMs * gen.sampleRate) / 1000));
}
