import { COMPACT_FORMS, KNOWN_KEYS } from './header-names.js';

/**
 * Small integer ids for the headers the message layer types. The parser classifies each
 * header line by id straight from the bytes (no string, no Map lookup), so finding "the Via
 * lines" later is an integer compare per line.
 */
export { KNOWN_KEYS };

export type KnownKey = (typeof KNOWN_KEYS)[number];

/** id by canonical lower-case key; -1 for headers the layer keeps untyped. */
export function headerId(key: string): number {
  return ID_BY_KEY.get(key) ?? -1;
}
const ID_BY_KEY = new Map<string, number>(KNOWN_KEYS.map((k, i) => [k, i]));

/** A table by header id, true for the named headers (canonical lower-case keys): ParseOptions.eager. */
export function headerIdSet(keys: readonly string[]): readonly boolean[] {
  const set = KNOWN_KEYS.map(() => false);
  for (const k of keys) {
    const id = headerId(k);
    if (id < 0) throw new Error(`no typed parser for header "${k}"`);
    set[id] = true;
  }
  return set;
}

export const ID_VIA = 0;
export const ID_CONTENT_LENGTH = 11;

/**
 * The key of a header name for the lookup table: its length and its first and last octets,
 * lower-cased. Cheaper than hashing every octet while scanning; the known names differ in it.
 */
function nameKey(len: number, first: number, last: number): number {
  return ((len * 31 + (first | 0x20)) * 31 + (last | 0x20)) & MASK;
}

const BITS = 9;
const MASK = (1 << BITS) - 1;
/** Open-addressed table: name key slot → id (or -1). */
const SLOTS = new Int16Array(1 << BITS).fill(-1);
for (let id = 0; id < KNOWN_KEYS.length; id++) {
  const k = KNOWN_KEYS[id]!;
  let slot = nameKey(k.length, k.charCodeAt(0), k.charCodeAt(k.length - 1));
  while (SLOTS[slot] !== -1) slot = (slot + 1) & MASK;
  SLOTS[slot] = id;
}
/** Each key's octets (a byte compare is cheaper than charCodeAt per char). */
const KEY_OCTETS = KNOWN_KEYS.map((k) => Uint8Array.from(k, (ch) => ch.charCodeAt(0)));
/** Compact form letter (lower-case char code) → id. */
const COMPACT_ID = new Int16Array(128).fill(-1);
for (const [letter, key] of Object.entries(COMPACT_FORMS)) COMPACT_ID[letter.charCodeAt(0)] = ID_BY_KEY.get(key) ?? -1;

/**
 * Id of the header name at buf[start, end) (case-insensitive; compact forms included). -1 when it
 * is not one of KNOWN_KEYS.
 */
export function classifyName(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 1) {
    const c = buf[start]! | 0x20;
    return c < 128 ? COMPACT_ID[c]! : -1;
  }
  let slot = nameKey(len, buf[start]!, buf[end - 1]!);
  for (;;) {
    const id = SLOTS[slot]!;
    if (id < 0) return -1;
    const k = KEY_OCTETS[id]!;
    if (k.length === len) {
      let i = 0;
      while (i < len && (buf[start + i]! | 0x20) === k[i]) i++;
      if (i === len) return id;
    }
    slot = (slot + 1) & MASK;
  }
}
