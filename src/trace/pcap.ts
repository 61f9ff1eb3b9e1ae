import { isIPv6 } from 'node:net';
import type { TraceEntry } from './recorder.js';

/**
 * Classic pcap (v2.4, LINKTYPE_RAW = 101) with synthetic IPv4/IPv6 + UDP/TCP headers around the
 * cleartext SIP, so Wireshark/tshark decode it even when the real transport was TLS or WS.
 * Only 'out' records are written (each message once); streams get per-flow TCP sequence numbers.
 */
export function toPcap(entries: TraceEntry[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeInt32LE(0, 8);
  head.writeUInt32LE(0, 12);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  const parts: Buffer[] = [head];
  const seq = new Map<string, number>();
  for (const e of entries) {
    if (e.direction !== 'out') continue;
    const stream = e.transport !== 'udp';
    const flow = `${e.local.host}:${e.local.port}>${e.remote.host}:${e.remote.port}`;
    const s = seq.get(flow) ?? 1;
    seq.set(flow, (s + e.bytes.length) >>> 0);
    const pkt = ipPacket(
      e.local,
      e.remote,
      stream ? tcpSegment(e.local.port, e.remote.port, s, e.bytes) : udpDatagram(e.local.port, e.remote.port, e.bytes),
      stream ? 6 : 17,
    );
    const rec = Buffer.alloc(16);
    const sec = Math.floor(e.time / 1000);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(Math.floor((e.time - sec * 1000) * 1000), 4);
    rec.writeUInt32LE(pkt.length, 8);
    rec.writeUInt32LE(pkt.length, 12);
    parts.push(rec, pkt);
  }
  return Buffer.concat(parts);
}

function udpDatagram(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  h.writeUInt16BE(0, 6); // filled by ipPacket (mandatory for IPv6)
  return Buffer.concat([h, payload]);
}

function tcpSegment(sport: number, dport: number, seqNo: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seqNo >>> 0, 4);
  h.writeUInt32BE(1, 8);
  h.writeUInt8(5 << 4, 12);
  h.writeUInt8(0x18, 13); // PSH|ACK
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, payload]);
}

function addrBytes(host: string): Buffer {
  const h = host.replace(/^\[|\]$/g, '');
  if (!isIPv6(h)) return Buffer.from((h.replace(/^::ffff:/, '') || '0.0.0.0').split('.').map((x) => Number(x) & 255));
  const [head, tail] = h.split('::') as [string, string | undefined];
  const a = head ? head.split(':') : [];
  const b = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? a : [...a, ...new Array(8 - a.length - b.length).fill('0'), ...b];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16) & 0xffff, i * 2));
  return out;
}

/** RFC 1071 one's complement checksum. */
export function checksum(buf: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2) sum += buf[buf.length - 1]! << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function ipPacket(src: { host: string }, dst: { host: string }, l4: Buffer, proto: number): Buffer {
  const s = addrBytes(src.host);
  const d = addrBytes(dst.host);
  const v6 = s.length === 16 || d.length === 16;
  const sa = v6 && s.length === 4 ? Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), s]) : s;
  const da = v6 && d.length === 4 ? Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), d]) : d;
  // L4 checksum over the pseudo-header
  const pseudo = v6
    ? Buffer.concat([sa, da, u32(l4.length), Buffer.from([0, 0, 0, proto])])
    : Buffer.concat([sa, da, Buffer.from([0, proto]), u16(l4.length)]);
  const ckOff = proto === 17 ? 6 : 16;
  l4.writeUInt16BE(0, ckOff);
  let ck = checksum(Buffer.concat([pseudo, l4]));
  if (proto === 17 && ck === 0) ck = 0xffff;
  l4.writeUInt16BE(ck, ckOff);
  if (v6) {
    const h = Buffer.alloc(40);
    h.writeUInt32BE(0x60000000, 0);
    h.writeUInt16BE(l4.length, 4);
    h.writeUInt8(proto, 6);
    h.writeUInt8(64, 7);
    sa.copy(h, 8);
    da.copy(h, 24);
    return Buffer.concat([h, l4]);
  }
  const h = Buffer.alloc(20);
  h.writeUInt8(0x45, 0);
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(0x4000, 6); // DF
  h.writeUInt8(64, 8);
  h.writeUInt8(proto, 9);
  sa.copy(h, 12);
  da.copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, l4]);
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** Read back a pcap written by toPcap (or any LINKTYPE_RAW IPv4/IPv6 capture of SIP over UDP/TCP). */
export function fromPcap(buf: Buffer): TraceEntry[] {
  if (buf.length < 24) throw new Error('not a pcap file: too short');
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error('not a pcap file: bad magic');
  const r32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = r32(20);
  if (link !== 101) throw new Error(`unsupported pcap link type ${link} (expected 101, raw IP)`);
  const out: TraceEntry[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = r32(o);
    const usec = r32(o + 4);
    const len = r32(o + 8);
    const pkt = buf.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    const v = pkt[0]! >> 4;
    let src: string, dst: string, proto: number, l4: Buffer;
    if (v === 4) {
      const ihl = (pkt[0]! & 15) * 4;
      proto = pkt[9]!;
      src = [...pkt.subarray(12, 16)].join('.');
      dst = [...pkt.subarray(16, 20)].join('.');
      l4 = pkt.subarray(ihl);
    } else if (v === 6) {
      proto = pkt[6]!;
      const fmt = (b: Buffer) =>
        Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16))
          .join(':')
          .replace(/(^|:)0(:0)+(:|$)/, '::');
      src = fmt(pkt.subarray(8, 24));
      dst = fmt(pkt.subarray(24, 40));
      l4 = pkt.subarray(40);
    } else continue;
    const sport = l4.readUInt16BE(0);
    const dport = l4.readUInt16BE(2);
    const payload = proto === 17 ? l4.subarray(8) : l4.subarray((l4[12]! >> 4) * 4);
    out.push({
      time: sec * 1000 + usec / 1000,
      element: `${src}:${sport}`,
      direction: 'out',
      transport: proto === 17 ? 'udp' : 'tcp',
      local: { host: src, port: sport },
      remote: { host: dst, port: dport },
      bytes: Buffer.from(payload),
    });
  }
  return out;
}
