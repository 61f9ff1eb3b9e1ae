import { CHAR, TOKEN } from '../chars.js';
import { Params, type Param } from '../params.js';
import { lwsEndB, tokenEndB, type Scanner } from '../scanner.js';

/**
 * `*( SEMI generic-param )` (RFC 3261 §25.1): name is a token; the value is a token, a host
 * (IPv6 references and bare IPv6 in Via `received`, RFC 5118 §4.5) or a quoted string, kept
 * as written (quotes included) so the header serialises unchanged. Stops at ',' or the end.
 */
export function parseGenericParams(sc: Scanner): Params {
  const s = sc.s;
  const { b, o } = sc;
  // positions are in b (reads bounded by `end`); fields are cut from s at (position - o)
  const end = o + s.length;
  const list: Param[] = [];
  let p = o + sc.pos;
  for (;;) {
    let q = lwsEndB(b, p, end);
    if (q >= end || b[q] !== 59 /* ; */) break;
    q = lwsEndB(b, q + 1, end);
    const ns = q;
    q = tokenEndB(b, q, end);
    if (q === ns) {
      sc.pos = q - o;
      sc.fail('expected parameter name');
    }
    const name = s.slice(ns - o, q - o);
    let value: string | null = null;
    let r = lwsEndB(b, q, end);
    if (r < end && b[r] === 61 /* = */) {
      r = lwsEndB(b, r + 1, end);
      const vs = r;
      if (r < end && b[r] === 34) {
        sc.pos = r - o;
        sc.skipQuoted();
        r = sc.pos + o;
      } else {
        while (r < end && GEN_VALUE[b[r]!] === 1) r++;
        if (r === vs) {
          sc.pos = r - o;
          sc.fail(`empty value for parameter "${name}"`);
        }
      }
      value = s.slice(vs - o, r - o);
      p = r;
    } else p = q;
    list.push({ name, value });
  }
  // trailing LWS is consumed, as Scanner.ws() after each parameter did
  sc.pos = (list.length ? lwsEndB(b, p, end) : p) - o;
  return new Params(list);
}

/**
 * The common form of `*( SEMI generic-param )` in one pass: no LWS, token names, token/host
 * values (no quoted strings). Parameters go to `list`; returns where the run stops (the first octet
 * that does not start another parameter), or -1 where the general scanner must decide (an empty
 * name or value). Positions are in b; fields are cut from s at (position - o).
 */
export function simpleParamsEnd(s: string, b: Uint8Array, o: number, p: number, end: number, list: Param[]): number {
  while (p < end && b[p] === 59 /* ; */) {
    const ns = ++p;
    while (p < end && CHAR[b[p]!]! & TOKEN) p++;
    if (p === ns) return -1;
    const name = s.slice(ns - o, p - o);
    let value: string | null = null;
    if (p < end && b[p] === 61 /* = */) {
      const vs = ++p;
      while (p < end && GEN_VALUE[b[p]!] === 1) p++;
      if (p === vs) return -1;
      value = s.slice(vs - o, p - o);
    }
    list.push({ name, value });
  }
  return p;
}

/** gen-value octets outside quotes: token, plus ':' '[' ']' for IPv6 hosts (RFC 5118 §4.5). */
export const GEN_VALUE = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (CHAR[c]! & TOKEN || c === 58 || c === 91 || c === 93) GEN_VALUE[c] = 1;

/** The value of a parameter with surrounding quotes and quoted-pairs removed. */
export function unquote(v: string | null | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** Quote a string for use as a quoted-string (RFC 3261 §25.1). */
export function quote(v: string): string {
  return '"' + v.replace(/(["\\])/g, '\\$1') + '"';
}
