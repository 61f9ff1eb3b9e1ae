// The URI value types (sip/sips, tel, any other absolute URI), each with its own serialisation.
import { unescape } from './chars.js';
import { Params } from './params.js';

/** sip: / sips: URI (RFC 3261 §19.1). Textual parts are kept escaped, as written. */
export class SipUri {
  readonly kind = 'sip' as const;
  scheme: 'sip' | 'sips';
  user: string | undefined;
  password: string | undefined;
  /** Host as written; an IPv6 reference keeps its brackets. */
  host: string;
  port: number | undefined;
  params: Params;
  headers: Params;

  constructor(init: {
    scheme?: 'sip' | 'sips';
    user?: string | undefined;
    password?: string | undefined;
    host: string;
    port?: number | undefined;
    params?: Params;
    headers?: Params;
  }) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
    this.headers = init.headers ?? new Params();
  }

  /** The user part with %HH escapes resolved once (octets as a binary string). */
  get userDecoded(): string | undefined {
    return this.user === undefined ? undefined : unescape(this.user);
  }
  /** Host without IPv6 brackets, lower-cased — what you connect to. */
  get hostname(): string {
    const h = this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
    return h.toLowerCase();
  }
  get transport(): string | undefined {
    const t = this.params.get('transport');
    return t ? t.toLowerCase() : undefined;
  }
  get lr(): boolean {
    return this.params.has('lr');
  }
  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }
  /** The decoded value of an embedded header (`?Replaces=...`), if present. */
  header(name: string): string | undefined {
    const v = this.headers.get(name);
    return v === undefined || v === null ? undefined : unescape(v);
  }
  clone(): SipUri {
    return new SipUri({
      scheme: this.scheme,
      user: this.user,
      password: this.password,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
      headers: this.headers.clone(),
    });
  }
  /** Host and port as `host:port` (port only if set). */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }
  toString(): string {
    let s = this.scheme + ':';
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.hostport;
    s += this.params.toString();
    if (this.headers.size > 0) {
      s += '?' + this.headers.list.map((h) => `${h.name}=${h.value ?? ''}`).join('&');
    }
    return s;
  }
  toJSON(): unknown {
    return {
      scheme: this.scheme,
      user: this.user,
      password: this.password === undefined ? undefined : '***',
      host: this.host,
      port: this.port,
      params: this.params.toJSON(),
      headers: this.headers.size ? this.headers.toJSON() : undefined,
    };
  }
}

/** tel: URI (RFC 3966): the number and its parameters. */
export class TelUri {
  readonly kind = 'tel' as const;
  readonly scheme = 'tel';
  constructor(
    public number: string,
    public params: Params = new Params(),
  ) {}
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }
  clone(): TelUri {
    return new TelUri(this.number, this.params.clone());
  }
  toString(): string {
    return `tel:${this.number}${this.params.toString()}`;
  }
  toJSON(): unknown {
    return { scheme: 'tel', number: this.number, params: this.params.toJSON() };
  }
}

/** Any other absolute URI (RFC 3986): kept opaque. */
export class AbsoluteUri {
  readonly kind = 'absolute' as const;
  constructor(
    public scheme: string,
    public opaque: string,
  ) {}
  clone(): AbsoluteUri {
    return new AbsoluteUri(this.scheme, this.opaque);
  }
  toString(): string {
    return `${this.scheme}:${this.opaque}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, opaque: this.opaque };
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;
