import {
  NameAddr,
  SipUri,
  createResponse,
  uriEquals,
  parseUri,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { DigestServer } from '../auth/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Binding, LocationStore } from './location.js';

export interface RegistrarOptions {
  /** Domains we are the registrar for. */
  domains: string[];
  store: LocationStore;
  clock?: Clock;
  minExpires?: number;
  maxExpires?: number;
  defaultExpires?: number;
  /** When set, every REGISTER must authenticate (401), and users register only their own AoR. */
  auth?: DigestServer;
}

/** The canonical AoR of a To URI (§10.3 step 5): sip:user@host, host lower-cased, no params. */
export function canonicalAor(u: Uri): string {
  if (u.kind !== 'sip') return u.toString();
  const s = u as SipUri;
  return `sip:${s.user !== undefined ? s.userDecoded + '@' : ''}${s.hostname}`;
}

/** The registrar of RFC 3261 §10.3, transport-independent: a REGISTER in, a response out. */
export class Registrar {
  readonly store: LocationStore;
  private readonly clock: Clock;
  private readonly min: number;
  private readonly max: number;
  private readonly dflt: number;

  constructor(private readonly opts: RegistrarOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.min = opts.minExpires ?? 60;
    this.max = opts.maxExpires ?? 7200;
    this.dflt = opts.defaultExpires ?? 3600;
  }

  isOurDomain(u: Uri): boolean {
    return u.kind === 'sip' && this.opts.domains.some((d) => d.toLowerCase() === (u as SipUri).hostname);
  }

  async handleRegister(req: SipRequest, source?: Binding['source']): Promise<SipResponse> {
    // step 1: the Request-URI names our domain
    if (!this.isOurDomain(req.uri))
      return createResponse(req, 404, { reason: 'Not Found (not a domain of this registrar)' });
    // step 3: authentication (§22)
    const to = req.to!;
    if (to.uri.kind !== 'sip') return createResponse(req, 400, { reason: 'Bad Request (To is not a SIP or SIPS URI)' });
    if (this.opts.auth) {
      const v = this.opts.auth.verify(req);
      if (!v.ok)
        return createResponse(req, 401, {
          headers: this.opts.auth
            .challenges({ stale: v.stale ?? false })
            .map((c) => ['WWW-Authenticate', c] as [string, string]),
        });
      // step 4: the authenticated user may only register its own AoR
      if ((to.uri as SipUri).userDecoded !== v.user)
        return createResponse(req, 403, { reason: 'Forbidden (may not register this address-of-record)' });
    }
    const aor = canonicalAor(to.uri);
    if (!this.isOurDomain(to.uri)) return createResponse(req, 404, { reason: 'Not Found (AoR not in our domain)' });
    const contacts = req.contact;
    const headerExpires = req.has('Expires') ? req.expires : undefined;
    const callId = req.callId!;
    const cseq = req.cseq!.seq;
    // step 6: "*" only with Expires: 0 and nothing else
    if (contacts === '*') {
      if (headerExpires !== 0) return createResponse(req, 400, { reason: 'Bad Request (Contact: * needs Expires: 0)' });
      for (const b of await this.store.get(aor)) {
        if (b.callId === callId && cseq <= b.cseq)
          return createResponse(req, 500, { reason: 'Server Internal Error (CSeq out of order)' });
      }
      await this.store.removeAll(aor);
      return this.ok(req, aor);
    }
    const now = this.clock.now();
    const existing = await this.store.get(aor);
    const updates: { uri: string; contact: NameAddr; expires: number }[] = [];
    for (const c of contacts) {
      let expires = c.expires ?? headerExpires ?? this.dflt;
      if (expires > 0 && expires < this.min) {
        return createResponse(req, 423, { headers: [['Min-Expires', String(this.min)]] });
      }
      expires = Math.min(expires, this.max);
      const uri = c.uri.toString();
      // step 7: same Call-ID with a lower or equal CSeq is out of order
      const prev = existing.find((b) => uriEquals(parseUri(b.uri), c.uri));
      if (prev && prev.callId === callId && cseq <= prev.cseq)
        return createResponse(req, 500, { reason: 'Server Internal Error (CSeq out of order)' });
      updates.push({ uri: prev ? prev.uri : uri, contact: c, expires });
    }
    const path = req.path.map(String);
    for (const u of updates) {
      if (u.expires === 0) {
        await this.store.remove(aor, u.uri);
        continue;
      }
      const params = u.contact.params.list
        .filter((p) => !['expires', 'q'].includes(p.name.toLowerCase()))
        .map((p) => (p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`))
        .join('');
      await this.store.put({
        aor,
        uri: u.contact.uri.toString(),
        params,
        expires: now + u.expires * 1000,
        q: u.contact.q ?? 1,
        callId,
        cseq,
        path,
        ...(source ? { source } : {}),
      });
      if (u.uri !== u.contact.uri.toString()) await this.store.remove(aor, u.uri);
    }
    return this.ok(req, aor, path);
  }

  /** §10.3 step 8: 200 with every current binding and its remaining expiry. */
  private async ok(req: SipRequest, aor: string, path: string[] = []): Promise<SipResponse> {
    const now = this.clock.now();
    const headers: [string, string][] = [];
    for (const b of await this.store.lookup(aor)) {
      headers.push([
        'Contact',
        `<${b.uri}>${b.params};expires=${Math.max(0, Math.round((b.expires - now) / 1000))}${b.q !== 1 ? `;q=${b.q}` : ''}`,
      ]);
    }
    if (path.length) {
      for (const p of path) headers.push(['Path', p]);
      headers.push(['Supported', 'path']);
    }
    headers.push(['Date', new Date().toUTCString()]);
    return createResponse(req, 200, { headers });
  }
}
