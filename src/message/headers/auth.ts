import { CHAR, TOKEN, latin1Bytes } from '../chars.js';
import { SipParseError } from '../errors.js';
import { Params, type Param } from '../params.js';
import { Scanner, lwsEndB, tokenEndB, trimLws } from '../scanner.js';
import { quote, unquote } from './params.js';

/**
 * A challenge (WWW-Authenticate, Proxy-Authenticate) or credentials (Authorization,
 * Proxy-Authorization): `scheme` then comma-separated auth-params (RFC 3261 §25.1, RFC 7616).
 * These headers are never comma-combined across lines (RFC 3261 §7.3.1).
 */
export class AuthHeader {
  constructor(
    public scheme: string,
    public params: Params,
  ) {}
  /** A parameter's value with quotes removed. */
  get(name: string): string | undefined {
    return unquote(this.params.get(name));
  }
  get realm(): string | undefined {
    return this.get('realm');
  }
  get nonce(): string | undefined {
    return this.get('nonce');
  }
  get algorithm(): string | undefined {
    return this.get('algorithm');
  }
  toString(): string {
    return `${this.scheme} ${this.params.list.map((p) => (p.value === null ? p.name : `${p.name}=${p.value}`)).join(', ')}`;
  }
  toJSON(): unknown {
    const o: Record<string, string | undefined> = {};
    // never print secrets: response and cnonce are hashes/nonces, but still keep them out of logs
    for (const p of this.params) o[p.name] = /^(response|cnonce)$/i.test(p.name) ? '***' : unquote(p.value);
    return { scheme: this.scheme, params: o };
  }
}

/** Build an auth header from plain values; `unquoted` names are written as tokens (algorithm, qop in credentials, nc, stale). */
export function buildAuthHeader(
  scheme: string,
  values: Record<string, string | undefined>,
  unquoted: string[] = ['algorithm', 'nc', 'stale'],
): AuthHeader {
  const params = new Params();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    params.list.push({ name: k, value: unquoted.includes(k) ? v : quote(v) });
  }
  return new AuthHeader(scheme, params);
}

export function parseAuth(value: string, b?: Uint8Array, o = 0): AuthHeader {
  const bytes = b ?? latin1Bytes(value);
  const base = b ? o : 0;
  return fastAuth(value, bytes, base) ?? authGeneral(value, bytes, base);
}

/**
 * The common form in one pass over the octets (value[i] === b[o + i]): `scheme LWS` then
 * `name=token` or `name="quoted"` (no quoted-pair) separated by commas, LWS only before and after
 * a comma. Anything else, and any fault, gives undefined: authGeneral accepts a superset and names
 * the fault. (The general scanner's cursor and list search were most of a REGISTER's or a 401's
 * parse.)
 *
 * @internal exported for the equivalence test
 */
export function fastAuth(value: string, b: Uint8Array, o: number): AuthHeader | undefined {
  const E = o + value.length;
  let p = tokenEndB(b, o, E);
  if (p === o || p >= E || (b[p] !== 32 && b[p] !== 9)) return undefined;
  const scheme = value.slice(0, p - o);
  p = lwsEndB(b, p, E);
  if (p >= E) return undefined;
  const list: Param[] = [];
  for (;;) {
    const ns = p;
    while (p < E && CHAR[b[p]!]! & TOKEN) p++;
    if (p === ns || p >= E || b[p] !== 61 /* = */) return undefined;
    const name = value.slice(ns - o, p - o);
    const vs = ++p;
    if (p < E && b[p] === 34 /* " */) {
      for (p++; p < E; p++) {
        const c = b[p]!;
        if (c === 34) break;
        if (c === 92 || (c < 32 && c !== 9)) return undefined;
      }
      if (p >= E) return undefined;
      p++;
    } else {
      while (p < E && CHAR[b[p]!]! & TOKEN) p++;
      if (p === vs) return undefined;
    }
    list.push({ name, value: value.slice(vs - o, p - o) });
    p = lwsEndB(b, p, E);
    if (p >= E) break;
    if (b[p] !== 44 /* , */) return undefined;
    p = lwsEndB(b, p + 1, E);
    if (p >= E) return undefined;
  }
  return new AuthHeader(scheme, new Params(list));
}

/** @internal exported for the equivalence test */
export function authGeneral(value: string, b: Uint8Array, o: number): AuthHeader {
  const sc = new Scanner(value, b, o);
  sc.ws();
  const scheme = sc.token('auth scheme');
  const params = new Params();
  sc.ws();
  while (!sc.atEnd) {
    const name = sc.token('auth-param name');
    let v: string | null = null;
    if (sc.eat(61)) {
      if (sc.peek() === 34) {
        const st = sc.pos;
        sc.skipQuoted();
        v = sc.s.slice(st, sc.pos);
      } else {
        const st = sc.pos;
        v = trimLws(sc.until(','));
        if (!v) sc.fail(`empty value for auth-param "${name}"`, st);
      }
    }
    params.list.push({ name, value: v });
    sc.ws();
    if (sc.atEnd) break;
    if (!sc.eat(44)) sc.fail('expected "," between auth-params');
  }
  if (params.size === 0 && scheme.toLowerCase() === 'digest')
    throw new SipParseError('Digest without parameters', sc.pos);
  return new AuthHeader(scheme, params);
}
