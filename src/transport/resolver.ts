import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipUri, Uri } from '../message/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { defaultPort } from './address.js';
import { TransportError, type Target, type TransportProtocol } from './types.js';

export interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The DNS queries RFC 3263 needs; injectable so tests run without DNS. A failed lookup rejects. */
export interface Dns {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** DNS through node:dns/promises Resolver, with a per-query timeout (ms) and tries. */
export function createSystemDns(opts: { timeout?: number; tries?: number; servers?: string[] } = {}): Dns {
  const r = new Resolver({ timeout: opts.timeout ?? 2000, tries: opts.tries ?? 2 });
  if (opts.servers) r.setServers(opts.servers);
  return {
    resolveNaptr: (n) => r.resolveNaptr(n),
    resolveSrv: (n) => r.resolveSrv(n),
    resolve4: (n) => r.resolve4(n),
    resolve6: (n) => r.resolve6(n),
  };
}

export const systemDns: Dns = createSystemDns();

/** RFC 3263 §4.1 NAPTR services (RFC 7118 §7 for WebSocket). */
const NAPTR_SERVICES: Record<string, TransportProtocol> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
  'SIP+D2W': 'ws',
  'SIPS+D2W': 'wss',
};
const SRV_PREFIX: Record<TransportProtocol, string> = {
  udp: '_sip._udp.',
  tcp: '_sip._tcp.',
  tls: '_sips._tcp.',
  ws: '_sip._ws.',
  wss: '_sips._ws.',
};
const isSecure = (p: TransportProtocol) => p === 'tls' || p === 'wss';

export interface ResolveOptions {
  dns?: Dns;
  /** Transports we can use, in no particular order (default all five). */
  supported?: TransportProtocol[];
  /** Random source for SRV weights (RFC 2782); inject a seeded one for reproducible order. */
  random?: () => number;
}

/**
 * RFC 2782 ordering: ascending priority; within a priority, a weighted random permutation
 * (weight-0 records first in the pool, so they are picked rarely but not never).
 */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: T[],
  random: () => number = Math.random,
): T[] {
  const out: T[] = [];
  const byPrio = new Map<number, T[]>();
  for (const r of records) byPrio.set(r.priority, [...(byPrio.get(r.priority) ?? []), r]);
  for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
    const pool = [...byPrio.get(prio)!].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (pool.length) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      const pick = Math.min(Math.floor(random() * (total + 1)), total);
      let sum = 0;
      let i = 0;
      for (; i < pool.length - 1; i++) {
        sum += pool[i]!.weight;
        if (sum >= pick) break;
      }
      out.push(pool.splice(i, 1)[0]!);
    }
  }
  return out;
}

async function addresses(dns: Dns, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const [v4, v6] = await Promise.all([
    dns.resolve4(host).catch(() => [] as string[]),
    dns.resolve6(host).catch(() => [] as string[]),
  ]);
  return [...v4, ...v6];
}

/** The transport a URI asks for with `transport=` (RFC 3261 §19.1.1), adjusted for sips. */
function explicitTransport(u: SipUri): TransportProtocol | undefined {
  const tp = u.transport;
  if (tp === undefined) return undefined;
  const secure = u.scheme === 'sips';
  switch (tp) {
    case 'udp':
      if (secure) throw new TransportError('a sips: URI cannot use transport=udp (RFC 3261 §26.2.2)');
      return 'udp';
    case 'tcp':
      return secure ? 'tls' : 'tcp';
    case 'tls':
      return 'tls';
    case 'ws':
      return secure ? 'wss' : 'ws';
    case 'wss':
      return 'wss';
    default:
      throw new TransportError(`unsupported transport=${tp}`);
  }
}

const ALL: TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/**
 * RFC 3263 §4.1, §4.2 for a numeric host (or maddr): its one target, found without DNS and
 * without waiting (a proxy's hot path: the next hop of most in-dialog requests is an address);
 * undefined for a host name. Throws as resolveTargets does for a URI it cannot route to.
 */
export function numericTargets(uri: Uri, supported: TransportProtocol[] = ALL): Target[] | undefined {
  if (uri.kind !== 'sip') throw new TransportError(`cannot route to a ${uri.scheme}: URI`);
  const u = uri as SipUri;
  const host = (u.maddr ?? u.hostname).replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) === 0) return undefined;
  const explicit = explicitTransport(u);
  if (explicit && !supported.includes(explicit))
    throw new TransportError(`transport ${explicit} is not supported here`);
  const protocol = explicit ?? (u.scheme === 'sips' ? 'tls' : 'udp');
  return [{ protocol, host, port: u.port ?? defaultPort(protocol) }];
}

/**
 * RFC 3263 §4: the ordered targets for a SIP/SIPS URI (maddr, when present, is the host).
 * - numeric host: that address; the URI port or the transport's default port;
 * - a name with an explicit port: A/AAAA only;
 * - otherwise NAPTR (unless `transport=` is given) → SRV → A/AAAA; without NAPTR, SRV for each
 *   supported transport (UDP, TCP, TLS; TLS only for sips); without SRV, A/AAAA on the default port.
 * The transport: `transport=` when given (tcp → TLS for sips), else the NAPTR/SRV records, else
 * UDP (TLS for sips). TLS/WSS targets carry `servername` = the URI host (RFC 5922 §4).
 * An empty list means nothing was found.
 */
