/**
 * Signal checks for tests and diagnostics: the power at one frequency (Goertzel), the dominant
 * frequency of a buffer, RMS level and silence. Enough to prove "the recording holds a 440 Hz
 * tone" without an FFT library.
 */
import { SAMPLE_RATE } from './pcm.js';

/**
 * Power of `samples` at `frequency`, normalised so that a full-scale sine (amplitude 1.0 after
 * dividing samples by 32768) at that frequency gives about 0.25, independent of the length.
 * Goertzel algorithm (one DFT bin, any frequency) over Hann-windowed samples.
 */
export function goertzelPower(samples: ArrayLike<number>, frequency: number, sampleRate = SAMPLE_RATE): number {
  const w = hannWindowed(samples);
  return goertzelWindowed(w.data, w.windowSum, frequency, sampleRate);
}

/** Samples scaled to ±1 and multiplied by a Hann window (against leakage from other components). */
function hannWindowed(samples: ArrayLike<number>): { data: Float64Array; windowSum: number } {
  const n = samples.length;
  const data = new Float64Array(n);
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const win = n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1;
    windowSum += win;
    data[i] = (samples[i]! / 32768) * win;
  }
  return { data, windowSum };
}

function goertzelWindowed(data: Float64Array, windowSum: number, frequency: number, sampleRate: number): number {
  if (data.length === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < data.length; i++) {
    const s0 = data[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2) / (windowSum * windowSum);
}

/** Root mean square of the samples on the 16-bit scale (0 … 32768). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** RMS level in dB relative to full scale (−Infinity for digital silence). */
export function rmsDbfs(samples: ArrayLike<number>): number {
  return 20 * Math.log10(rms(samples) / 32768);
}

/** True when the RMS level is below `thresholdDbfs` (default −50 dBFS). */
export function isSilent(samples: ArrayLike<number>, thresholdDbfs = -50): boolean {
  return rmsDbfs(samples) < thresholdDbfs;
}

export interface DominantFrequencyOptions {
  sampleRate?: number;
  /** Search range in Hz; default 50 … 0.49 × the sample rate. */
  minHz?: number;
  maxHz?: number;
  /** Analyse at most this many samples from the middle of the buffer; default 1 s worth. */
  maxSamples?: number;
}

export interface DominantFrequency {
  /** Estimated frequency in Hz (resolution about 1 Hz). */
  frequency: number;
  /** Share of the signal's power at that frequency, 0 … 1: near 1 for a clean tone. */
  purity: number;
}

/**
 * The strongest frequency in the buffer: a coarse Goertzel scan every 10 Hz, then a 1 Hz scan
 * around the best bin. `purity` compares the tone's power with the total (a pure sine has half
 * its mean square in the Goertzel power, so purity ≈ 1 for a clean tone).
 */
export function dominantFrequency(samples: ArrayLike<number>, opts: DominantFrequencyOptions = {}): DominantFrequency {
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const minHz = opts.minHz ?? 50;
  const maxHz = opts.maxHz ?? rate * 0.49;
  const max = opts.maxSamples ?? rate;
  const start = Math.max(0, Math.floor((samples.length - max) / 2));
  const view = Array.prototype.slice.call(samples, start, start + max) as number[];
  const { data, windowSum } = hannWindowed(view);
  let best = minHz;
  let bestPower = -1;
  for (let f = minHz; f <= maxHz; f += 10) {
    const p = goertzelWindowed(data, windowSum, f, rate);
    if (p > bestPower) [best, bestPower] = [f, p];
  }
  for (let f = Math.max(minHz, best - 10); f <= Math.min(maxHz, best + 10); f += 1) {
    const p = goertzelWindowed(data, windowSum, f, rate);
    if (p > bestPower) [best, bestPower] = [f, p];
  }
  const meanSquare = (rms(view) / 32768) ** 2;
  // Hann-windowed Goertzel of a sine of amplitude A gives A²/4 (see goertzelPower); A² = 2 × mean square
  const purity = meanSquare > 0 ? Math.min(1, (bestPower * 4) / (2 * meanSquare)) : 0;
  return { frequency: best, purity };
}

/**
 * Whether `frequency` (± `toleranceHz`, default 5) dominates the buffer with at least
 * `minPurity` (default 0.5) of its power, and the buffer is not silent.
 */
export function containsTone(
  samples: ArrayLike<number>,
  frequency: number,
  opts: DominantFrequencyOptions & { toleranceHz?: number; minPurity?: number } = {},
): boolean {
  if (isSilent(samples)) return false;
  const d = dominantFrequency(samples, opts);
  return Math.abs(d.frequency - frequency) <= (opts.toleranceHz ?? 5) && d.purity >= (opts.minPurity ?? 0.5);
}
