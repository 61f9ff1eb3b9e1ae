/**
 * RTCP packets (RFC 3550 §6.4-§6.6): sender and receiver reports, SDES, BYE, and compound
 * packets of them. Parsing a datagram from the network never throws; unknown packet types (APP,
 * RTPFB, XR, ...) are kept as opaque packets.
 */

/** A reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, in 1/256 (0-255). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq). */
  highestSeq: number;
  /** Interarrival jitter in timestamp units (RFC 3550 A.8). */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s, 0 if none. */
  dlsr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, seconds since 1900 and fraction (RFC 3550 §4). */
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

/** SDES item types (RFC 3550 §6.5). */
export const SDES_CNAME = 1;

export interface SdesItem {
  type: number;
  text: string;
}
export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}
export interface SourceDescription {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Goodbye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

/** Any other packet type, kept as received (header included). */
export interface OtherRtcp {
  type: 'other';
  packetType: number;
  data: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | OtherRtcp;

export type RtcpParseResult = { ok: true; packets: RtcpPacket[] } | { ok: false; reason: string };

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

const REPORT_BLOCK_LENGTH = 24;
const enc = new TextEncoder();
const dec = new TextDecoder();

// ---- parsing --------------------------------------------------------------------------------

/**
 * Parse a compound RTCP packet with the validity checks of RFC 3550 A.2: version 2, lengths that
 * add up to the datagram, padding only in the last packet, an SR or RR first.
 */
export function parseRtcp(buf: Uint8Array): RtcpParseResult {
  const fail = (reason: string): RtcpParseResult => ({ ok: false, reason });
  if (buf.length < 4) return fail(`RTCP datagram of ${buf.length} octets is too short`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const packets: RtcpPacket[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) return fail(`RTCP packet header at octet ${offset} is truncated`);
    const b0 = buf[offset]!;
    if (b0 >> 6 !== 2) return fail(`RTCP version ${b0 >> 6} at octet ${offset}, expected 2`);
    const count = b0 & 0x1f;
    const pt = buf[offset + 1]!;
    const length = (view.getUint16(offset + 2) + 1) * 4;
    const end = offset + length;
    if (end > buf.length) return fail(`RTCP packet at octet ${offset} claims ${length} octets, past the end`);
    let bodyEnd = end;
    if (b0 & 0x20) {
      if (end !== buf.length) return fail('RTCP padding is allowed only in the last packet (RFC 3550 A.2)');
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > length - 4) return fail(`RTCP padding count ${pad} does not fit the packet`);
      bodyEnd = end - pad;
    }
    if (packets.length === 0 && pt !== RTCP_SR && pt !== RTCP_RR)
      return fail(`a compound RTCP packet must start with SR or RR, got type ${pt} (RFC 3550 §6.1)`);
    const body = buf.subarray(offset + 4, bodyEnd);
    const p = parseOne(pt, count, body, buf.subarray(offset, end));
    if (typeof p === 'string') return fail(`RTCP type ${pt} at octet ${offset}: ${p}`);
    packets.push(p);
    offset = end;
  }
  return { ok: true, packets };
}

function parseOne(pt: number, count: number, body: Uint8Array, whole: Uint8Array): RtcpPacket | string {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (pt) {
    case RTCP_SR: {
      if (body.length < 24 + count * REPORT_BLOCK_LENGTH) return `SR too short for ${count} report blocks`;
      return {
        type: 'sr',
        ssrc: view.getUint32(0),
        ntpSeconds: view.getUint32(4),
        ntpFraction: view.getUint32(8),
        rtpTimestamp: view.getUint32(12),
        packetCount: view.getUint32(16),
        octetCount: view.getUint32(20),
        reports: parseBlocks(view, 24, count),
      };
    }
    case RTCP_RR:
      if (body.length < 4 + count * REPORT_BLOCK_LENGTH) return `RR too short for ${count} report blocks`;
      return { type: 'rr', ssrc: view.getUint32(0), reports: parseBlocks(view, 4, count) };
    case RTCP_SDES:
      return parseSdes(body, view, count);
    case RTCP_BYE: {
      if (body.length < count * 4) return `BYE too short for ${count} sources`;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(i * 4));
      const o = count * 4;
      if (o >= body.length) return { type: 'bye', ssrcs };
      const len = body[o]!;
      if (o + 1 + len > body.length) return 'BYE reason runs past the packet';
      return { type: 'bye', ssrcs, reason: dec.decode(body.subarray(o + 1, o + 1 + len)) };
    }
    default:
      return { type: 'other', packetType: pt, data: whole };
  }
}

function parseBlocks(view: DataView, at: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + i * REPORT_BLOCK_LENGTH;
    const lostWord = view.getUint32(o + 4);
    const cum = lostWord & 0xffffff;
    out.push({
      ssrc: view.getUint32(o),
      fractionLost: lostWord >>> 24,
      // signed 24-bit
      cumulativeLost: cum & 0x800000 ? cum - 0x1000000 : cum,
      highestSeq: view.getUint32(o + 8),
      jitter: view.getUint32(o + 12),
      lsr: view.getUint32(o + 16),
      dlsr: view.getUint32(o + 20),
    });
  }
  return out;
}

