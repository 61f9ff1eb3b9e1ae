import type { EventEmitter } from 'node:events';
import { UserAgent, type UserAgentOptions } from '../../src/ua/user-agent.js';
import { parseMessage, type SipRequest } from '../../src/message/index.js';
import type { WireEvent } from '../../src/transport/index.js';

/** Resolves with the event's arguments, or rejects after `ms`. */
export function once<T extends unknown[] = unknown[]>(em: EventEmitter, event: string, ms = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for "${event}"`)), ms);
    em.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

export interface Phone {
  ua: UserAgent;
  uri: string;
  wire: WireEvent[];
}

/** A phone on loopback with every message it sends or receives recorded. */
export async function phone(
  name: string,
  opts: Partial<UserAgentOptions> = {},
  protocol: 'udp' | 'tcp' = 'udp',
): Promise<Phone> {
  const wire: WireEvent[] = [];
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol, host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    tap: (e) => wire.push(e),
    ...opts,
  });
  await ua.start();
  const a = ua.transport.address(protocol)!;
  return { ua, uri: `sip:${name}@127.0.0.1:${a.port}${protocol === 'udp' ? '' : `;transport=${protocol}`}`, wire };
}

/** Requests seen on the wire in one direction, parsed. */
export function sent(p: Phone, method?: string): SipRequest[] {
  return p.wire
    .filter((e) => e.direction === 'out')
    .map((e) => parseMessage(e.bytes))
    .filter((m): m is SipRequest => m.isRequest && (!method || (m as SipRequest).method === method));
}

export function sdpDirection(body: Buffer): string | undefined {
  return /a=(sendrecv|sendonly|recvonly|inactive)/.exec(body.toString())?.[1];
}
