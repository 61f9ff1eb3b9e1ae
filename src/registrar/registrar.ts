import {
  SipUri,
  createResponse,
  uriEquals,
  parseUri,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { DigestServer } from '../auth/index.js';
import { systemClock, wallTime, type Clock } from '../util/clock.js';
import type { Binding, LocationStore, RegisterChange } from './location.js';

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
      const v = await this.opts.auth.verify(req);
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
      const r = await this.store.register(aor, { callId, cseq, wildcard: true, put: [], remove: [] });
      return r.ok ? this.ok(req, r.bindings) : this.outOfOrder(req);
    }
    const now = wallTime(this.clock);
    // matched by URI equality (§10.3 step 7, §19.1.4), not spelling: a refresh may write it differently
    const existing = await this.store.lookup(aor);
    const path = req.path.map(String);
    const change: RegisterChange = { callId, cseq, put: [], remove: [] };
    for (const c of contacts) {
      let expires = c.expires ?? headerExpires ?? this.dflt;
      if (expires > 0 && expires < this.min) {
        return createResponse(req, 423, { headers: [['Min-Expires', String(this.min)]] });
      }
      expires = Math.min(expires, this.max);
      const uri = c.uri.toString();
      const prev = existing.find((b) => uriEquals(parseUri(b.uri), c.uri));
      if (prev && prev.uri !== uri) change.remove.push(prev.uri);
      if (expires === 0) {
        change.remove.push(uri);
        continue;
      }
      const params = c.params.list
        .filter((p) => !['expires', 'q'].includes(p.name.toLowerCase()))
        .map((p) => (p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`))
        .join('');
      change.put.push({
        aor,
        uri,
        params,
        expires: now + expires * 1000,
        q: c.q ?? 1,
        callId,
        cseq,
        path,
        ...(source ? { source } : {}),
      });
    }
    // step 7 (Call-ID/CSeq order) is checked by the store, atomically with the update
    const r = await this.store.register(aor, change);
    return r.ok ? this.ok(req, r.bindings, path) : this.outOfOrder(req);
  }

  private outOfOrder(req: SipRequest): SipResponse {
    return createResponse(req, 500, { reason: 'Server Internal Error (CSeq out of order)' });
  }

  /** §10.3 step 8: 200 with every current binding and its remaining expiry. */
  private ok(req: SipRequest, bindings: Binding[], path: string[] = []): SipResponse {
    const now = wallTime(this.clock);
    const headers: [string, string][] = [];
    for (const b of bindings) {
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
