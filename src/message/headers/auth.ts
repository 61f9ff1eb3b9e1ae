import { SipParseError } from '../errors.js';
import { Params } from '../params.js';
import { Scanner } from '../scanner.js';
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
export function buildAuthHeader(scheme: string, values: Record<string, string | undefined>, unquoted: string[] = ['algorithm', 'nc', 'stale']): AuthHeader {
  const params = new Params();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    params.list.push({ name: k, value: unquoted.includes(k) ? v : quote(v) });
  }
  return new AuthHeader(scheme, params);
}

export function parseAuth(value: string, b?: Uint8Array, o = 0): AuthHeader {
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
        v = sc.until(',').trim();
        if (!v) sc.fail(`empty value for auth-param "${name}"`, st);
      }
    }
    params.list.push({ name, value: v });
    sc.ws();
    if (sc.atEnd) break;
    if (!sc.eat(44)) sc.fail('expected "," between auth-params');
  }
  if (params.size === 0 && scheme.toLowerCase() === 'digest') throw new SipParseError('Digest without parameters', sc.pos);
  return new AuthHeader(scheme, params);
}
