// SipMessage: the typed header getters and serialisation, over the typed and untyped access layers.
import { SipParseError } from './errors.js';
import { ID_VIA } from './header-ids.js';
import { type AuthHeader } from './headers/auth.js';
import { type NameAddr } from './headers/name-addr.js';
import {
  type CSeq,
  type MediaType,
  type Reason,
  type Replaces,
  type RetryAfter,
  type SubscriptionState,
  type TokenWithParams,
  type Warning,
} from './headers/simple.js';
import { Via, parseVia } from './headers/via.js';
import { splitList } from './scanner.js';
import * as specs from './header-specs.js';
import { TypedAccess } from './typed-access.js';

// same-module copies of the marks every getter reads (see typed-access.ts)
const { NO_CACHE, NONE } = specs;

export abstract class SipMessage extends TypedAccess {
  abstract get isRequest(): boolean;
  abstract startLine(): string;

  get via(): readonly Via[] {
    return this.typedId<Via[]>(ID_VIA) ?? NONE;
  }
  /** The first Via value only (a proxy or transaction needs no more): parsed on its own, cached. */
  get topVia(): Via | undefined {
    const all = this.tcache?.[ID_VIA];
    if (all !== undefined) return all === NO_CACHE ? undefined : (all as Via[])[0];
    if (this.topViaCache) return this.topViaCache;
    let value: string | undefined;
    let offset = 0;
    let bytes: Uint8Array | undefined;
    const head = this.head;
    if (head) {
      const r = this.findLine(ID_VIA, 0);
      if (r >= 0) {
        // (the rest of the line is not parsed here: it is still searched for a bare CR)
        value = this.valueAt(r, this.foundAfter);
        offset = head.base + this.readVs;
        bytes = this.readBytes;
      }
    } else {
      const h = this._headers!.find((f) => f.key === 'via');
      if (h) {
        value = h.value;
        offset = Math.max(h.offset, 0);
      }
    }
    if (value === undefined) return undefined;
    let v: Via;
    try {
      if (value.indexOf(',') < 0) v = parseVia(value, bytes, offset)[0]!;
      else {
        const first = splitList(value)[0]!;
        v = parseVia(first.text, bytes, offset + first.offset)[0]!;
      }
    } catch (e) {
      throw SipParseError.within(e, offset, 'Via');
    }
    return (this.topViaCache = v);
  }
  get from(): NameAddr | undefined {
    return this.typedId(1 /* from */);
  }
  get to(): NameAddr | undefined {
    return this.typedId(2 /* to */);
  }
  get callId(): string | undefined {
    return this.typedId(3 /* call-id */);
  }
  get cseq(): CSeq | undefined {
    return this.typedId(4 /* cseq */);
  }
  get maxForwards(): number | undefined {
    return this.typedId(5 /* max-forwards */);
  }
  /** Contact values, or '*' (REGISTER wildcard). */
  get contact(): readonly NameAddr[] | '*' {
    return this.typedId<NameAddr[] | '*'>(6 /* contact */) ?? NONE;
  }
  get route(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(7 /* route */) ?? NONE;
  }
  get recordRoute(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(8 /* record-route */) ?? NONE;
  }
  get path(): readonly NameAddr[] {
    return this.typedId<NameAddr[]>(9 /* path */) ?? NONE;
  }
  get contentType(): MediaType | undefined {
    return this.typedId(10 /* content-type */);
  }
  get contentLength(): number | undefined {
    return this.typedId(11 /* content-length */);
  }
  get expires(): number | undefined {
    return this.typedId(12 /* expires */);
  }
  get minExpires(): number | undefined {
    return this.typedId(13 /* min-expires */);
  }
  get allow(): readonly string[] {
    return this.typedId<string[]>(14 /* allow */) ?? NONE;
  }
  get supported(): readonly string[] {
    return this.typedId<string[]>(15 /* supported */) ?? NONE;
  }
  get require(): readonly string[] {
    return this.typedId<string[]>(16 /* require */) ?? NONE;
  }
  get proxyRequire(): readonly string[] {
    return this.typedId<string[]>(17 /* proxy-require */) ?? NONE;
  }
  get unsupported(): readonly string[] {
    return this.typedId<string[]>(18 /* unsupported */) ?? NONE;
  }
  get accept(): MediaType[] | undefined {
    return this.typedId(20 /* accept */);
  }
  get event(): TokenWithParams | undefined {
    return this.typedId(21 /* event */);
  }
  get subscriptionState(): SubscriptionState | undefined {
    return this.typedId(22 /* subscription-state */);
  }
  get referTo(): NameAddr | undefined {
    return this.typedId(23 /* refer-to */);
  }
  get referredBy(): NameAddr | undefined {
    return this.typedId(24 /* referred-by */);
  }
  get replaces(): Replaces | undefined {
    return this.typedId(25 /* replaces */);
  }
  get referSub(): boolean | undefined {
    const v = this.typedId<TokenWithParams>(26 /* refer-sub */);
    return v === undefined ? undefined : v.value.toLowerCase() !== 'false';
  }
  get authorization(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(27 /* authorization */) ?? NONE;
  }
  get proxyAuthorization(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(28 /* proxy-authorization */) ?? NONE;
  }
  get wwwAuthenticate(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(29 /* www-authenticate */) ?? NONE;
  }
  get proxyAuthenticate(): readonly AuthHeader[] {
    return this.typedId<AuthHeader[]>(30 /* proxy-authenticate */) ?? NONE;
  }
  /** The Reason header (RFC 3326); on responses `reason` is the Reason-Phrase. */
  get reasons(): readonly Reason[] {
    return this.typedId<Reason[]>(31 /* reason */) ?? NONE;
  }
  get retryAfter(): RetryAfter | undefined {
    return this.typedId(32 /* retry-after */);
  }
  get warning(): readonly Warning[] {
    return this.typedId<Warning[]>(33 /* warning */) ?? NONE;
  }

  /** Date (RFC 3261 §20.17): an RFC 1123 date that must be in GMT. */
  get date(): Date | undefined {
    return this.typedId(34 /* date */);
  }

  // ---- serialisation --------------------------------------------------------------------

  /** Wire bytes. An unmodified parsed message is returned byte-identical. */
  toBuffer(): Buffer {
    if (!this.dirty) {
      if (this.rawBytes) return this.rawBytes;
      if (this.head) return (this.rawBytes = this.head.buf.subarray(this.head.base, this.head.end));
    }
    // RFC 3261 §20.14: Content-Length always matches the body we send
    const cl = this.headers.find((h) => h.key === 'content-length');
    if (!cl || cl.value !== String(this.body.length)) {
      if (!cl || Number(cl.value) !== this.body.length) this.set('Content-Length', String(this.body.length));
    }
    let head = this.startLine() + '\r\n';
    for (const h of this.headers) head += (h.raw ?? `${h.name}: ${h.value}`) + '\r\n';
    head += '\r\n';
    const headBuf = Buffer.from(head, 'latin1');
    const body = this.body;
    const out = body.length ? Buffer.concat([headBuf, body]) : headBuf;
    this.rawBytes = out;
    this.dirty = false;
    return out;
  }
  override toString(): string {
    return this.toBuffer().toString('utf8');
  }
}
