import type { SipRequest } from '../message/index.js';
import { defaultPort, normalizeAddress, sameAddress } from './address.js';
import type { Inbound, Target, TransportProtocol } from './types.js';

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4 on a received request, in place: `received=<source IP>` when
 * the top Via's sent-by host is a name or another address, and an empty `rport` filled with the
 * source port (which also makes `received` mandatory). Only the top Via value is rewritten; the
 * others stay byte for byte. Returns whether the message changed.
 */
export function stampReceived(req: SipRequest, source: { host: string; port: number }): boolean {
  const via = req.topVia;
  if (!via) return false;
  const src = normalizeAddress(source.host);
  let changed = false;
  if (!sameAddress(via.hostname, src)) {
    via.params.set('received', src);
    changed = true;
  }
  if (via.rport === true) {
    via.params.set('rport', String(source.port));
    if (via.received === undefined) via.params.set('received', src);
    changed = true;
  }
  if (changed) {
    const text = via.toString();
    req.removeFirstValue('Via');
    req.prepend('Via', text);
  }
  return changed;
}

/** Where a response goes: a target, and the connection to reuse when it is still open. */
export interface ResponseRoute {
  target: Target;
  connectionId?: string;
}

/**
 * RFC 3261 §18.2.2 with RFC 3581 §4: where to send the responses to an inbound request.
 * - reliable transport and the connection is still open (`isOpen`): that connection;
 * - reliable, connection gone: a new connection to `received` (else the sent-by host) at the
 *   sent-by port (default port of the transport when absent);
 * - `maddr`: there, at the sent-by port (default 5060);
 * - unreliable: `received` (else the sent-by host) at `rport` when it was filled in, else the
 *   sent-by port (default 5060). A sent-by name is returned as is (RFC 3263 §5 resolves it).
 * The protocol is the one the request arrived over.
 */
export function responseTarget(
  inbound: Pick<Inbound, 'message' | 'protocol' | 'remote' | 'connectionId'>,
  isOpen: (connectionId: string) => boolean = () => false,
): ResponseRoute {
  const protocol: TransportProtocol = inbound.protocol;
  const remote = { protocol, host: normalizeAddress(inbound.remote.host), port: inbound.remote.port };
  const via = inbound.message.isRequest ? (inbound.message as SipRequest).topVia : undefined;
  const reliable = protocol !== 'udp';
  if (reliable && inbound.connectionId && isOpen(inbound.connectionId))
    return { target: remote, connectionId: inbound.connectionId };
  if (!via) return { target: remote };
  const sentByPort = via.port ?? defaultPort(protocol);
  if (reliable) return { target: { protocol, host: normalizeAddress(via.received ?? via.hostname), port: sentByPort } };
  if (via.maddr) return { target: { protocol, host: normalizeAddress(via.maddr), port: via.port ?? 5060 } };
  const host = normalizeAddress(via.received ?? via.hostname);
  const rport = via.rport;
  const port =
    typeof rport === 'number' && via.received !== undefined ? rport : rport === true ? remote.port : sentByPort;
  return { target: { protocol, host, port } };
}
