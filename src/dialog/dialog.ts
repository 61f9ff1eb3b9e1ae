import {
  NameAddr,
  SipRequest,
  SipResponse,
  parseNameAddr,
  parseUri,
  type HeaderField,
  type SipUri,
  type Uri,
} from '../message/index.js';
import { headerKey, ownCopy } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';

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

/**
 * Where a UAS dialog reads the request that created it, when first needed (§12.1.1): the INVITE
 * session, which keeps the INVITE compactly once answered and parses it again when asked.
 */
export interface DialogOrigin {
  readonly invite: SipRequest;
}

/** Where the user agent core routes a dialog's requests (the usages' router). */
export interface DialogHandler {
  /** An in-dialog request (not ACK) that passed the CSeq check; answer through `tx`. */
  onRequest(tx: ServerTransaction, dialog: Dialog): void;
  /** The ACK for our 2xx (§13.3.1.4). */
  onAck?(ack: SipRequest, dialog: Dialog): void;
  /** Our 2xx was never ACKed (64*T1): the session must end with BYE (§13.3.1.4). */
  onAckTimeout?(dialog: Dialog): void;
}

const NO_USAGES: readonly DialogUsage[] = Object.freeze([]);

/** The INVITE usage: a dialog has at most one (RFC 5057 §3), so one object serves every dialog. */
export const INVITE_USAGE: DialogUsage = Object.freeze({ kind: 'invite' });

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
  /**
   * The dialogs map key (callId, local tag, remote tag: dialogKey), which the core looks up for
   * every in-dialog request, and the one copy of the three that the dialog keeps: they are read
   * from it (issue 16 §1: a held call keeps one string, not four).
   */
  readonly key: string;
  /** Where the local tag and the remote tag start in `key`. */
  private readonly localAt: number;
  private readonly remoteAt: number;
  /**
   * Our URI and the peer's as they go in From and To of our requests (name-addr text without the
   * tag), and the remote target (URI text): kept as text and parsed when a request is built, since a
   * held call builds none (issue 16 §1: parsed, with their copies, they cost a UAC call 3 KB). A UAS
   * dialog reads them from `origin` (the request that created it, or what keeps it) when first needed.
   */
  private localText: string | undefined;
  private remoteText: string | undefined;
  private targetText: string | undefined;
  private readonly origin: SipRequest | DialogOrigin | undefined;
  /** Last CSeq we sent; undefined until we send one (UAS side). */
  localSeq: number | undefined;
  /** Last CSeq the peer sent; undefined until one arrives (UAC side). */
  remoteSeq: number | undefined;
  /** The route set as text, in the order it goes in Route headers (see routeSet). */
  private routeText: readonly string[];
  /** §12.1.1: sips Request-URI with TLS: every hop secure. */
  readonly secure: boolean;
  /** Our Contact, put on target-refresh requests. */
  localContact: NameAddr | undefined;
  readonly isUac: boolean;
  /** @internal Where the core routes this dialog's requests (set by UserAgentCore.addDialog). */
  handler: DialogHandler | undefined;
  /**
   * Its usages, copied on change: a dialog has one or two, and an array literal of that size is a
   * third of an empty Set's size (issue 16 §1).
   */
  private usageList: readonly DialogUsage[] = NO_USAGES;

  private constructor(init: {
    state: DialogState;
    callId: string;
    localTag: string;
    remoteTag: string;
    localSrc: NameAddr | undefined;
    remoteSrc: NameAddr | undefined;
    origin?: SipRequest | DialogOrigin;
    localSeq: number | undefined;
    remoteSeq: number | undefined;
    remoteTarget: Uri | undefined;
    routeSet: readonly string[];
    secure: boolean;
    localContact: NameAddr | undefined;
    isUac: boolean;
  }) {
    this.state = init.state;
    // a new string: the values read from a message are views of its whole text
    this.key = dialogKey(init.callId, init.localTag, init.remoteTag);
    this.localAt = init.callId.length + 1;
    this.remoteAt = this.localAt + init.localTag.length + 1;
    this.localText = init.localSrc && nameText(init.localSrc);
    this.remoteText = init.remoteSrc && nameText(init.remoteSrc);
    this.origin = init.origin;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.targetText = init.remoteTarget && ownCopy(init.remoteTarget.toString());
    this.routeText = init.routeSet;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.isUac = init.isUac;
  }

  /** Our URI (From of our requests) and the peer's (To of our requests), without tags: a new object each time. */
  get localUri(): NameAddr {
    return parseNameAddr((this.localText ??= nameText(this.originRequest().to!)));
  }
  get remoteUri(): NameAddr {
    return parseNameAddr((this.remoteText ??= nameText(this.originRequest().from!)));
  }
  private originRequest(): SipRequest {
    const o = this.origin!;
    return o instanceof SipRequest ? o : o.invite;
  }

  /**
   * Where in-dialog requests go: the peer's Contact (refreshed by target refresh requests). A new
   * object each time.
   */
  get remoteTarget(): Uri {
    if (this.targetText === undefined) {
      // UAS (§12.1.1): the Contact of the request, or its From URI without one
      const req = this.originRequest();
      this.targetText = ownCopy((firstContact(req) ?? req.from!.uri).toString());
    }
    return parseUri(this.targetText);
  }
  set remoteTarget(uri: Uri) {
    this.targetText = ownCopy(uri.toString());
  }

  /** The route set (§12.1), in the order it goes in Route headers: new objects each read. */
  get routeSet(): readonly NameAddr[] {
    return this.routeText.map((r) => parseNameAddr(r));
  }

  /** The usages of this dialog (RFC 5057): it lives while one does. */
  get usages(): readonly DialogUsage[] {
    return this.usageList;
  }
  hasUsage(usage: DialogUsage): boolean {
    return this.usageList.includes(usage);
  }
  addUsage(usage: DialogUsage): void {
    // exact-size arrays: a spread or a push would leave room for 16
    if (!this.usageList.includes(usage))
      this.usageList = this.usageList.length === 0 ? [usage] : this.usageList.concat([usage]);
  }
  /** Remove a usage; returns how many are left. */
  removeUsage(usage: DialogUsage): number {
    this.usageList = this.usageList.filter((u) => u !== usage);
    return this.usageList.length;
  }

  get callId(): string {
    return this.key.slice(0, this.localAt - 1);
  }
  get localTag(): string {
    return this.key.slice(this.localAt, this.remoteAt - 1);
  }
  get remoteTag(): string {
    return this.key.slice(this.remoteAt);
  }
  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  /**
   * UAC side (§12.1.2): from the request we sent and a 1xx-with-tag or 2xx response.
   * Route set = Record-Route of the response in reverse order; remote target = its Contact.
   */
  static fromUac(request: SipRequest, response: SipResponse, localContact?: NameAddr): Dialog {
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
      routeSet: routeSetOf(response.recordRoute, true),
      secure:
        request.uri.scheme === 'sips' && (request.topVia?.transport === 'TLS' || request.topVia?.transport === 'WSS'),
      // the caller's own Contact object when it has one (shared by its calls): not a copy per dialog
      localContact: localContact ?? firstContactOf(request),
      isUac: true,
    });
  }

  /**
   * UAS side (§12.1.1): from the request and the To tag we put on our response. `origin` is where
   * the request is read later (default: the request itself).
   */
  static fromUas(request: SipRequest, localTag: string, localContact?: NameAddr, origin?: DialogOrigin): Dialog {
    return new Dialog({
      state: 'early',
      callId: request.callId!,
      localTag,
      remoteTag: request.from?.tag ?? '',
      localSrc: undefined,
      remoteSrc: undefined,
      origin: origin ?? request,
      localSeq: undefined,
      remoteSeq: request.cseq!.seq,
      remoteTarget: undefined,
      routeSet: routeSetOf(request.recordRoute, false),
      secure:
        request.uri.scheme === 'sips' && (request.topVia?.transport === 'TLS' || request.topVia?.transport === 'WSS'),
      localContact,
      isUac: false,
    });
  }

  /** §13.2.2.4: a 2xx confirms an early dialog and recomputes the route set (UAC only). */
  confirm(response?: SipResponse): void {
    if (response && this.isUac) {
      this.routeText = routeSetOf(response.recordRoute, true);
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
    const target = this.remoteTarget;
    let requestUri: Uri;
    const routes: string[] = [];
    const route = this.routeText;
    const first = route.length > 0 ? parseNameAddr(route[0]!) : undefined;
    if (!first) {
      requestUri = target;
    } else if (first.uri.kind === 'sip' && first.uri.lr) {
      requestUri = target;
      for (const r of route) routes.push(r);
    } else {
      // strict routing (RFC 2543 next hop): R-URI = first route, remote target appended as last Route
      const u = first.uri.clone();
      if (u.kind === 'sip') {
        // §19.1.1 Table 1: no method parameter and no headers in a Request-URI
        u.params.delete('method');
        u.headers.list.length = 0;
      }
      requestUri = u;
      for (const r of route.slice(1)) routes.push(r);
      routes.push(`<${target.toString()}>`);
    }
    const from = this.localUri;
    from.tag = this.localTag;
    const to = this.remoteUri;
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

/**
 * A route set from Record-Route (§12.1.1: in order at the UAS; §12.1.2: reversed at the UAC), as
 * text of its own: parsed NameAddrs cost a call through a proxy 1.5 KB for its life, and copies of
 * them would share the message's strings, views of its whole text. Most dialogs without a proxy
 * have none, and share one empty array.
 */
function routeSetOf(recordRoute: readonly NameAddr[], reverse: boolean): readonly string[] {
  if (recordRoute.length === 0) return NO_ROUTES;
  const out = recordRoute.map((r) => ownCopy(r.toString()));
  return reverse ? out.reverse() : out;
}
const NO_ROUTES: readonly string[] = Object.freeze([]);

/** A name-addr's text without its tag, as a string of its own (not a view of a message's text). */
function nameText(na: NameAddr): string {
  const c = na.clone();
  c.params.delete('tag');
  return ownCopy(c.toString());
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
