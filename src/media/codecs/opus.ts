/**
 * Opus (RFC 7587) through the optional `opusscript` package (libopus in WASM), loaded with import()
 * only when a call's codec list names opus. libopus encodes and decodes at 8 kHz itself, so the
 * 8 kHz pipeline needs no resampling (narrowband Opus); RTP still counts 48 kHz (RFC 7587 §4.1).
 * Encoder and decoder keep state between frames, so every call gets its own codec object.
 */
import { SAMPLE_RATE } from '../pcm.js';
import type { AudioCodec } from './codec.js';

/** libopus CTL requests (opus_defines.h). */
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_APPLICATION_VOIP = 2048;
/** Complexity 5: ~80-105 µs a leg per 20 ms frame here, against 220-270 µs at 10 (README). */
const COMPLEXITY = 5;

export class OpusUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(
      'codec "opus" needs the optional package opusscript, which could not be loaded ' +
        `(npm install opusscript): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'OpusUnavailableError';
  }
}

/** The part of opusscript's OpusScript we use. */
interface OpusHandle {
  encode(buffer: Buffer, frameSize: number): Buffer;
  decode(buffer: Buffer): Buffer;
  encoderCTL(ctl: number, arg: number): void;
  delete(): void;
}
type OpusConstructor = new (rate: 8000, channels: number, application: number) => OpusHandle;

/** An Opus codec for one call; close() frees its WASM memory. */
export interface OpusCodec extends AudioCodec {
  close(): void;
}

/** Load opusscript (once per caller) and make a codec factory; throws OpusUnavailableError without it. */
export async function loadOpus(): Promise<() => OpusCodec> {
  let Opus: OpusConstructor;
  try {
    const mod = (await import('opusscript')) as unknown as { default: OpusConstructor };
    Opus = mod.default;
  } catch (e) {
    throw new OpusUnavailableError(e);
  }
  return () => makeOpus(new Opus(SAMPLE_RATE, 1, OPUS_APPLICATION_VOIP));
}

function makeOpus(handle: OpusHandle): OpusCodec {
  handle.encoderCTL(OPUS_SET_COMPLEXITY, COMPLEXITY);
  handle.encoderCTL(OPUS_SET_INBAND_FEC, 1);
  let open = true;
  return {
    name: 'opus',
    payloadType: 111,
    clockRate: 48000,
    encode(pcm: Int16Array): Uint8Array {
      return handle.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), pcm.length);
    },
    decode(payload: Uint8Array): Int16Array {
      const out = handle.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      // copied out: the Buffer's bytes may not be 2-byte aligned
      const pcm = new Int16Array(out.length >> 1);
      new Uint8Array(pcm.buffer).set(out.subarray(0, pcm.length * 2));
      return pcm;
    },
    close(): void {
      if (open) handle.delete();
      open = false;
    },
  };
}
