// Media types: Content-Type (RFC 3261 §20.15) and Accept (§20.1), with a one-pass path for the
// common forms.
import { latin1Bytes, lowerAscii } from '../chars.js';
import { SipParseError } from '../errors.js';
import { Params, type Param } from '../params.js';
import { LIST_END, Scanner, listNextB, splitList, tokenEndB, trimLws } from '../scanner.js';
import { parseGenericParams, simpleParamsEnd } from './params.js';

export interface MediaType {
  type: string;
  subtype: string;
  params: Params;
}

function parseMedia(sc: Scanner): MediaType {
  sc.ws();
  const type = sc.token('media type').toLowerCase();
  sc.expect(47, '"/"');
  const subtype = sc.token('media subtype').toLowerCase();
  const params = parseGenericParams(sc);
  return { type, subtype, params };
}

export function mediaTypeToString(m: MediaType): string {
  return `${m.type}/${m.subtype}${m.params.toString()}`;
}

/**
 * `type "/" subtype *(";" param)` from b[p] in one pass: tokens, no LWS, token/host parameter
 * values. Pushes the media type onto `out` and returns where it stopped; -1 (nothing pushed)
 * where parseMedia must decide (it accepts a superset and names faults).
 */
function simpleMedia(s: string, b: Uint8Array, o: number, p: number, E: number, out: MediaType[]): number {
  const ts = p;
  p = tokenEndB(b, p, E);
  if (p === ts || p >= E || b[p] !== 47 /* / */) return -1;
  const ss = ++p;
  p = tokenEndB(b, p, E);
  if (p === ss) return -1;
  const list: Param[] = [];
  const pe = simpleParamsEnd(s, b, o, p, E, list);
  if (pe < 0) return -1;
  out.push({
    type: lowerAscii(s.slice(ts - o, ss - 1 - o)),
    subtype: lowerAscii(s.slice(ss - o, p - o)),
    params: new Params(list),
  });
  return pe;
}

/** Content-Type (RFC 3261 §20.15). */
export function parseContentType(value: string, b?: Uint8Array, o = 0): MediaType {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  const E = base + value.length;
  const one: MediaType[] = [];
  if (simpleMedia(value, bytes, base, base, E, one) === E) return one[0]!;
  const sc = new Scanner(value, bytes, base);
  const g = parseMedia(sc);
  sc.end('Content-Type');
  return g;
}

/** Accept (RFC 3261 §20.1): media ranges; an empty value is allowed. */
export function parseAccept(value: string, b?: Uint8Array, o = 0): MediaType[] {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  const E = base + value.length;
  // the common list in one pass: media types separated by LWS "," LWS
  const out: MediaType[] = [];
  for (let p = base; p >= 0;) {
    const pe = simpleMedia(value, bytes, base, p, E, out);
    if (pe < 0) break;
    p = listNextB(bytes, pe, E);
    if (p === LIST_END) return out;
  }
  if (trimLws(value).length === 0) return [];
  return splitList(value).map((p) => {
    const sc = new Scanner(p.text, b, o + p.offset);
    try {
      const m = parseMedia(sc);
      sc.end('Accept');
      return m;
    } catch (e) {
      throw new SipParseError((e as SipParseError).reason, p.offset + (e as SipParseError).offset);
    }
  });
}
