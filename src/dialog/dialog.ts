import {
  NameAddr,
  SipRequest,
  SipResponse,
  parseUri,
  type HeaderField,
  type SipUri,
  type Uri,
} from '../message/index.js';
import { headerKey, ownCopy } from '../message/index.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

/** A dialog is identified by Call-ID, local tag and remote tag (RFC 3261 §12). */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

/**
 * A usage of a dialog (RFC 5057): the INVITE session, or a subscription (e.g. the implicit
 * REFER subscription, RFC 3515). The dialog lives as long as one usage does.
 */
export interface DialogUsage {
  readonly kind: 'invite' | 'subscription';
  /** For subscriptions: event package and id (`refer;id=123`). */
  readonly key?: string;
}

export interface InDialogRequestOptions {
  body?: Buffer | string;
  contentType?: string;
  headers?: [string, string][];
  /** For ACK (and CANCEL): reuse this CSeq number instead of incrementing (§13.2.2.4). */
  cseq?: number;
}

/**
 * Dialog state per RFC 3261 §12: route set, remote target, sequence numbers, tags.
 * It builds in-dialog requests (§12.2.1.1) and checks incoming ones (§12.2.2); sending and
 * transactions are the endpoint's business.
 */
export class Dialog {
  state: DialogState;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /**
   * The From/To of the dialog-creating request, tag included: the tag-less copies (localUri,
   * remoteUri) are made when first read, since most calls end without an in-dialog request of ours.
   * A UAS dialog reads them (and the remote target) from `origin`, the request that created it,
   * when first needed: the request lets go of its parsed headers once answered, and a held call
   * keeps no parsed From, To or Contact of its own (issue 16 §1).
   */
  private readonly localSrc: NameAddr | undefined;
  private readonly remoteSrc: NameAddr | undefined;
  private readonly origin: SipRequest | undefined;
  private localCopy: NameAddr | undefined;
  private remoteCopy: NameAddr | undefined;
  private target: Uri | undefined;
  private keyCache: string | undefined;
  private keyTag: string | undefined;
  /** Last CSeq we sent; undefined until we send one (UAS side). */
  localSeq: number | undefined;
  /** Last CSeq the peer sent; undefined until one arrives (UAC side). */
  remoteSeq: number | undefined;
  /** Route set, in the order we put it in Route headers. */
  routeSet: NameAddr[];
  /** §12.1.1: sips Request-URI with TLS: every hop secure. */
  readonly secure: boolean;
  /** Our Contact, put on target-refresh requests. */
  localContact: NameAddr | undefined;
  readonly isUac: boolean;
  readonly usages = new Set<DialogUsage>();

  private constructor(init: {
    state: DialogState;
    callId: string;
    localTag: string;
    remoteTag: string;
    localSrc: NameAddr | undefined;
    remoteSrc: NameAddr | undefined;
    origin?: SipRequest;
    localSeq: number | undefined;
    remoteSeq: number | undefined;
    remoteTarget: Uri | undefined;
    routeSet: NameAddr[];
    secure: boolean;
    localContact: NameAddr | undefined;
    isUac: boolean;
  }) {
    this.state = init.state;
    // own strings: as read from a message they are views of its whole text, kept for the call's life
    this.callId = ownCopy(init.callId);
    this.localTag = ownCopy(init.localTag);
    this.remoteTag = ownCopy(init.remoteTag);
    this.localSrc = init.localSrc;
    this.remoteSrc = init.remoteSrc;
    this.origin = init.origin;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.target = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.isUac = init.isUac;
  }

  /** Our URI (From of our requests) and the peer's (To of our requests), without tags. */
  get localUri(): NameAddr {
    return (this.localCopy ??= stripTag(this.localSrc ?? this.origin!.to!));
  }
  get remoteUri(): NameAddr {
    return (this.remoteCopy ??= stripTag(this.remoteSrc ?? this.origin!.from!));
  }

  /** Where in-dialog requests go: the peer's Contact (refreshed by target refresh requests). */
  get remoteTarget(): Uri {
    if (this.target) return this.target;
    // UAS (§12.1.1): the Contact of the request, or its From URI without one
    const req = this.origin!;
    return (this.target = firstContact(req) ?? parseUri(req.from!.uri.toString()));
  }
  set remoteTarget(uri: Uri) {
    this.target = uri;
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }
  /** The dialogs map key, made once per remote tag (the core looks it up for every ACK and 2xx). */
  get key(): string {
    if (this.keyCache === undefined || this.keyTag !== this.remoteTag) {
      this.keyCache = dialogKey(this.callId, this.localTag, this.remoteTag);
      this.keyTag = this.remoteTag;
    }
    return this.keyCache;
  }

  /**
   * UAC side (§12.1.2): from the request we sent and a 1xx-with-tag or 2xx response.
   * Route set = Record-Route of the response in reverse order; remote target = its Contact.
   */
  static fromUac(request: SipRequest, response: SipResponse): Dialog {
    const remoteTag = response.to?.tag;
    if (!remoteTag) throw new Error('a dialog needs a To tag in the response');
    const from = request.from!;
    const contact = firstContact(response);
    return new Dialog({
      state: response.status >= 200 ? 'confirmed' : 'early',
      callId: request.callId!,
      localTag: from.tag!,
      remoteTag,
      localSrc: from,
      remoteSrc: response.to!,
      localSeq: request.cseq!.seq,
      remoteSeq: undefined,
      remoteTarget: contact ?? request.uri,
      routeSet: [...response.recordRoute].reverse().map((r) => r.clone()),
      secure:
        request.uri.scheme === 'sips' && (request.topVia?.transport === 'TLS' || request.topVia?.transport === 'WSS'),
      localContact: firstContactOf(request),
      isUac: true,
    });
  }

