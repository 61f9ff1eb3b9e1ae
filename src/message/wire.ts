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

/** JS string → wire (latin1 octets), encoding non-ASCII as UTF-8. */
export function toWire(s: string): string {
  return NON_LATIN_WIRE.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}