export async function resolveTargets(uri: Uri, opts: ResolveOptions = {}): Promise<Target[]> {
  const literal = numericTargets(uri, opts.supported);
  if (literal) return literal;
  const dns = opts.dns ?? systemDns;
  const supported = opts.supported ?? ALL;
  const u = uri as SipUri;
  const secure = u.scheme === 'sips';
  const host = (u.maddr ?? u.hostname).replace(/^\[|\]$/g, '').toLowerCase();
  const explicit = explicitTransport(u);
  if (explicit && !supported.includes(explicit))
    throw new TransportError(`transport ${explicit} is not supported here`);
  const targets: Target[] = [];
  const push = (protocol: TransportProtocol, address: string, port: number) => {
    if (targets.some((t) => t.protocol === protocol && t.host === address && t.port === port)) return;
    const t: Target = { protocol, host: address, port };
    // (a name: numeric hosts were answered above)
    if (isSecure(protocol)) t.servername = host;
    targets.push(t);
  };

  // §4.1 / §4.2: a name with an explicit port: no NAPTR, no SRV
  if (u.port !== undefined) {
    const protocol = explicit ?? (secure ? 'tls' : 'udp');
    const port = u.port ?? defaultPort(protocol);
    for (const a of await addresses(dns, host)) push(protocol, a, port);
    return targets;
  }

  const viaSrv = async (protocol: TransportProtocol, name: string) => {
    const records = await dns.resolveSrv(name).catch(() => [] as SrvRecord[]);
    // RFC 2782: a single record with target "." means the service is decidedly not available
    for (const srv of orderSrv(
      records.filter((r) => r.name !== '.' && r.name !== ''),
      opts.random,
    )) {
      for (const a of await addresses(dns, srv.name.replace(/\.$/, ''))) push(protocol, a, srv.port);
    }
  };

  if (!explicit) {
    const naptr = await dns.resolveNaptr(host).catch(() => [] as NaptrRecord[]);
    const usable = naptr
      .map((r) => ({ r, p: NAPTR_SERVICES[r.service.toUpperCase()] }))
      .filter(
        (x): x is { r: NaptrRecord; p: TransportProtocol } =>
          x.r.flags.toLowerCase() === 's' && x.p !== undefined && supported.includes(x.p),
      )
      .filter((x) => !secure || isSecure(x.p))
      .sort((a, b) => a.r.order - b.r.order || a.r.preference - b.r.preference);
    for (const { r, p } of usable) await viaSrv(p, r.replacement.replace(/\.$/, ''));
    if (targets.length) return targets;
  }

  // §4.1 without (usable) NAPTR: SRV for the transport given, else for each one we support
  const candidates: TransportProtocol[] = explicit
    ? [explicit]
    : ((secure ? ['tls'] : ['udp', 'tcp', 'tls']) as TransportProtocol[]).filter((p) => supported.includes(p));
  for (const p of candidates) await viaSrv(p, SRV_PREFIX[p] + host);
  if (targets.length) return targets;

  // §4.2: no SRV: A/AAAA on the default port of the transport
  const protocol = explicit ?? (secure ? 'tls' : 'udp');
  for (const a of await addresses(dns, host)) push(protocol, a, defaultPort(protocol));
  return targets;
}

export interface FailoverOptions {
  /** Give up on one target after this many ms (a timeout counts as a transport failure). */
  timeoutMs?: number;
  clock?: Clock;
  /** Which errors move on to the next target (default: TransportError, timeouts included). */
  shouldFailover?: (error: unknown) => boolean;
  /** Told about every failed target. */
  onFailure?: (target: Target, error: unknown) => void;
}

/**
 * RFC 3263 §4.3: try `attempt` on each target in order until one succeeds; a TransportError or
 * a timeout moves on to the next target, any other error is final. When all fail, the last
 * error is thrown (a TransportError when the list is empty). The AbortSignal tells an attempt
 * that it has timed out.
 */
export async function withFailover<T>(
  targets: Target[],
  attempt: (t: Target, signal: AbortSignal) => Promise<T>,
  opts: FailoverOptions = {},
): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const should = opts.shouldFailover ?? ((e: unknown) => e instanceof TransportError);
  let last: unknown = new TransportError('no targets to try');
  for (const t of targets) {
    const ac = new AbortController();
    let timer;
    try {
      const run = attempt(t, ac.signal);
      if (opts.timeoutMs === undefined) return await run;
      const timeout = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => {
          const err = new TransportError(
            `no answer from ${t.protocol}:${t.host}:${t.port} within ${opts.timeoutMs} ms`,
            t,
          );
          ac.abort(err);
          reject(err);
        }, opts.timeoutMs!);
      });
      run.catch(() => undefined); // a late failure after a timeout is not unhandled
      return await Promise.race([run, timeout]);
    } catch (e) {
      if (!should(e)) throw e;
      last = e;
      opts.onFailure?.(t, e);
    } finally {
      clock.clearTimeout(timer);
    }
  }
  throw last;
}
