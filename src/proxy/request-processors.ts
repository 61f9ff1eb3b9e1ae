/**
 * The default request chain: each step of RFC 3261 §16.3–§16.5 as a named processor. A user
 * inserts their own before or after one of these names (Proxy.chains.request.insertBefore).
 */
import { SipUri, createResponse, parseUri } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import { canonicalAor, type Binding, type Registrar } from '../registrar/index.js';
import type { DigestServer } from '../auth/index.js';
import { processor, type Outcome, type Processor } from './chain.js';
import type { ProxyStats, RequestContext } from './context.js';
import { isOurDomain, isOwnUri, type ProxyIdentity } from './identity.js';
import type { RateLimiter, TrustList } from './rate-limit.js';
import { preprocessRoute, validateRequest } from './rules.js';

/** What the default processors need from the proxy. */
export interface RequestServices {
  readonly id: ProxyIdentity;
  readonly registrar: Registrar | undefined;
  readonly auth: DigestServer | undefined;
  readonly limiter: RateLimiter | undefined;
  readonly trust: TrustList;
  readonly stats: ProxyStats;
  /** §16.10: answer a CANCEL and cancel the branches of its INVITE. */
  cancel(tx: ServerTransaction): void;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, SUBSCRIBE, INFO, MESSAGE';

/** Names of the default request processors, in order. */
export const REQUEST_PROCESSORS = [
  'rate-limit',
  'validate',
  'cancel',
  'route',
  'registrar',
  'options',
  'auth',
  'in-dialog',
  'location',
  'relay',
] as const;

export function defaultRequestProcessors(s: RequestServices): Processor<RequestContext>[] {
  const limited = (ctx: RequestContext) => {
    s.stats.rateLimited++;
    ctx.respond(503, { reason: 'Service Unavailable (rate limit)', headers: [['Retry-After', '5']] });
    return 'stop' as const;
  };
  return [
    // flood protection, off unless configured (like Kamailio's pike); trusted networks skip it
    processor('rate-limit', (ctx) => {
      const limiter = s.limiter;
      if (!limiter || s.trust.has(ctx.inbound.remote.host)) return 'continue';
      const ok = limiter.consume(ctx.inbound.remote.host);
      if (ok === true) return 'continue';
      if (ok === false) return limited(ctx);
      return ok.then((v) => (v ? 'continue' : limited(ctx)));
    }),
    // §16.3: scheme, Max-Forwards, loops, Proxy-Require
    processor('validate', (ctx) => {
      const v = validateRequest(ctx.request, s.id);
      if (v.ok) return 'continue';
      s.stats.rejected++;
      ctx.respondWith(v.response);
      return 'stop';
    }),
    // §16.10
    processor('cancel', (ctx) => {
      if (ctx.request.method !== 'CANCEL') return 'continue';
      s.cancel(ctx.tx);
      return 'stop';
    }),
    // §16.4
    processor('route', (ctx) => {
      ctx.routedToUs = preprocessRoute(ctx.request, s.id);
      return 'continue';
    }),
    // §10.3: REGISTER for our domains
    // (synchronous for every other request: an async function's promise would switch the whole
    // chain to its async path for each INVITE and BYE)
    processor('registrar', (ctx) => {
      const req = ctx.request;
      const reg = s.registrar;
      if (!reg || req.method !== 'REGISTER' || req.route.length !== 0 || !isOurDomain(req.uri, s.id)) return 'continue';
      return register(ctx, reg);
    }),
    // OPTIONS to the proxy itself (§11)
    processor('options', (ctx) => {
      const req = ctx.request;
      if (req.method !== 'OPTIONS' || req.route.length !== 0 || !isOwnUri(req.uri, s.id)) return 'continue';
      ctx.respond(200, { headers: [['Allow', ALLOW]] });
      return 'stop';
    }),
    // §22.3: out-of-dialog requests from our users authenticate (407)
    processor('auth', (ctx) => {
      const req = ctx.request;
      const auth = s.auth;
      // synchronous when there is nothing to verify (the hot path stays without a promise)
      if (!auth || req.to?.tag || req.method === 'ACK' || !req.from || !isOurDomain(req.from.uri, s.id))
        return 'continue';
      return authenticate(ctx, auth);
    }),
    // §16.4, §16.6: a request inside a dialog that reached us by our Record-Route goes to its
    // Request-URI (the remote target); it is never looked up in the location service
    processor('in-dialog', (ctx) => {
      if (!ctx.routedToUs || !ctx.request.to?.tag) return 'continue';
      ctx.targets.push({ uri: ctx.request.uri, q: 1, path: [] });
      return 'skip';
    }),
    // §16.5: the location service for our domains
    processor('location', async (ctx) => {
      const req = ctx.request;
      if (ctx.targets.length || req.route.length !== 0 || !isOurDomain(req.uri, s.id)) return 'continue';
      const bindings = s.registrar ? await s.registrar.store.lookup(canonicalAor(req.uri)) : [];
      if (bindings.length === 0) {
        ctx.respond(req.to?.tag ? 481 : 404);
        return 'stop';
      }
      for (const b of bindings as Binding[]) ctx.targets.push({ uri: parseUri(b.uri), q: b.q, path: b.path });
      return 'continue';
    }),
    // not our domain: relay our own users' requests or routed/in-dialog ones only (no open relay)
    processor('relay', (ctx) => {
      if (ctx.targets.length) return 'continue';
      const req = ctx.request;
      const fromOurs = req.from ? isOurDomain(req.from.uri, s.id) : false;
      if (!fromOurs && !req.to?.tag && req.route.length === 0) {
        ctx.respond(403, { reason: 'Forbidden (relaying denied)' });
        return 'stop';
      }
      ctx.targets.push({ uri: req.uri, q: 1, path: [] });
      return 'continue';
    }),
  ];
}

async function register(ctx: RequestContext, reg: Registrar): Promise<Outcome> {
  const i = ctx.inbound;
  ctx.respondWith(
    await reg.handleRegister(ctx.request, {
      protocol: i.protocol,
      host: i.remote.host,
      port: i.remote.port,
      ...(i.connectionId ? { connectionId: i.connectionId } : {}),
    }),
  );
  return 'stop';
}

/** §22.3: verify Proxy-Authorization; 407 with challenges, or 403 when From is another user. */
async function authenticate(ctx: RequestContext, auth: DigestServer): Promise<Outcome> {
  const req = ctx.request;
  const r = await auth.verify(req, { proxy: true });
  if (!r.ok) {
    const challenges = auth.challenges({ stale: r.stale ?? false });
    ctx.respondWith(
      createResponse(req, 407, { headers: challenges.map((c) => ['Proxy-Authenticate', c] as [string, string]) }),
    );
    return 'stop';
  }
  if ((req.from!.uri as SipUri).userDecoded !== r.user) {
    ctx.respond(403, { reason: 'Forbidden (From does not match the authenticated user)' });
    return 'stop';
  }
  // credentials for our realm are not forwarded (§22.3)
  req.headers = req.headers.filter(
    (h) => !(h.key === 'proxy-authorization' && h.value.includes(`realm="${auth.realm}"`)),
  );
  return 'continue';
}
