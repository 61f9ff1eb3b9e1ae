import { EventEmitter } from 'node:events';
import { after } from 'node:test';
import { UserAgent, type UserAgentOptions } from '../../src/ua/user-agent.js';
import { parseMessage, type SipMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
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
  /** Emits 'wire' with each WireEvent as it is recorded (before the stack handles an incoming one). */
  wireEvents: EventEmitter;
}

/** A phone on loopback with every message it sends or receives recorded. */
export async function phone(
  name: string,
  opts: Partial<UserAgentOptions> = {},
  protocol: 'udp' | 'tcp' = 'udp',
): Promise<Phone> {
  const wire: WireEvent[] = [];
  const wireEvents = new EventEmitter();
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol, host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    tap: (e) => {
      wire.push(e);
      wireEvents.emit('wire', e);
    },
    ...opts,
  });
  await ua.start();
  const a = ua.transport.address(protocol)!;
  return {
    ua,
    uri: `sip:${name}@127.0.0.1:${a.port}${protocol === 'udp' ? '' : `;transport=${protocol}`}`,
    wire,
    wireEvents,
  };
}

/** A phone maker for one test file: every phone it makes is stopped after the file's tests. */
export function phoneMaker(): (
  name: string,
  opts?: Partial<UserAgentOptions>,
  protocol?: 'udp' | 'tcp',
) => Promise<Phone> {
  const made: Phone[] = [];
  after(async () => {
    await Promise.all(made.map((p) => p.ua.stop()));
  });
  return async (name, opts = {}, protocol = 'udp') => {
    const p = await phone(name, opts, protocol);
    made.push(p);
    return p;
  };
}

/** The responses `p` sent ('out') or received ('in'), parsed. */
export function responses(p: Phone, dir: 'in' | 'out'): SipResponse[] {
  return p.wire
    .filter((e) => e.direction === dir)
    .map((e) => parseMessage(e.bytes))
    .filter((m): m is SipResponse => !m.isRequest);
}

/**
 * Resolves with the first message `p` sent ('out') or received ('in') that matches `pred`, already
 * recorded ones included; an incoming one has been handled by the stack when this resolves.
 */
export function onWire(p: Phone, dir: 'in' | 'out', pred: (m: SipMessage) => boolean, ms = 8000): Promise<SipMessage> {
  const match = (e: WireEvent): SipMessage | undefined => {
    if (e.direction !== dir) return undefined;
    const m = parseMessage(e.bytes);
    return pred(m) ? m : undefined;
  };
  for (const e of p.wire) {
    const m = match(e);
    if (m) return Promise.resolve(m);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.wireEvents.off('wire', on);
      reject(new Error(`no matching message ${dir} within ${ms} ms`));
    }, ms);
    const on = (e: WireEvent) => {
      const m = match(e);
      if (!m) return;
      clearTimeout(timer);
      p.wireEvents.off('wire', on);
      // the tap runs before the stack handles the message: resolve once this I/O turn (and the
      // promise chains it started) is done
      setImmediate(() => resolve(m));
    };
    p.wireEvents.on('wire', on);
  });
}

/** An ACK (the UAS may send a re-INVITE only once its 2xx is ACKed, RFC 3261 §14.2). */
export const isAck = (m: SipMessage): boolean => m.isRequest && (m as SipRequest).method === 'ACK';

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
