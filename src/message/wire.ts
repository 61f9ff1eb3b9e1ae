/**
 * The header section is handled as a "binary string" (latin1: one char per octet) so that
 * any octet, including invalid UTF-8, survives parse and re-serialisation unchanged.
 * Text meant for people (display names, reason phrases, warning text) is converted here.
 */
const NON_ASCII = /[\x80-\xff]/;
const NON_LATIN_WIRE = /[^\x00-\x7f]/;

/** Wire (latin1 octets) → JS string, decoding UTF-8 where present. */
export function fromWire(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/**
 * A copy of `s` that shares no storage with the text it was cut from. V8 keeps a substring of 13
 * chars or more as a view of its parent string: a branch or a transaction key kept for 32 s would
 * keep the whole message's text alive. (slice flattens the concatenation into a new string first.)
 */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** JS string → wire (latin1 octets), encoding non-ASCII as UTF-8. */
export function toWire(s: string): string {
  return NON_LATIN_WIRE.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}
