/**
 * The request and response rules of a stateful proxy, RFC 3261 §16, as pure functions over
 * messages: the proxy core (proxy.ts) strings them together with transactions and transports.
 */
import {
  NameAddr,
  SipRequest,
  SipResponse,
  SipUri,
  createResponse,
  newBranch,
  type Uri,
  parseMessage,
} from '../message/index.js';
import { isMyself, isOwnUri, isOwnVia, type ProxyIdentity } from './identity.js';
import { spliceRequest } from './splice.js';

export type { ProxyIdentity } from './identity.js';

export type Validation = { ok: true } | { ok: false; response: SipResponse };

/**
 * §16.3 request validation: syntax (done by the parser), URI scheme, Max-Forwards (483),
 * loop detection (482), Proxy-Require (420).
 */
export function validateRequest(req: SipRequest, id: ProxyIdentity, schemes = ['sip', 'sips', 'tel']): Validation {
  if (!schemes.includes(req.uri.scheme)) return reject(req, 416);
  // step 3: Max-Forwards
  const mf = req.maxForwards;
  if (mf === 0) {
    // OPTIONS with Max-Forwards 0 could be answered by the proxy itself; we answer 483 like the others
    return reject(req, 483);
  }
  // step 4: loop detection (§16.3 item 4 / RFC 5393): our own Via with the same loop-detection hash
  if (detectLoop(req, id)) return reject(req, 482);
  // step 5: Proxy-Require
  const unsupported = req.proxyRequire.filter((t) => !(id.supported ?? []).includes(t.toLowerCase()));
  if (unsupported.length)
    return { ok: false, response: createResponse(req, 420, { headers: [['Unsupported', unsupported.join(', ')]] }) };
  return { ok: true };
}

function reject(req: SipRequest, status: number): Validation {
  return { ok: false, response: createResponse(req, status) };
}

/**
 * §16.6 step 8 / §16.3 step 4: the branch we add carries a hash of the fields that a looping
 * request would keep identical (R-URI, To/From tags, Call-ID, CSeq number, Proxy-Require, Route,
 * top Via); when one of our Vias already carries the same hash, the request loops back.
 */
export function loopHash(req: SipRequest): string {
  // two 32-bit FNV-1a with different offset bases: 64 bits, as many as the SHA-1 prefix this
  // replaced, without a crypto Hash object per forwarded request (2.7% of the proxy's profile);
  // the hash only tells a loop from a spiral, it guards nothing. The fields are hashed one after
  // the other, '\0' between them and ',' between list values: the hash of their concatenation,
  // without building it.
  const h = new Fnv2();
  h.add(req.uri.toString());
  h.sep(0);
  h.add(req.from?.tag ?? '');
  h.sep(0);
  h.add(req.to?.tag ?? '');
  h.sep(0);
  h.add(req.callId ?? '');
  h.sep(0);
  h.add(String(req.cseq?.seq ?? ''));
  h.sep(0);
  h.addAll(req.getAll('Proxy-Require'));
  h.sep(0);
  h.addAll(req.getAll('Route'));
  return hex8(h.a >>> 0) + hex8(h.b >>> 0);
}

/** Two FNV-1a hashes over the same text, fed in pieces. */
class Fnv2 {
  a = 0x811c9dc5;
  b = 0x050c5d1f;
  add(s: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193);
    }
    this.a = a;
    this.b = b;
  }
  sep(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193);
    this.b = Math.imul(this.b ^ c, 0x01000193);
  }
  addAll(list: string[]): void {
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.sep(44);
      this.add(list[i]!);
    }
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export function detectLoop(req: SipRequest, id: ProxyIdentity): boolean {
  const vias = req.via;
  if (vias.length === 0) return false;
  let hash: string | undefined;
  for (const v of vias) {
    if (!isOwnVia(v.host, v.port, id)) continue;
    const b = v.branch ?? '';
    const dot = b.lastIndexOf('.');
    if (dot < 0) continue;
    hash ??= loopHash(req);
    // same hash: the request came back unchanged (a loop); a different hash is a spiral (allowed)
    if (b.slice(dot + 1) === hash) return true;
  }
  return false;
}

/** A branch for a forwarded request: unique, and carrying the loop-detection hash after a dot. */
export function proxyBranch(req: SipRequest): string {
  return `${newBranch()}.${loopHash(req)}`;
}

/**
 * §16.4 Route information preprocessing. Returns the request with:
 *  - a strict-routing previous hop undone (R-URI was our Record-Route URI: restore it from the last Route);
 *  - maddr that names us removed;
 *  - our own URI removed from the top of Route.
 * Returns true when the request reached us by a Route (or strict-routed Request-URI) naming us:
 * an in-dialog request that did is forwarded to its Request-URI, never looked up (§16.4, §16.6).
 */
