// The two kinds of SIP message: a request (method, Request-URI) and a response (status, reason).
import { SipMessage } from './sip-message.js';
import { parseUri, type Uri } from './uri.js';
import { fromWire, ownCopy, toWire } from './wire.js';
import { type HeaderField } from './parsed-head.js';

export class SipRequest extends SipMessage {
  private _method: string;
  private _uri: Uri | undefined;
  private uriText: string;
  /** uri.toString() when the URI object was last handed out, to notice in-place edits. */
  private uriSnapshot: string | undefined;
  /** Where uriText's octets are (set by the parser; cleared when the URI is replaced). */
  private uriBytes: Uint8Array | undefined;
  private uriOffset = 0;
  version: string;
  constructor(
    method: string,
    uri: Uri | string,
    headers: HeaderField[] = [],
    body: Buffer = Buffer.alloc(0),
    raw?: Buffer,
    version = 'SIP/2.0',
  ) {
    super(headers, body, raw);
    this._method = method;
    if (typeof uri === 'string') this.uriText = uri;
    else {
      this._uri = uri;
      this.uriText = this.uriSnapshot = uri.toString();
    }
    this.version = version;
  }
  get isRequest(): true {
    return true;
  }
  get method(): string {
    return this._method;
  }
  set method(m: string) {
    this._method = m;
    this.touch();
  }
  /** @internal The parser tells where uriText's octets are, so the URI is scanned in place. */
  uriAt(bytes: Uint8Array, offset: number): void {
    this.uriBytes = bytes;
    this.uriOffset = offset;
  }
  /** Request-URI (parsed on first use). */
  get uri(): Uri {
    // the serialised form to detect in-place edits is taken when the message is serialised (toBuffer),
    // not here: most parsed requests are read and never written again
    return (this._uri ??= parseUri(this.uriText, this.uriBytes, this.uriOffset));
  }
  set uri(u: Uri) {
    this._uri = u;
    this.uriText = u.toString();
    this.uriSnapshot = this.uriText;
    this.uriBytes = undefined;
    this.touch();
  }
  override toBuffer(): Buffer {
    const u = this._uri;
    if (u) {
      const now = u.toString();
      // the usual case, the URI object serialising to the text on the wire: whether or not it was
      // edited, the start line stays; only otherwise is the wire text parsed again to compare forms
      if (now !== (this.uriSnapshot ?? this.uriText)) {
        this.uriSnapshot ??= parseUri(this.uriText, this.uriBytes, this.uriOffset).toString();
        if (now !== this.uriSnapshot) {
          // the URI object was edited in place
          this.uriText = this.uriSnapshot = now;
          this.uriBytes = undefined;
          this.touch();
        }
      }
    }
    return super.toBuffer();
  }
  /** Also the Request-URI's text, a view of the message's text until copied (see ownCopy). */
  override releaseParsed(): boolean {
    if (!super.releaseParsed()) return false;
    this.uriText = ownCopy(this.uriText);
    return true;
  }
  startLine(): string {
    return `${this._method} ${this.uriText} ${this.version}`;
  }
}

export class SipResponse extends SipMessage {
  private _status: number;
  private _reason: string;
  version: string;
  constructor(
    status: number,
    reason: string,
    headers: HeaderField[] = [],
    body: Buffer = Buffer.alloc(0),
    raw?: Buffer,
    version = 'SIP/2.0',
  ) {
    super(headers, body, raw);
    this._status = status;
    this._reason = reason;
    this.version = version;
  }
  get isRequest(): false {
    return false;
  }
  get status(): number {
    return this._status;
  }
  set status(s: number) {
    this._status = s;
    this.touch();
  }
  /** Reason-Phrase as text (UTF-8 decoded). */
  get reason(): string {
    return fromWire(this._reason);
  }
  set reason(r: string) {
    this._reason = toWire(r);
    this.touch();
  }
  /** Also the Reason-Phrase, a view of the message's text until copied (see ownCopy). */
  override releaseParsed(): boolean {
    if (!super.releaseParsed()) return false;
    this._reason = ownCopy(this._reason);
    return true;
  }
  startLine(): string {
    return `${this.version} ${this._status} ${this._reason}`;
  }
}

export type SipMessageAny = SipRequest | SipResponse;
