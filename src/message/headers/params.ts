import { CHAR, TOKEN } from '../chars.js';
import { Params, type Param } from '../params.js';
import type { Scanner } from '../scanner.js';

/**
 * `*( SEMI generic-param )` (RFC 3261 §25.1): name is a token; the value is a token, a host
 * (IPv6 references and bare IPv6 in Via `received`, RFC 5118 §4.5) or a quoted string, kept
 * as written (quotes included) so the header serialises unchanged. Stops at ',' or the end.
 */
export function parseGenericParams(sc: Scanner): Params {
  const s = sc.s;
  const end = s.length;
  const list: Param[] = [];
  let p = sc.pos;
  // reads past the end give -1, never NaN: keeps `c` a small integer for the optimiser
  for (;;) {
    let q = p;
    let c = q < end ? s.charCodeAt(q) : -1;
    while (c === 32 || c === 9) c = ++q < end ? s.charCodeAt(q) : -1;
    if (c !== 59 /* ; */) break;
    c = ++q < end ? s.charCodeAt(q) : -1;
    while (c === 32 || c === 9) c = ++q < end ? s.charCodeAt(q) : -1;
    const ns = q;
    while (c >= 0 && c < 256 && CHAR[c]! & TOKEN) c = ++q < end ? s.charCodeAt(q) : -1;
    if (q === ns) {
      sc.pos = q;
      sc.fail('expected parameter name');
    }
    const name = s.slice(ns, q);
    let value: string | null = null;
    let r = q;
    while (c === 32 || c === 9) c = ++r < end ? s.charCodeAt(r) : -1;
    if (c === 61 /* = */) {
      c = ++r < end ? s.charCodeAt(r) : -1;
      while (c === 32 || c === 9) c = ++r < end ? s.charCodeAt(r) : -1;
      const vs = r;
      if (c === 34) {
        sc.pos = r;
        sc.skipQuoted();
        r = sc.pos;
      } else {
        while (c === 58 || c === 91 || c === 93 || (c >= 0 && c < 256 && CHAR[c]! & TOKEN)) c = ++r < end ? s.charCodeAt(r) : -1;
        if (r === vs) {
          sc.pos = r;
          sc.fail(`empty value for parameter "${name}"`);
        }
      }
      value = s.slice(vs, r);
      p = r;
    } else p = q;
    list.push({ name, value });
  }
  // trailing LWS is consumed, as Scanner.ws() after each parameter did
  let q = p;
  while (q < end && (s.charCodeAt(q) === 32 || s.charCodeAt(q) === 9)) q++;
  sc.pos = list.length ? q : p;
  return new Params(list);
}

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
