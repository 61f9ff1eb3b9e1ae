/**
 * G.711 PCMU (μ-law) and PCMA (A-law), RFC 3551 §4.5.14, ITU-T G.711. Table driven: encoding is
 * one lookup in a 64 Ki-entry table indexed by the 16-bit sample, decoding one lookup in a
 * 256-entry table. Both tables are built once at load and never change.
 *
 * Quantisation is sign-magnitude (encode(-x) mirrors encode(x)), the variant most software codecs
 * use; the decoded value is the middle of the quantisation interval, so the round-trip error stays
 * within one step of the sample's segment (the step doubles per segment, G.711 Tables 1a/2a).
 */
import { allocBytes, allocFrame } from '../pcm.js';
import type { AudioCodec } from './codec.js';

/** μ-law bias (33 on the 14-bit scale, ×4 for 16-bit input). */
const MU_BIAS = 0x84;
/** Largest magnitude that still fits the top μ-law segment after biasing. */
const MU_CLIP = 32635;

/** Position of the highest set bit of v (v > 0), 0-based. */
function highBit(v: number): number {
  return 31 - Math.clz32(v);
}

function muEncode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(sign ? -sample : sample, MU_CLIP) + MU_BIAS;
  // segment: 0 for biased values below 256, one more per doubling (G.711 Table 2a)
  const exponent = highBit(magnitude >> 7);
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  // μ-law code words are sent inverted (G.711 §3.2)
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function muDecode(code: number): number {
  const c = ~code & 0xff;
  const exponent = (c >> 4) & 0x07;
  const mantissa = c & 0x0f;
  const magnitude = (((mantissa << 3) + MU_BIAS) << exponent) - MU_BIAS;
  return c & 0x80 ? -magnitude : magnitude;
}

function aEncode(sample: number): number {
  // A-law's positive code words carry the sign bit set (G.711 Table 1a)
  const positive = sample >= 0;
  const magnitude = Math.min(positive ? sample : -Math.max(sample, -32767), 32635);
  let companded: number;
  if (magnitude >= 256) {
    const exponent = highBit(magnitude >> 8) + 1;
    companded = (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0f);
  } else {
    companded = magnitude >> 4;
  }
  // even bits inverted on the line (G.711 §3.1)
  return companded ^ (positive ? 0xd5 : 0x55);
}

function aDecode(code: number): number {
  const c = code ^ 0x55;
  const exponent = (c >> 4) & 0x07;
  const mantissa = c & 0x0f;
  // reconstruct at the middle of the interval: the added half step is the `| 8` / `| 0x108`
  const magnitude = exponent === 0 ? (mantissa << 4) | 8 : ((mantissa << 4) | 0x108) << (exponent - 1);
  return c & 0x80 ? magnitude : -magnitude;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encode((i << 16) >> 16);
  return table;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = decode(i);
  return table;
}

const MU_ENCODE = buildEncodeTable(muEncode);
const MU_DECODE = buildDecodeTable(muDecode);
const A_ENCODE = buildEncodeTable(aEncode);
const A_DECODE = buildDecodeTable(aDecode);

function encodeWith(table: Uint8Array, pcm: Int16Array): Uint8Array {
  // every byte is written below (allocBytes is uninitialised)
  const out = allocBytes(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[pcm[i]! & 0xffff]!;
  return out;
}

function decodeWith(table: Int16Array, bytes: Uint8Array): Int16Array {
  const out = allocFrame(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** G.711 μ-law, static payload type 0 (RFC 3551 Table 4). */
export const PCMU: AudioCodec = Object.freeze({
  name: 'PCMU',
  payloadType: 0,
  clockRate: 8000,
  encode: (pcm: Int16Array) => encodeWith(MU_ENCODE, pcm),
  decode: (bytes: Uint8Array) => decodeWith(MU_DECODE, bytes),
});

/** G.711 A-law, static payload type 8 (RFC 3551 Table 4). */
export const PCMA: AudioCodec = Object.freeze({
  name: 'PCMA',
  payloadType: 8,
  clockRate: 8000,
  encode: (pcm: Int16Array) => encodeWith(A_ENCODE, pcm),
  decode: (bytes: Uint8Array) => decodeWith(A_DECODE, bytes),
});

/** One μ-law code for one sample (for callers that work sample by sample). */
export function ulawEncodeSample(sample: number): number {
  return MU_ENCODE[sample & 0xffff]!;
}
export function ulawDecodeSample(code: number): number {
  return MU_DECODE[code & 0xff]!;
}
export function alawEncodeSample(sample: number): number {
  return A_ENCODE[sample & 0xffff]!;
}
export function alawDecodeSample(code: number): number {
  return A_DECODE[code & 0xff]!;
}