function parseSdes(body: Uint8Array, view: DataView, count: number): SourceDescription | string {
  const chunks: SdesChunk[] = [];
  let o = 0;
  for (let c = 0; c < count; c++) {
    if (o + 4 > body.length) return 'SDES chunk truncated';
    const ssrc = view.getUint32(o);
    o += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (o >= body.length) return 'SDES chunk lacks its end item';
      const type = body[o]!;
      if (type === 0) {
        // RFC 3550 §6.5: a null octet ends the list, then padding to the next 32-bit boundary
        o = (o + 4) & ~3;
        break;
      }
      if (o + 2 > body.length) return 'SDES item truncated';
      const len = body[o + 1]!;
      if (o + 2 + len > body.length) return 'SDES item runs past the packet';
      items.push({ type, text: dec.decode(body.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

// ---- serializing ----------------------------------------------------------------------------

/** Serialize packets into one compound datagram (the caller puts an SR or RR first). */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const parts = packets.map(serializeOne);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function serializeOne(p: RtcpPacket): Uint8Array {
  switch (p.type) {
    case 'sr': {
      const { out, view } = packet(RTCP_SR, p.reports.length, 24 + p.reports.length * REPORT_BLOCK_LENGTH);
      view.setUint32(4, p.ssrc >>> 0);
      view.setUint32(8, p.ntpSeconds >>> 0);
      view.setUint32(12, p.ntpFraction >>> 0);
      view.setUint32(16, p.rtpTimestamp >>> 0);
      view.setUint32(20, p.packetCount >>> 0);
      view.setUint32(24, p.octetCount >>> 0);
      writeBlocks(view, 28, p.reports);
      return out;
    }
    case 'rr': {
      const { out, view } = packet(RTCP_RR, p.reports.length, 4 + p.reports.length * REPORT_BLOCK_LENGTH);
      view.setUint32(4, p.ssrc >>> 0);
      writeBlocks(view, 8, p.reports);
      return out;
    }
    case 'sdes':
      return serializeSdes(p);
    case 'bye': {
      checkCount(p.ssrcs.length);
      const reason = p.reason !== undefined ? enc.encode(p.reason) : undefined;
      if (reason && reason.length > 255) throw new RangeError('RTCP BYE reason longer than 255 octets');
      const size = p.ssrcs.length * 4 + (reason ? (reason.length + 1 + 3) & ~3 : 0);
      const { out, view } = packet(RTCP_BYE, p.ssrcs.length, size);
      p.ssrcs.forEach((s, i) => view.setUint32(4 + i * 4, s >>> 0));
      if (reason) {
        const o = 4 + p.ssrcs.length * 4;
        out[o] = reason.length;
        out.set(reason, o + 1);
      }
      return out;
    }
    case 'other':
      return p.data;
  }
}

function checkCount(n: number): void {
  if (n > 31) throw new RangeError(`RTCP count field holds at most 31, got ${n}`);
}

/** A packet with its common header filled in; `bodySize` must be a multiple of 4. */
function packet(pt: number, count: number, bodySize: number): { out: Uint8Array; view: DataView } {
  checkCount(count);
  const out = new Uint8Array(4 + bodySize);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | count;
  out[1] = pt;
  view.setUint16(2, out.length / 4 - 1);
  return { out, view };
}

function writeBlocks(view: DataView, at: number, blocks: readonly ReportBlock[]): void {
  blocks.forEach((b, i) => {
    const o = at + i * REPORT_BLOCK_LENGTH;
    // the cumulative count is clamped to the signed 24-bit range (RFC 3550 §6.4.1)
    const cum = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)) & 0xffffff;
    view.setUint32(o, b.ssrc >>> 0);
    view.setUint32(o + 4, ((Math.max(0, Math.min(255, b.fractionLost)) << 24) | cum) >>> 0);
    view.setUint32(o + 8, b.highestSeq >>> 0);
    view.setUint32(o + 12, b.jitter >>> 0);
    view.setUint32(o + 16, b.lsr >>> 0);
    view.setUint32(o + 20, b.dlsr >>> 0);
  });
}

function serializeSdes(p: SourceDescription): Uint8Array {
  const chunks = p.chunks.map((c) => {
    const items = c.items.map((it) => {
      const text = enc.encode(it.text);
      if (text.length > 255) throw new RangeError(`SDES item of ${text.length} octets exceeds 255`);
      return { type: it.type, text };
    });
    const len = 4 + items.reduce((n, it) => n + 2 + it.text.length, 0) + 1;
    const chunk = new Uint8Array((len + 3) & ~3);
    new DataView(chunk.buffer).setUint32(0, c.ssrc >>> 0);
    let o = 4;
    for (const it of items) {
      chunk[o] = it.type;
      chunk[o + 1] = it.text.length;
      chunk.set(it.text, o + 2);
      o += 2 + it.text.length;
    }
    return chunk;
  });
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const { out } = packet(RTCP_SDES, chunks.length, size);
  let o = 4;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// ---- NTP time -------------------------------------------------------------------------------

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** NTP timestamp (RFC 3550 §4) of a Unix time in ms. */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const secs = Math.floor(ms / 1000);
  const frac = (ms - secs * 1000) / 1000;
  return { seconds: (secs + NTP_UNIX_OFFSET) >>> 0, fraction: Math.floor(frac * 0x100000000) >>> 0 };
}

/** The middle 32 bits of an NTP timestamp, as LSR carries it (RFC 3550 §6.4.1). */
export function ntpMiddle(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
