import type { AudioCodec } from './codec.js';
import { PCMA, PCMU } from './g711.js';

export type { AudioCodec } from './codec.js';
export { PCMA, PCMU, alawDecodeSample, alawEncodeSample, ulawDecodeSample, ulawEncodeSample } from './g711.js';

/** The codecs this library implements, in our default preference order. */
export const AUDIO_CODECS: readonly AudioCodec[] = Object.freeze([PCMU, PCMA]);

/** A codec by its a=rtpmap encoding name (case-insensitive, RFC 4855 §3) and clock rate. */
export function findAudioCodec(name: string, clockRate = 8000): AudioCodec | undefined {
  const upper = name.toUpperCase();
  return AUDIO_CODECS.find((c) => c.name === upper && c.clockRate === clockRate);
}
export { loadOpus, OpusUnavailableError, type OpusCodec } from './opus.js';
