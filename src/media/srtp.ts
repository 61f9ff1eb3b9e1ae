/**
 * SRTP and SRTCP (RFC 3711) with the SDES suites AES_CM_128_HMAC_SHA1_80 and _32 (RFC 4568 §6.2),
 * on node:crypto: AES-128 in counter mode (§4.1.1), HMAC-SHA1 (§4.2.1), the AES-CM key
 * derivation (§4.3, key derivation rate 0), rollover counter estimation (§3.3.1, Appendix A) and
 * replay protection (§3.3.2).
 *
 * One SrtpContext serves one direction with one master key: ours to protect what we send, the
 * peer's to unprotect what we receive. Keys live in private fields; inspect/JSON show the suite only.
 */
import { createCipheriv, createHash, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';
import { inspect } from 'node:util';
import { rtpHeaderLength } from './rtp-packet.js';
import { ReplayWindow } from './srtp-replay.js';

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** RFC 4568 §6.2: 128-bit key, 112-bit salt; SRTP tag 80 or 32 bits, the SRTCP tag always 80. */
const SUITE_TAGS: Record<SrtpSuite, { rtp: number; rtcp: number }> = {
  AES_CM_128_HMAC_SHA1_80: { rtp: 10, rtcp: 10 },
  AES_CM_128_HMAC_SHA1_32: { rtp: 4, rtcp: 10 },
};
export const SRTP_MASTER_KEY_LENGTH = 16;
export const SRTP_MASTER_SALT_LENGTH = 14;

/** Key derivation labels (RFC 3711 §4.3.1, §4.3.2). */
const LABEL = { rtpEnc: 0, rtpAuth: 1, rtpSalt: 2, rtcpEnc: 3, rtcpAuth: 4, rtcpSalt: 5 } as const;
const AUTH_KEY_LENGTH = 20;
const SRTCP_INDEX_MOD = 0x80000000;

/** A key that cannot be used (wrong length, unknown suite). Never carries the key itself. */
export class SrtpError extends Error {
  override readonly name = 'SrtpError';
}

export type SrtpResult = { ok: true; packet: Uint8Array } | { ok: false; reason: SrtpFailure };
/** Why an incoming packet was dropped. */
export type SrtpFailure = 'malformed' | 'auth' | 'replay' | 'sources';

export interface SrtpContextOptions {
  suite: SrtpSuite;
  /** Master key (16 octets) followed by master salt (14 octets), as SDES inline keys carry them. */
  keyAndSalt: Uint8Array;
  /** Replay window in packets (RFC 3711 §3.3.2: at least 64; default 64). */
  replayWindow?: number;
  /** Most SSRCs tracked on receive; a peer cannot make us keep more (default 16). */
  maxSources?: number;
}

/** AES-128 counter mode keystream or encryption from a 16-octet IV (RFC 3711 §4.1.1). */
export function aesCm(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  // The SRTP counter only runs through its low 16 bits, which start at zero: a packet under 1 MB
  // never carries into bit 16, so the 128-bit counter of aes-128-ctr gives the same keystream.
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-CM PRF key derivation (RFC 3711 §4.3.1, §4.3.3) with key derivation rate 0 (r = 0). */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Buffer {
  // x = (label || r) XOR master_salt, label at octet 7 of the 14-octet salt, r = 0; IV = x * 2^16
  const iv = Buffer.alloc(16);
  iv.set(masterSalt.subarray(0, SRTP_MASTER_SALT_LENGTH));
  iv[7]! ^= label;
  return aesCm(masterKey, iv, Buffer.alloc(length));
}

/**
 * RFC 3711 §3.3.1 / Appendix A: the ROC guess v for a received sequence number, given the highest
 * sequence number s_l and ROC seen so far.
 */
export function estimateRoc(sL: number, roc: number, seq: number): number {
  if (sL < 0x8000) return seq - sL > 0x8000 ? roc - 1 : roc;
  return sL - 0x8000 > seq ? roc + 1 : roc;
}

/** The counter-mode IV (RFC 3711 §4.1.1): (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
function packetIv(salt: Uint8Array, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(salt);
  iv[4]! ^= ssrc >>> 24;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  // 48-bit index in octets 8-13
  const hi = Math.floor(index / 0x100000000);
  const lo = index >>> 0;
  iv[8]! ^= (hi >>> 8) & 0xff;
  iv[9]! ^= hi & 0xff;
  iv[10]! ^= lo >>> 24;
  iv[11]! ^= (lo >>> 16) & 0xff;
  iv[12]! ^= (lo >>> 8) & 0xff;
  iv[13]! ^= lo & 0xff;
  return iv;
}

interface SessionKeys {
  /** AES-128 in ECB with the session key: one cipher reused for every packet's counter blocks. */
  enc: Cipher;
  auth: Buffer;
  salt: Buffer;
}

function ecb(key: Buffer): Cipher {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return c;
}

/**
 * AES-CM (RFC 3711 §4.1.1) with a reused ECB cipher: the counter blocks are the IV with the block
 * number in its low 16 bits (zero in every SRTP IV), encrypted at once and XORed with the data.
 * Creating a CTR cipher per packet cost about 4× more.
 */
function ctrXor(enc: Cipher, iv: Buffer, data: Uint8Array): Buffer {
  const n = Math.ceil(data.length / 16);
  const blocks = Buffer.allocUnsafe(n * 16);
  for (let b = 0; b < n; b++) {
    iv.copy(blocks, b * 16);
    blocks[b * 16 + 14] = b >>> 8;
    blocks[b * 16 + 15] = b & 0xff;
  }
  const ks = enc.update(blocks);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ ks[i]!;
  return out;
}

interface RtpSourceState {
  roc: number;
  /** Highest sequence number seen (s_l). */
  sL: number;
  replay: ReplayWindow;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #rtp: SessionKeys;
  readonly #rtcp: SessionKeys;
  readonly #tags: { rtp: number; rtcp: number };
  readonly #windowSize: number;
  readonly #maxSources: number;
  /** Fingerprint of the master key, to tell whether new keys are the same (never the key itself). */
  readonly #fingerprint: Buffer;
  /** Receive side: per-SSRC ROC and replay state; send side: per-SSRC ROC. */
  readonly #rtpSources = new Map<number, RtpSourceState>();
  readonly #rtcpReplay = new Map<number, ReplayWindow>();
  /** SRTCP index of the next packet we protect (§3.4), per SSRC. */
  readonly #rtcpIndex = new Map<number, number>();

  constructor(opts: SrtpContextOptions) {
    const tags = SUITE_TAGS[opts.suite];
    if (!tags) throw new SrtpError(`unknown SRTP suite ${String(opts.suite)}`);
    const len = SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH;
    if (opts.keyAndSalt.length !== len)
      throw new SrtpError(`SRTP master key and salt must be ${len} octets, got ${opts.keyAndSalt.length}`);
    const window = opts.replayWindow ?? 64;
    if (!Number.isInteger(window) || window < 64 || window > 0x8000)
      throw new SrtpError(`SRTP replay window must be 64-32768 packets (RFC 3711 §3.3.2), got ${window}`);
    this.suite = opts.suite;
    this.#tags = tags;
    this.#windowSize = window;
    this.#maxSources = opts.maxSources ?? 16;
    this.#fingerprint = fingerprint(opts.keyAndSalt);
    const key = opts.keyAndSalt.subarray(0, SRTP_MASTER_KEY_LENGTH);
    const salt = opts.keyAndSalt.subarray(SRTP_MASTER_KEY_LENGTH);
    const d = (label: number, n: number): Buffer => deriveSessionKey(key, salt, label, n);
    this.#rtp = { enc: ecb(d(LABEL.rtpEnc, 16)), auth: d(LABEL.rtpAuth, AUTH_KEY_LENGTH), salt: d(LABEL.rtpSalt, 14) };
    this.#rtcp = {
      enc: ecb(d(LABEL.rtcpEnc, 16)),
      auth: d(LABEL.rtcpAuth, AUTH_KEY_LENGTH),
      salt: d(LABEL.rtcpSalt, 14),
    };
  }

  /** Whether this context was made from this suite and master key and salt. */
  usesKey(suite: SrtpSuite, keyAndSalt: Uint8Array): boolean {
    return suite === this.suite && timingSafeEqual(this.#fingerprint, fingerprint(keyAndSalt));
  }

  /** Octets protection adds to an RTP packet. */
  get rtpOverhead(): number {
    return this.#tags.rtp;
  }

  // ---- SRTP -----------------------------------------------------------------------------------

  /** Encrypt and authenticate an RTP packet we send (RFC 3711 §3.3). Throws SrtpError if it is not RTP. */
  protectRtp(packet: Uint8Array): Uint8Array {
    const hl = rtpHeaderLength(packet);
    if (hl === undefined) throw new SrtpError('cannot protect: not an RTP packet');
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    let st = this.#rtpSources.get(ssrc);
    if (!st) {
      st = { roc: 0, sL: seq, replay: new ReplayWindow(this.#windowSize) };
      this.#rtpSources.set(ssrc, st);
    }
    // the sender's ROC counts its own sequence wraps (§3.3.1); never below 0 for a jump back
    const v = Math.max(0, estimateRoc(st.sL, st.roc, seq));
    if (v > st.roc || (v === st.roc && seq > st.sL)) {
      st.roc = v;
      st.sL = seq;
    }
    const index = v * 0x10000 + seq;
    const out = Buffer.alloc(packet.length + this.#tags.rtp);
    out.set(packet.subarray(0, hl));
    const iv = packetIv(this.#rtp.salt, ssrc, index);
    out.set(ctrXor(this.#rtp.enc, iv, packet.subarray(hl)), hl);
    const tag = this.rtpTag(out.subarray(0, packet.length), v);
    out.set(tag, packet.length);
    return out;
  }

  /** Authenticate, check for replay and decrypt a received SRTP packet (RFC 3711 §3.3). Never throws. */
  unprotectRtp(packet: Uint8Array): SrtpResult {
    const tagLen = this.#tags.rtp;
    const body = packet.subarray(0, packet.length - tagLen);
    const hl = packet.length > tagLen ? rtpHeaderLength(body) : undefined;
    if (hl === undefined) return { ok: false, reason: 'malformed' };
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    const st = this.#rtpSources.get(ssrc);
    if (!st && this.#rtpSources.size >= this.#maxSources) return { ok: false, reason: 'sources' };
    // a new source: ROC 0 and s_l its first sequence number (§3.3.1)
    const roc = st?.roc ?? 0;
    const v = st ? estimateRoc(st.sL, roc, seq) : 0;
    if (v < 0) return { ok: false, reason: 'replay' };
    const index = v * 0x10000 + seq;
    if (st && !st.replay.check(index)) return { ok: false, reason: 'replay' };
    const tag = this.rtpTag(body, v);
    const got = packet.subarray(body.length);
    if (!timingSafeEqual(tag, got)) return { ok: false, reason: 'auth' };
    const plain = Buffer.alloc(body.length);
    plain.set(body.subarray(0, hl));
    plain.set(ctrXor(this.#rtp.enc, packetIv(this.#rtp.salt, ssrc, index), body.subarray(hl)), hl);
    // state moves only for authenticated packets (§3.3.1)
    const state = st ?? { roc: 0, sL: seq, replay: new ReplayWindow(this.#windowSize) };
    if (!st) this.#rtpSources.set(ssrc, state);
    if (v > state.roc || (v === state.roc && seq > state.sL)) {
      state.roc = v;
      state.sL = seq;
    }
    state.replay.accept(index);
    return { ok: true, packet: plain };
  }

  private rtpTag(authenticated: Uint8Array, roc: number): Buffer {
    const rocBytes = Buffer.alloc(4);
    rocBytes.writeUInt32BE(roc >>> 0);
    // RFC 3711 §4.2: HMAC-SHA1 over the packet and the ROC, truncated to the suite's tag length
    const h = createHmac('sha1', this.#rtp.auth).update(authenticated).update(rocBytes).digest();
    return h.subarray(0, this.#tags.rtp);
  }

  // ---- SRTCP ----------------------------------------------------------------------------------

  /** Encrypt and authenticate a compound RTCP packet (RFC 3711 §3.4), E flag set. */
  protectRtcp(packet: Uint8Array): Uint8Array {
    if (packet.length < 8) throw new SrtpError('cannot protect: RTCP packet shorter than 8 octets');
    const ssrc = readU32(packet, 4);
    const index = this.#rtcpIndex.get(ssrc) ?? 0;
    this.#rtcpIndex.set(ssrc, (index + 1) % SRTCP_INDEX_MOD);
    const out = Buffer.alloc(packet.length + 4 + this.#tags.rtcp);
    out.set(packet.subarray(0, 8));
    out.set(ctrXor(this.#rtcp.enc, packetIv(this.#rtcp.salt, ssrc, index), packet.subarray(8)), 8);
    out.writeUInt32BE((0x80000000 | index) >>> 0, packet.length);
    const auth = out.subarray(0, packet.length + 4);
    out.set(this.rtcpTag(auth), auth.length);
    return out;
  }

  /** Authenticate, check for replay and decrypt a received SRTCP packet (RFC 3711 §3.4). Never throws. */
  unprotectRtcp(packet: Uint8Array): SrtpResult {
    const tagLen = this.#tags.rtcp;
    if (packet.length < 8 + 4 + tagLen) return { ok: false, reason: 'malformed' };
    const authEnd = packet.length - tagLen;
    const ssrc = readU32(packet, 4);
    const word = readU32(packet, authEnd - 4);
    const encrypted = word >= 0x80000000;
    const index = word & 0x7fffffff;
    let replay = this.#rtcpReplay.get(ssrc);
    if (!replay && this.#rtcpReplay.size >= this.#maxSources) return { ok: false, reason: 'sources' };
    if (replay && !replay.check(index)) return { ok: false, reason: 'replay' };
    if (!timingSafeEqual(this.rtcpTag(packet.subarray(0, authEnd)), packet.subarray(authEnd)))
      return { ok: false, reason: 'auth' };
    const bodyEnd = authEnd - 4;
    const plain = Buffer.alloc(bodyEnd);
    plain.set(packet.subarray(0, 8));
    const rest = packet.subarray(8, bodyEnd);
    plain.set(encrypted ? ctrXor(this.#rtcp.enc, packetIv(this.#rtcp.salt, ssrc, index), rest) : rest, 8);
    if (!replay) {
      replay = new ReplayWindow(this.#windowSize);
      this.#rtcpReplay.set(ssrc, replay);
    }
    replay.accept(index);
    return { ok: true, packet: plain };
  }

  private rtcpTag(authenticated: Uint8Array): Buffer {
    return createHmac('sha1', this.#rtcp.auth).update(authenticated).digest().subarray(0, this.#tags.rtcp);
  }

  // keys stay out of logs, errors and dumps
  [inspect.custom](): string {
    return `SrtpContext { suite: '${this.suite}' }`;
  }
  toJSON(): { suite: SrtpSuite } {
    return { suite: this.suite };
  }
  toString(): string {
    return `SrtpContext(${this.suite})`;
  }
}

function fingerprint(keyAndSalt: Uint8Array): Buffer {
  return createHash('sha256').update(keyAndSalt).digest();
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
