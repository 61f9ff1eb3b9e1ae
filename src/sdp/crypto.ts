/**
 * SDES key exchange for SRTP (RFC 4568): the a=crypto attribute, master key generation, and the
 * choice of a crypto line in offer/answer (§7.1). Keys are wrapped in SdesKey, whose inspect,
 * JSON and string forms are redacted, so a logged state or error never shows one.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** The suites we implement (RFC 4568 §6.2.1, §6.2.2). */
export type CryptoSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
export const CRYPTO_SUITES: readonly CryptoSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
/** 128-bit master key + 112-bit master salt (RFC 4568 §6.2.1). */
export const SDES_KEY_LENGTH = 30;

/** SRTP policy of a session: none, offered alongside plain RTP, or required (RTP/SAVP only). */
export type SrtpPolicy = 'off' | 'offer' | 'require';

/** Master key and salt. The bytes are reachable only through bytes(). */
export class SdesKey {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }
  get length(): number {
    return this.#bytes.length;
  }
  /** A copy of the key and salt. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
  equals(other: SdesKey): boolean {
    const o = other.#bytes;
    return o.length === this.#bytes.length && o.every((b, i) => b === this.#bytes[i]);
  }
  /** base64 as carried in `inline:` (RFC 4568 §6.1); for the SDP only, never for logs. */
  toBase64(): string {
    return Buffer.from(this.#bytes).toString('base64');
  }
  [inspect.custom](): string {
    return 'SdesKey(<redacted>)';
  }
  toJSON(): string {
    return '<redacted>';
  }
  toString(): string {
    return 'SdesKey(<redacted>)';
  }
}

/** A fresh random master key and salt from the system CSPRNG. */
export function generateSdesKey(): SdesKey {
  return new SdesKey(randomBytes(SDES_KEY_LENGTH));
}

export interface CryptoKeyParam {
  key: SdesKey;
  /** `2^31` or `1048576` as written. */
  lifetime?: string;
  /** Master key identifier value and its length in octets (1-128). */
  mki?: { value: string; length: number };
}

/** `a=crypto:<tag> <suite> <key-params> [<session-params>]` (RFC 4568 §9.1). */
export interface CryptoAttribute {
  tag: number;
  /** Kept as written; only CRYPTO_SUITES are usable. */
  suite: string;
  keys: CryptoKeyParam[];
  sessionParams: string[];
}

const MAX_VALUE = 1024;
const MAX_KEYS = 16;

/** Parse an a=crypto value; undefined when it does not follow RFC 4568 §9.1. */
export function parseCrypto(value: string): CryptoAttribute | undefined {
  if (value.length > MAX_VALUE) return undefined;
  const parts = value.trim().split(/[ \t]+/);
  if (parts.length < 3) return undefined;
  const [tagText, suite, keyText, ...sessionParams] = parts as [string, string, string, ...string[]];
  if (!/^[0-9]{1,9}$/.test(tagText) || !/^[A-Za-z0-9_]+$/.test(suite)) return undefined;
  const keyParts = keyText.split(';');
  if (keyParts.length > MAX_KEYS) return undefined;
  const keys: CryptoKeyParam[] = [];
  for (const kp of keyParts) {
    const k = parseKeyParam(kp);
    if (!k) return undefined;
    keys.push(k);
  }
  return { tag: Number(tagText), suite, keys, sessionParams };
}

function parseKeyParam(text: string): CryptoKeyParam | undefined {
  const m = /^inline:([A-Za-z0-9+/]+={0,2})((?:\|[^|]*){0,2})$/.exec(text);
  if (!m) return undefined;
  const keyBytes = Buffer.from(m[1]!, 'base64');
  // the base64 must decode exactly (RFC 4648 §3.2); Buffer silently skips bad tails
  if (keyBytes.length === 0 || keyBytes.toString('base64').replace(/=+$/, '') !== m[1]!.replace(/=+$/, ''))
    return undefined;
  const out: CryptoKeyParam = { key: new SdesKey(keyBytes) };
  for (const field of m[2]!.split('|').slice(1)) {
    const mki = /^([0-9]{1,20}):([0-9]{1,3})$/.exec(field);
    if (mki) {
      const length = Number(mki[2]);
      if (out.mki || length < 1 || length > 128) return undefined;
      out.mki = { value: mki[1]!, length };
    } else if (/^(2\^)?[0-9]{1,20}$/.test(field) && !out.lifetime && !out.mki) out.lifetime = field;
    else return undefined;
  }
  return out;
}

