import { InvalidArgumentError } from 'commander';
import type { ListenOptions, TransportProtocol } from '../transport/index.js';

/**
 * Option parsing and types shared by the sub-commands. It lives here, below both main.ts and
 * commands/*, so that no command imports main.ts or another command (no import circles).
 */

/** How a sub-command reports the process exit status: 0 ok, 1 failure, 2 usage error. */
export type SetStatus = (code: number) => void;

/** `udp:127.0.0.1:5060`, `tls:[::1]:5061` → ListenOptions. */
export function parseListen(v: string): ListenOptions {
  const m = /^(udp|tcp|tls|ws|wss):(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[3]) > 65535)
    throw new InvalidArgumentError(`expected <udp|tcp|tls|ws|wss>:<host>:<port>, got "${v}"`);
  return { protocol: m[1] as TransportProtocol, host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

/** A repeatable --listen option: each occurrence adds one address. */
export function collectListen(v: string, prev: ListenOptions[] = []): ListenOptions[] {
  return [...prev, parseListen(v)];
}