  /** UAS side (§12.1.1): from the request and the To tag we put on our response. */
  static fromUas(request: SipRequest, localTag: string, localContact?: NameAddr): Dialog {
    return new Dialog({
      state: 'early',
      callId: request.callId!,
      localTag,
      remoteTag: request.from?.tag ?? '',
      localSrc: undefined,
      remoteSrc: undefined,
      origin: request,
      localSeq: undefined,
      remoteSeq: request.cseq!.seq,
      remoteTarget: undefined,
      routeSet: request.recordRoute.map((r) => r.clone()),
      secure:
        request.uri.scheme === 'sips' && (request.topVia?.transport === 'TLS' || request.topVia?.transport === 'WSS'),
      localContact,
      isUac: false,
    });
  }

  /** §13.2.2.4: a 2xx confirms an early dialog and recomputes the route set (UAC only). */
  confirm(response?: SipResponse): void {
    if (response && this.isUac) {
      this.routeSet = [...response.recordRoute].reverse().map((r) => r.clone());
      this.refreshTarget(response);
    }
    this.state = 'confirmed';
  }

  /** Target refresh (§12.2.1.2, §12.2.2): a Contact in a re-INVITE/UPDATE or its 2xx. */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const c = firstContact(msg);
    if (c) this.remoteTarget = c;
  }

  /**
   * §12.2.2: check an in-dialog request's CSeq. Returns false (the caller answers 500) when it
   * is lower than the last one; ACK and CANCEL don't advance the sequence.
   */
  acceptRemoteCSeq(request: SipRequest): boolean {
    const seq = request.cseq!.seq;
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) {
      // equal means a retransmission (absorbed by the transaction layer) or an out-of-order request
      return false;
    }
    this.remoteSeq = seq;
    return true;
  }

  /** Next CSeq for a new request (§12.2.1.1: strictly increasing, starting at random if unset). */
  nextCSeq(): number {
    this.localSeq = this.localSeq === undefined ? Math.floor(Math.random() * 10000) + 1 : this.localSeq + 1;
    return this.localSeq;
  }

  /** Build an in-dialog request (§12.2.1.1) with loose or strict routing. No Via: the transaction adds it. */
  createRequest(method: string, opts: InDialogRequestOptions = {}): SipRequest {
    const seq = opts.cseq ?? this.nextCSeq();
    let requestUri: Uri;
    const routes: string[] = [];
    const first = this.routeSet[0];
    if (!first) {
      requestUri = this.remoteTarget.clone();
    } else if (first.uri.kind === 'sip' && first.uri.lr) {
      requestUri = this.remoteTarget.clone();
      for (const r of this.routeSet) routes.push(r.toString());
    } else {
      // strict routing (RFC 2543 next hop): R-URI = first route, remote target appended as last Route
      const u = first.uri.clone();
      if (u.kind === 'sip') {
        // §19.1.1 Table 1: no method parameter and no headers in a Request-URI
        u.params.delete('method');
        u.headers.list.length = 0;
      }
      requestUri = u;
      for (const r of this.routeSet.slice(1)) routes.push(r.toString());
      routes.push(`<${this.remoteTarget.toString()}>`);
    }
    const from = this.localUri.clone();
    from.tag = this.localTag;
    const to = this.remoteUri.clone();
    if (this.remoteTag) to.tag = this.remoteTag;
    const headers: HeaderField[] = [];
    const add = (name: string, value: string) => headers.push({ name, key: headerKey(name), value, offset: -1 });
    add('Max-Forwards', '70');
    for (const r of routes) add('Route', r);
    add('From', from.toString());
    add('To', to.toString());
    add('Call-ID', this.callId);
    add('CSeq', `${seq} ${method}`);
    // §12.2.1.1: target-refresh requests carry our Contact; the others may
    if (this.localContact && method !== 'ACK' && method !== 'CANCEL' && method !== 'BYE')
      add('Contact', this.localContact.toString());
    for (const [n, v] of opts.headers ?? []) add(n, v);
    const req = new SipRequest(method, requestUri, headers);
    if (opts.body !== undefined && opts.body.length > 0) req.setBody(opts.body, opts.contentType);
    else req.set('Content-Length', '0');
    return req;
  }

  /** The ACK for a 2xx to an INVITE (§13.2.2.4): CSeq number of the INVITE, new branch, the dialog's route set. */
  createAck(invite: SipRequest, opts: { body?: Buffer | string; contentType?: string } = {}): SipRequest {
    const headers: [string, string][] = [];
    // credentials of the INVITE are reused on its ACK (§22.1)
    for (const h of invite.headers)
      if (h.key === 'authorization' || h.key === 'proxy-authorization') headers.push([h.name, h.value]);
    return this.createRequest('ACK', { cseq: invite.cseq!.seq, headers, ...opts });
  }

  /** Does an incoming request belong to this dialog (§12.2.2)? */
  matches(request: SipRequest): boolean {
    return (
      request.callId === this.callId &&
      request.to?.tag === this.localTag &&
      (request.from?.tag ?? '') === this.remoteTag
    );
  }
}

function stripTag(na: NameAddr): NameAddr {
  const c = na.clone();
  c.params.delete('tag');
  return c;
}

function firstContact(msg: SipRequest | SipResponse): Uri | undefined {
  const c = msg.contact;
  if (c === '*' || c.length === 0) return undefined;
  return c[0]!.uri.clone();
}

function firstContactOf(msg: SipRequest): NameAddr | undefined {
  const c = msg.contact;
  if (c === '*' || c.length === 0) return undefined;
  const na = c[0]!.clone();
  na.params.list.length = 0;
  return na;
}

export type { SipUri };
