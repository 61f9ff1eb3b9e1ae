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
