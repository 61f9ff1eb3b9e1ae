/**
 * "Is this URI me?" (RFC 3261 §16.4, §16.5), as Kamailio's `myself` answers it: the host and
 * port (and transport, when the URI names one) are compared with the listening sockets, and with
 * the configured aliases. A URI without a port means the default port of its transport (5060, or
 * 5061 for sips/TLS), so sip:bob@127.0.0.1:40000 is not us when we listen on 127.0.0.1:5060.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Uri } from '../message/index.js';
import type { TransportProtocol } from '../transport/index.js';

export interface Listener {
  protocol: TransportProtocol;
  host: string;
  port: number;
}

export interface ProxyIdentity {
  /** The sockets we listen on (hosts without brackets, lower-cased; wildcards expanded). */
  listeners: Listener[];
  /**
   * Names that mean this proxy (`--hostname`): a name alone matches on any port (like a Kamailio
   * alias without a port); `host:port` only on that port; an IP literal alone on our listening ports.
   */
  aliases: { host: string; port: number | undefined }[];
  /** Domains this proxy is responsible for (registrar and location service). */
  domains: string[];
  /** Option tags the proxy understands in Proxy-Require (§16.3 step 5). */
  supported?: string[];
}

const unbracket = (h: string) => (h.startsWith('[') ? h.slice(1, -1) : h).toLowerCase();

/** Parse an alias `name`, `name:port`, `[v6]:port` or a bare IPv6 literal. */
export function parseAlias(a: string): { host: string; port: number | undefined } {
  if (isIP(a) === 6) return { host: a.toLowerCase(), port: undefined };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(a);
  if (!m) return { host: a.toLowerCase(), port: undefined };
  return { host: unbracket(m[1]!), port: m[2] ? Number(m[2]) : undefined };
}

/** Build an identity; listeners bound to a wildcard address stand for every local address. */
export function makeIdentity(
  listeners: readonly Listener[],
  aliases: readonly string[],
  domains: readonly string[],
  supported: string[] = ['path'],
): ProxyIdentity {
  const out: Listener[] = [];
  for (const l of listeners) {
    const host = unbracket(l.host);
    if (host === '0.0.0.0' || host === '::') {
      for (const list of Object.values(networkInterfaces()))
        for (const i of list ?? [])
          if ((i.family === 'IPv4') === (host === '0.0.0.0') || host === '::')
            out.push({ protocol: l.protocol, host: i.address.toLowerCase(), port: l.port });
    } else out.push({ protocol: l.protocol, host, port: l.port });
  }
  return { listeners: out, aliases: aliases.map(parseAlias), domains: domains.map((d) => d.toLowerCase()), supported };
}

function defaultPort(transport: string | undefined, secure: boolean): number {
  return secure || transport === 'tls' || transport === 'wss' ? 5061 : 5060;
}

/**
 * Host, port and (optional) transport against our sockets and aliases. `port` undefined means
 * the default port of the transport, as in Kamailio's check_self.
 */
export function isMyself(
  host: string,
  port: number | undefined,
  id: ProxyIdentity,
  transport?: string,
  secure = false,
): boolean {
  const h = unbracket(host);
  const p = port ?? defaultPort(transport, secure);
  for (const a of id.aliases) {
    if (a.host !== h) continue;
    if (a.port !== undefined) {
      if (a.port === p) return true;
    } else if (isIP(h) === 0)
      return true; // a name alias: any port
    else if (id.listeners.some((l) => l.port === p)) return true;
  }
  for (const l of id.listeners) {
    if (l.host !== h || l.port !== p) continue;
    if (transport === undefined || transport === l.protocol) return true;
  }
  return false;
}

/** A URI that addresses the proxy itself (our Route / Record-Route values carry no user part). */
export function isOwnUri(u: Uri, id: ProxyIdentity): boolean {
  if (u.kind !== 'sip' || u.user !== undefined) return false;
  return isMyself(u.hostname, u.port, id, u.transport, u.scheme === 'sips');
}

/** A Via sent-by of ours (loop detection, stray responses). */
export function isOwnVia(host: string, port: number | undefined, id: ProxyIdentity): boolean {
  return isMyself(host, port, id);
}

/**
 * Is the URI within one of our domains (we are responsible for it: location service, §16.5)?
 * A domain that is a name matches on any port. An IP-literal domain (`--domain 127.0.0.1`)
 * matches a URI without a port, or with one of our ports: sip:bob@127.0.0.1:40000 is a phone's
 * contact, not our domain.
 */
export function isOurDomain(u: Uri, id: ProxyIdentity): boolean {
  if (u.kind !== 'sip') return false;
  const h = u.hostname;
  if (!id.domains.includes(h)) return false;
  if (isIP(h) === 0 || u.port === undefined) return true;
  return isMyself(h, u.port, id, undefined, u.scheme === 'sips');
}
