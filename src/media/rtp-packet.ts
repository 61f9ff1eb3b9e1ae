/**
 * RTP fixed header (RFC 3550 §5.1): parse and serialize. Parsing never throws: a datagram comes
 * from the network, so a malformed one yields a reason instead. The parsed payload, CSRC list and
 * extension data are views into the received buffer (no copy).
 */
import { allocBytes } from './pcm.js';

/** Header extension (RFC 3550 §5.3.1): 16-bit profile-defined word and data in 32-bit words. */
export interface RtpExtension {
  profile: number;
  /** Length a multiple of 4 octets. */
  data: Uint8Array;
}

export interface RtpPacket {
  /** Always 2 (RFC 3550 §5.1). */
  version: 2;
  padding: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  /** Unsigned 32-bit. */
  timestamp: number;
  /** Unsigned 32-bit. */
  ssrc: number;
  csrc: number[];
  extension: RtpExtension | undefined;
  /** Payload without the padding. */
  payload: Uint8Array;
  /** Octets of the fixed header, CSRC list and extension. */
  headerLength: number;
  /** Padding octets at the end (including the count octet), 0 without padding. */
  paddingLength: number;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: string };

/** Fields given to serialize; padding is added only when `padTo` asks for it. */
export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc?: readonly number[];
  extension?: RtpExtension;
  payload: Uint8Array;
  /** Pad the packet to a multiple of this many octets (RFC 3550 §5.1 P bit), e.g. for a block cipher. */
  padTo?: number;
}

export const RTP_HEADER_LENGTH = 12;

const fail = (reason: string): RtpParseResult => ({ ok: false, reason });

// Network byte order by hand: a DataView per packet costs more than the header it reads
// (bench/media profile).
const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Parse one RTP packet; on malformed input returns the reason, never throws. */
export function parseRtp(buf: Uint8Array): RtpParseResult {
  if (buf.length < RTP_HEADER_LENGTH) return fail(`RTP packet of ${buf.length} octets is shorter than its header`);
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return fail(`RTP version ${b0 >> 6}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER_LENGTH + cc * 4;
  if (offset > buf.length) return fail(`RTP CSRC count ${cc} runs past the end of the packet`);
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(u32(buf, RTP_HEADER_LENGTH + i * 4));
  let extension: RtpExtension | undefined;
  if (hasExtension) {
    if (offset + 4 > buf.length) return fail('RTP header extension runs past the end of the packet');
    const profile = u16(buf, offset);
    const words = u16(buf, offset + 2);
    const start = offset + 4;
    offset = start + words * 4;
    if (offset > buf.length) return fail(`RTP header extension of ${words} words runs past the end of the packet`);
    extension = { profile, data: buf.subarray(start, offset) };
  }
  let paddingLength = 0;
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding, itself included
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > buf.length)
      return fail(`RTP padding count ${paddingLength} does not fit the packet`);
  }
  return {
    ok: true,
    packet: {
      version: 2,
      padding,
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: u16(buf, 2),
      timestamp: u32(buf, 4),
      ssrc: u32(buf, 8),
      csrc,
      extension,
      payload: buf.subarray(offset, buf.length - paddingLength),
      headerLength: offset,
      paddingLength,
    },
  };
}

/**
 * Length of the header (fixed part, CSRCs, extension) without reading the padding, which SRTP
 * encrypts; undefined when the header does not fit.
 */
export function rtpHeaderLength(buf: Uint8Array): number | undefined {
  if (buf.length < RTP_HEADER_LENGTH || buf[0]! >> 6 !== 2) return undefined;
  let offset = RTP_HEADER_LENGTH + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (offset + 4 > buf.length) return undefined;
    offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
  }
  return offset <= buf.length ? offset : undefined;
}

/** Serialize a packet into a new buffer. Throws RangeError for fields out of range (our own bug). */
export function serializeRtp(p: RtpPacketInit): Uint8Array {
  const csrc = p.csrc ?? [];
  if (csrc.length > 15) throw new RangeError(`RTP allows at most 15 CSRCs, got ${csrc.length}`);
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 127)
    throw new RangeError(`RTP payload type ${p.payloadType} is not 0-127`);
  if (p.extension && p.extension.data.length % 4 !== 0)
    throw new RangeError('RTP header extension data must be a multiple of 4 octets');
  const ext = p.extension ? 4 + p.extension.data.length : 0;
  const header = RTP_HEADER_LENGTH + csrc.length * 4 + ext;
  let total = header + p.payload.length;
  let pad = 0;
  if (p.padTo !== undefined && p.padTo > 1) {
    pad = (p.padTo - (total % p.padTo)) % p.padTo;
    if (pad > 255) throw new RangeError(`RTP padding of ${pad} octets exceeds 255`);
    total += pad;
  }
  // every octet is written below, padding included (allocBytes is uninitialised)
  const out = allocBytes(total);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (p.extension ? 0x10 : 0) | csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  put16(out, 2, p.sequenceNumber & 0xffff);
  put32(out, 4, p.timestamp >>> 0);
  put32(out, 8, p.ssrc >>> 0);
  let o = RTP_HEADER_LENGTH;
  for (const c of csrc) {
    put32(out, o, c >>> 0);
    o += 4;
  }
  if (p.extension) {
    put16(out, o, p.extension.profile & 0xffff);
    put16(out, o + 2, p.extension.data.length / 4);
    out.set(p.extension.data, o + 4);
    o += ext;
  }
  out.set(p.payload, o);
  if (pad > 0) {
    out.fill(0, total - pad, total - 1);
    out[total - 1] = pad;
  }
  return out;
}

/**
 * Whether a datagram looks like RTCP rather than RTP (RFC 5761 §4: packet types 192-223 in the
 * second octet, which RTP payload types with the marker bit cannot produce among those in use).
 */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  return buf.length >= 8 && buf[0]! >> 6 === 2 && buf[1]! >= 192 && buf[1]! <= 223;
}
