/**
 * Conventions shared by the audio building blocks: linear 16-bit PCM frames as Int16Array,
 * mono, 8 kHz (the G.711 clock rate, RFC 3551 §4.5.14), 20 ms per frame by default
 * (RFC 3551 §4.5: ptime 20 ms for PCMU/PCMA).
 */

/** Narrowband sample rate in Hz. */
export const SAMPLE_RATE = 8000;
/** Default packetisation time in ms. */
export const FRAME_MS = 20;
/** Samples in a default frame (20 ms at 8 kHz). */
export const FRAME_SAMPLES = 160;

/** Samples in one frame of `ptimeMs` at `sampleRate` (rounded down). */
export function frameSamples(ptimeMs: number = FRAME_MS, sampleRate: number = SAMPLE_RATE): number {
  if (!(ptimeMs > 0) || !(sampleRate > 0))
    throw new RangeError(`frameSamples: bad ptime ${ptimeMs} or rate ${sampleRate}`);
  return Math.floor((ptimeMs * sampleRate) / 1000);
}

/**
 * A frame of `n` samples whose contents are undefined: the caller writes every sample. It is a
 * view on Node's shared Buffer pool, so `frame.buffer` may hold other data: read a frame through
 * its byteOffset/byteLength. Why: a fresh ArrayBuffer for every 20 ms frame is an off-heap
 * allocation plus a GC finalisation, about 3× the cost of a pool view, and a leg makes several
 * per packet (bench/media, README "Benchmarks").
 */
export function allocFrame(n: number): Int16Array {
  const bytes = Buffer.allocUnsafe(n * 2);
  // the pool hands out 8-aligned offsets, so the view is aligned for 16-bit samples
  return new Int16Array(bytes.buffer, bytes.byteOffset, n);
}

/** `n` bytes, uninitialised, as a plain Uint8Array view on the Buffer pool (see allocFrame). */
export function allocBytes(n: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(n);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, n);
}