export function preprocessRoute(req: SipRequest, id: ProxyIdentity): boolean {
  let routed = false;
  // 1. The Request-URI is a value we put in Record-Route: the previous element was a strict router
  if (isOwnUri(req.uri, id) && req.route.length > 0) {
    const routes = req.route;
    const last = routes[routes.length - 1]!;
    req.uri = last.uri.clone();
    const keep = routes.slice(0, -1).map(String);
    req.remove('Route');
    for (const r of keep) req.append('Route', r);
    routed = true;
  }
  // 2. maddr naming us is removed (§16.4 paragraph 2)
  const ruri = req.uri;
  if (
    ruri.kind === 'sip' &&
    ruri.maddr &&
    isMyself(ruri.maddr, ruri.port, id, ruri.transport, ruri.scheme === 'sips')
  ) {
    const u = ruri.clone();
    u.params.delete('maddr');
    req.uri = u;
  }
  // 3. the first Route naming us is removed
  const first = req.route[0];
  if (first && isOwnUri(first.uri, id)) {
    req.removeFirstValue('Route');
    routed = true;
  }
  return routed;
}

/**
 * §16.6 request forwarding, steps 1–8, for one target: copy, R-URI, Max-Forwards, Record-Route,
 * Via. `recordRoute` are the URIs to insert (two when the proxy changes transport, RFC 5658).
 */
export function forwardCopy(
  req: SipRequest,
  target: Uri | undefined,
  opts: { recordRoute?: SipUri[]; via: { transport: string; host: string; port: number } },
): SipRequest {
  // 1. copy: the received bytes, spliced (splice.ts); what the proxy does not change is not re-serialised
  // 8. Via with a fresh branch that also carries the loop hash
  const host = opts.via.host.includes(':') && !opts.via.host.startsWith('[') ? `[${opts.via.host}]` : opts.via.host;
  let top = `Via: SIP/2.0/${opts.via.transport.toUpperCase()} ${host}:${opts.via.port};branch=${proxyBranch(req)};rport\r\n`;
  // 4. Record-Route (for dialog-creating requests; in-dialog requests keep what they have), on
  // top of any the request has
  for (const rr of opts.recordRoute ?? []) {
    const na = new NameAddr(rr.clone());
    if (!(na.uri as SipUri).lr) (na.uri as SipUri).params.set('lr');
    top += `Record-Route: ${na.toString()}\r\n`;
  }
  // 3. Max-Forwards
  const mf = req.maxForwards;
  // 2. Request-URI (unchanged when the target is the request's own URI: in-dialog requests)
  const startLine = target && target !== req.uri ? `${req.method} ${target.toString()} SIP/2.0` : undefined;
  const out = parseRequest(
    spliceRequest(req.toBuffer(), { startLine, top, maxForwards: mf === undefined ? 70 : mf - 1 }),
  );
  return out;
}

/** A deep copy of a request through its wire form (keeps unknown headers byte for byte). */
export function cloneRequest(req: SipRequest): SipRequest {
  const bytes = req.toBuffer();
  // a forwarded request must be parseable; the original was, so this cannot fail
  return parseRequest(bytes);
}

function parseRequest(bytes: Buffer): SipRequest {
  return parseMessage(bytes, { lazy: true }) as SipRequest;
}

/** The next hop for a forwarded request (§16.6 step 7): the top Route if any, else the R-URI. */
export function nextHop(req: SipRequest): Uri {
  const r = req.route[0];
  return r ? r.uri : req.uri;
}

// ---- §16.7 response processing ------------------------------------------------------------

/**
 * §16.7 step 6: choose the best final response among the branches' responses:
 * a 6xx if any, else the lowest class (2xx never reach here: they are forwarded at once),
 * preferring 401/407 merged (step 7), 3xx before 4xx before 5xx; 503 is turned into 500.
 */
export function bestResponse(responses: SipResponse[]): SipResponse | undefined {
  if (responses.length === 0) return undefined;
  const six = responses.find((r) => r.status >= 600);
  if (six) return six;
  const sorted = [...responses].sort((a, b) => classRank(a.status) - classRank(b.status));
  const best = sorted[0]!;
  // step 7: collect every challenge of 401/407 responses into the chosen one
  if (best.status === 401 || best.status === 407) {
    for (const r of responses) {
      if (r === best || (r.status !== 401 && r.status !== 407)) continue;
      for (const h of r.headers)
        if (h.key === 'www-authenticate' || h.key === 'proxy-authenticate') best.append(h.name, h.value);
    }
  }
  return best;
}

function classRank(status: number): number {
  // 3xx < 4xx (prefer specific 4xx over 408) < 5xx
  if (status >= 300 && status < 400) return 300 + (status % 100) / 1000;
  if (status === 408) return 498;
  if (status >= 400 && status < 500) return 400 + (status % 100) / 1000;
  return status;
}
