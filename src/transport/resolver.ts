import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import type { SipUri, Uri } from '../message/index.js';
import type { Target, TransportProtocol } from './types.js';

/** The DNS queries RFC 3263 needs; injectable so tests run without DNS. */
export interface Dns {
  resolveNaptr(name: string): Promise<{ flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }[]>;
  resolveSrv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export const systemDns: Dns = {
  resolveNaptr: (n) => dnsPromises.resolveNaptr(n),
  resolveSrv: (n) => dnsPromises.resolveSrv(n),
  resolve4: (n) => dnsPromises.resolve4(n),
  resolve6: (n) => dnsPromises.resolve6(n),
};

const NAPTR_SERVICES: Record<string, TransportProtocol> = { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls', 'SIP+D2W': 'ws', 'SIPS+D2W': 'wss' };
const SRV_PREFIX: Record<TransportProtocol, string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.', ws: '_sip._ws.', wss: '_sips._ws.' };

function defaultPort(p: TransportProtocol): number {
  return p === 'tls' ? 5061 : p === 'ws' ? 80 : p === 'wss' ? 443 : 5060;
}

async function addresses(dns: Dns, host: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([dns.resolve4(host).catch(() => []), dns.resolve6(host).catch(() => [])]);
  return [...v4, ...v6];
}

/** RFC 2782 ordering: by priority, then weighted random within a priority. */
function orderSrv<T extends { priority: number; weight: number }>(records: T[], random = Math.random): T[] {
  const out: T[] = [];
  const byPrio = new Map<number, T[]>();
  for (const r of records) byPrio.set(r.priority, [...(byPrio.get(r.priority) ?? []), r]);
  for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
    const pool = [...byPrio.get(prio)!];
    while (pool.length) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      let pick = random() * total;
      let i = 0;
      for (; i < pool.length - 1; i++) {
        pick -= pool[i]!.weight;
        if (pick < 0) break;
      }
      out.push(pool.splice(i, 1)[0]!);
    }
  }
  return out;
}

/**
 * RFC 3263 §4: the ordered targets for a SIP/SIPS URI. Numeric host → that address; explicit
 * port → A/AAAA only; else NAPTR → SRV → A/AAAA, with the transport from `transport=`, the
 * NAPTR records, or the scheme (sips → TLS). `supported` limits the transports we can use.
 */
export async function resolveTargets(uri: Uri, opts: { dns?: Dns; supported?: TransportProtocol[]; random?: () => number } = {}): Promise<Target[]> {
  if (uri.kind !== 'sip') throw new Error(`cannot route to a ${uri.scheme}: URI`);
  const dns = opts.dns ?? systemDns;
  const supported = opts.supported ?? ['udp', 'tcp', 'tls', 'ws', 'wss'];
  const u = uri as SipUri;
  const secure = u.scheme === 'sips';
  const host = u.maddr ?? u.hostname;
  const tp = u.transport as TransportProtocol | undefined;
  let protocol: TransportProtocol | undefined = tp ? (secure && tp === 'tcp' ? 'tls' : tp) : undefined;
  // §4.1: numeric host or explicit port: no NAPTR; the transport defaults to UDP (TLS for sips)
  if (isIP(host) || u.port !== undefined) {
    protocol ??= secure ? 'tls' : 'udp';
    const port = u.port ?? defaultPort(protocol);
    const addrs = isIP(host) ? [host] : await addresses(dns, host);
    return addrs.map((a) => ({ protocol: protocol!, host: a, port }));
  }
  const targets: Target[] = [];
  if (!protocol) {
    const naptr = await dns.resolveNaptr(host).catch(() => []);
    const usable = naptr
      .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICES[r.service.toUpperCase()] && supported.includes(NAPTR_SERVICES[r.service.toUpperCase()]!))
      .filter((r) => !secure || r.service.toUpperCase().startsWith('SIPS'))
      .sort((a, b) => a.order - b.order || a.preference - b.preference);
    for (const r of usable) {
      const p = NAPTR_SERVICES[r.service.toUpperCase()]!;
      for (const srv of orderSrv(await dns.resolveSrv(r.replacement).catch(() => []), opts.random)) {
        for (const a of await addresses(dns, srv.name)) targets.push({ protocol: p, host: a, port: srv.port });
      }
    }
    if (targets.length) return targets;
  }
  // §4.1 without NAPTR: SRV for each supported transport, in preference order
  const candidates: TransportProtocol[] = protocol ? [protocol] : secure ? ['tls'] : (['udp', 'tcp', 'tls'] as TransportProtocol[]).filter((p) => supported.includes(p));
  for (const p of candidates) {
    for (const srv of orderSrv(await dns.resolveSrv(SRV_PREFIX[p] + host).catch(() => []), opts.random)) {
      for (const a of await addresses(dns, srv.name)) targets.push({ protocol: p, host: a, port: srv.port });
    }
    if (targets.length) return targets;
  }
  // §4.2: no SRV: A/AAAA on the default port
  const p = protocol ?? (secure ? 'tls' : 'udp');
  return (await addresses(dns, host)).map((a) => ({ protocol: p, host: a, port: defaultPort(p) }));
}

/** Try `attempt` on each target in order until one succeeds (failover on transport error/timeout). */
export async function withFailover<T>(targets: Target[], attempt: (t: Target) => Promise<T>): Promise<T> {
  let last: unknown = new Error('no targets to try');
  for (const t of targets) {
    try {
      return await attempt(t);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
