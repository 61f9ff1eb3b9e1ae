/**
 * Sample-rate conversion of 16-bit mono PCM by windowed-sinc interpolation (band-limited, so
 * 16 kHz → 8 kHz does not fold 4 … 8 kHz content back into the voice band). Meant for loading
 * prompts, not for per-packet work: the kernel is tabulated once per call.
 */

/** Zero crossings of the sinc on each side of the centre: the filter's length and steepness. */
const ZERO_CROSSINGS = 16;
/** Kernel table resolution: entries per input sample. */
const TABLE_RES = 256;

function blackman(x: number): number {
  // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

/** Convert `samples` from `fromRate` to `toRate` Hz. Same rate: a copy. */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (!(fromRate > 0 && toRate > 0) || !Number.isFinite(fromRate) || !Number.isFinite(toRate))
    throw new RangeError(`resample: bad rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return samples.slice();
  const step = fromRate / toRate;
  // cut off at the lower of the two Nyquist frequencies, as a fraction of the input's
  const fc = Math.min(1, toRate / fromRate);
  const halfWidth = ZERO_CROSSINGS / fc;
  const tableLen = Math.ceil(halfWidth * TABLE_RES) + 2;
  const table = new Float64Array(tableLen);
  for (let i = 0; i < tableLen; i++) {
    const t = i / TABLE_RES;
    if (t >= halfWidth) break;
    const x = Math.PI * fc * t;
    table[i] = fc * (x === 0 ? 1 : Math.sin(x) / x) * blackman(t / halfWidth);
  }
  const outLen = Math.floor((samples.length * toRate) / fromRate);
  const out = new Int16Array(outLen);
  const last = samples.length - 1;
  for (let n = 0; n < outLen; n++) {
    const centre = n * step;
    const k0 = Math.max(0, Math.ceil(centre - halfWidth));
    const k1 = Math.min(last, Math.floor(centre + halfWidth));
    let acc = 0;
    for (let k = k0; k <= k1; k++) {
      const pos = Math.abs(centre - k) * TABLE_RES;
      const i = pos | 0;
      const frac = pos - i;
      acc += samples[k]! * (table[i]! + (table[i + 1]! - table[i]!) * frac);
    }
    out[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}
