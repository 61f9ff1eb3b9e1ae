import { CHAR, TOKEN } from '../chars.js';
import { Params } from '../params.js';
import type { Scanner } from '../scanner.js';

/**
 * `*( SEMI generic-param )` (RFC 3261 §25.1): name is a token; the value is a token, a host
 * (IPv6 references and bare IPv6 in Via `received`, RFC 5118 §4.5) or a quoted string, kept
 * as written (quotes included) so the header serialises unchanged. Stops at ',' or the end.
 */
export function parseGenericParams(sc: Scanner): Params {
  const params = new Params();
  for (;;) {
    const save = sc.pos;
    if (!sc.eat(59 /* ; */)) {
      sc.pos = save;
      break;
    }
    const name = sc.token('parameter name');
    let value: string | null = null;
    if (sc.eat(61 /* = */)) {
      if (sc.peek() === 34) {
        const start = sc.pos;
        sc.quoted();
        value = sc.s.slice(start, sc.pos);
      } else {
        const start = sc.pos;
        while (!sc.atEnd) {
          const c = sc.peek();
          if (c === 58 || c === 91 || c === 93 || (c < 256 && CHAR[c]! & TOKEN)) sc.pos++;
          else break;
        }
        if (sc.pos === start) sc.fail(`empty value for parameter "${name}"`);
        value = sc.s.slice(start, sc.pos);
      }
    }
    params.list.push({ name, value });
    sc.ws();
  }
  return params;
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