/** SDP text with every `inline:` key replaced, for logs and traces (RFC 4568 §8.3: keys stay secret). */
export function redactSdpKeys(sdp: string): string {
  return sdp.replace(/inline:[A-Za-z0-9+/=]+/g, 'inline:<redacted>');
}

export function formatCrypto(a: CryptoAttribute): string {
  const keys = a.keys.map(
    (k) =>
      `inline:${k.key.toBase64()}` +
      (k.lifetime !== undefined ? `|${k.lifetime}` : '') +
      (k.mki ? `|${k.mki.value}:${k.mki.length}` : ''),
  );
  return [String(a.tag), a.suite, keys.join(';'), ...a.sessionParams].join(' ');
}

function isSuite(s: string): s is CryptoSuite {
  return (CRYPTO_SUITES as readonly string[]).includes(s);
}

/**
 * Whether we can use a crypto line: a suite we implement, one key of the suite's length, no MKI
 * (our SRTP has none), and no session parameters (RFC 4568 §6.3: an unknown one makes the line
 * unusable, and we implement none).
 */
function usable(a: CryptoAttribute, suites: readonly CryptoSuite[]): a is CryptoAttribute & { suite: CryptoSuite } {
  return (
    isSuite(a.suite) &&
    suites.includes(a.suite) &&
    a.keys.length === 1 &&
    a.keys[0]!.key.length === SDES_KEY_LENGTH &&
    !a.keys[0]!.mki &&
    a.sessionParams.length === 0
  );
}

/** What SDES agreed: the suite, our key (we send with it) and the peer's (we receive with it). */
export interface SdesAgreement {
  suite: CryptoSuite;
  tag: number;
  localKey: SdesKey;
  remoteKey: SdesKey;
}

/** Our crypto lines for an offer: one per suite, in preference order, tags from 1. */
export function offerCrypto(suites: readonly CryptoSuite[], keyFor: (s: CryptoSuite) => SdesKey): CryptoAttribute[] {
  return suites.map((suite, i) => ({ tag: i + 1, suite, keys: [{ key: keyFor(suite) }], sessionParams: [] }));
}

/**
 * The answerer's choice (RFC 4568 §7.1.2): the first usable line of the offer, in the offerer's
 * order. Returns our answer line (same tag and suite, our key) and the agreement, or undefined.
 */
export function answerCrypto(
  offeredValues: readonly string[],
  suites: readonly CryptoSuite[],
  keyFor: (s: CryptoSuite) => SdesKey,
): { line: CryptoAttribute; agreement: SdesAgreement } | undefined {
  for (const v of offeredValues) {
    const a = parseCrypto(v);
    if (!a || !usable(a, suites)) continue;
    const localKey = keyFor(a.suite);
    return {
      line: { tag: a.tag, suite: a.suite, keys: [{ key: localKey }], sessionParams: [] },
      agreement: { suite: a.suite, tag: a.tag, localKey, remoteKey: a.keys[0]!.key },
    };
  }
  return undefined;
}

/**
 * The offerer's reading of the answer (RFC 4568 §7.1.3): one crypto line whose tag and suite are
 * those of a line we offered. Undefined when the answer has none usable.
 */
export function acceptCrypto(
  offered: readonly CryptoAttribute[],
  answerValues: readonly string[],
): SdesAgreement | undefined {
  for (const v of answerValues) {
    const a = parseCrypto(v);
    if (!a) continue;
    const mine = offered.find((o) => o.tag === a.tag && o.suite === a.suite);
    if (!mine || !isSuite(mine.suite) || !usable(a, [mine.suite])) continue;
    return { suite: mine.suite, tag: a.tag, localKey: mine.keys[0]!.key, remoteKey: a.keys[0]!.key };
  }
  return undefined;
}
