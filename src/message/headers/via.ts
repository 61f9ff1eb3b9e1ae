import { SipParseError } from '../errors.js';
import { Params } from '../params.js';
import { Scanner, splitList } from '../scanner.js';
import { parseHostPort } from '../uri.js';
import { parseGenericParams } from './params.js';

/** RFC 3261 §17.1.1.3: branches of RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** One Via value (RFC 3261 §20.42, RFC 3581 rport, RFC 5118 IPv6). */
export class Via {
  protocol: string;
  version: string;
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;

  constructor(init: { transport: string; host: string; port?: number | undefined; params?: Params; protocol?: string; version?: string }) {
    this.protocol = init.protocol ?? 'SIP';
    this.version = init.version ?? '2.0';
    this.transport = init.transport.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
  }
  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }
  set branch(v: string | undefined) {
    if (v === undefined) this.params.delete('branch');
    else this.params.set('branch', v);
  }
  /** True when the branch starts with the RFC 3261 magic cookie and has something after it. */
  get isRfc3261Branch(): boolean {
    const b = this.branch;
    return b !== undefined && b.length > MAGIC_COOKIE.length && b.startsWith(MAGIC_COOKIE);
  }
  get received(): string | undefined {
    return this.params.get('received') ?? undefined;
  }
  /** `rport` as requested (`true` flag) or filled in (number). */
  get rport(): number | true | undefined {
    const v = this.params.get('rport');
    if (v === undefined) return undefined;
    return v === null ? true : Number(v);
  }
  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }
  get ttl(): number | undefined {
    const v = this.params.get('ttl');
    return v ? Number(v) : undefined;
  }
  /** Host without IPv6 brackets. */
  get hostname(): string {
    return this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
  }
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }
  clone(): Via {
    return new Via({ protocol: this.protocol, version: this.version, transport: this.transport, host: this.host, port: this.port, params: this.params.clone() });
  }
  toString(): string {
    return `${this.protocol}/${this.version}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }
  toJSON(): unknown {
    return {
      protocol: `${this.protocol}/${this.version}`,
      transport: this.transport,
      host: this.host,
      port: this.port,
      branch: this.branch,
      received: this.received,
      rport: this.rport,
      maddr: this.maddr,
      ttl: this.ttl,
      params: this.params.toJSON(),
    };
  }
}

function parseOne(value: string): Via {
  const sc = new Scanner(value);
  sc.ws();
  const protocol = sc.token('protocol name');
  sc.expect(47, '"/"');
  const version = sc.token('protocol version');
  sc.expect(47, '"/"');
  const transport = sc.token('transport');
  const beforeWs = sc.pos;
  sc.ws();
  if (sc.pos === beforeWs) sc.fail('expected LWS before sent-by');
  const hpStart = sc.pos;
  // sent-by runs to ';' or LWS; an IPv6 reference is bracketed so it holds no ';'
  while (!sc.atEnd && sc.peek() !== 59 && sc.peek() !== 32 && sc.peek() !== 9) sc.pos++;
  let hp: { host: string; port: number | undefined };
  try {
    hp = parseHostPort(value.slice(hpStart, sc.pos).replace(/[ \t]*:[ \t]*/, ':'));
  } catch (e) {
    throw new SipParseError((e as SipParseError).reason ?? 'invalid sent-by', hpStart + ((e as SipParseError).offset ?? 0));
  }
  const params = parseGenericParams(sc);
  sc.ws();
  if (!sc.atEnd) sc.fail('unexpected character in Via');
  for (const p of params) {
    const n = p.name.toLowerCase();
    if (n === 'ttl' && (p.value === null || !/^\d{1,3}$/.test(p.value) || Number(p.value) > 255)) sc.fail('invalid ttl');
    if (n === 'rport' && p.value !== null && (!/^\d{1,5}$/.test(p.value) || Number(p.value) > 65535)) sc.fail('invalid rport');
    if (n === 'branch' && (p.value === null || p.value.length === 0)) sc.fail('empty branch');
  }
  return new Via({ protocol, version, transport, host: hp.host, port: hp.port, params });
}

export function parseVia(value: string): Via[] {
  const out: Via[] = [];
  for (const part of splitList(value)) {
    if (part.text.length === 0) throw new SipParseError('empty Via value', part.offset);
    try {
      out.push(parseOne(part.text));
    } catch (e) {
      if (e instanceof SipParseError) throw new SipParseError(e.reason, e.offset + part.offset);
      throw e;
    }
  }
  return out;
}
