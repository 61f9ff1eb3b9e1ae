import { InvalidArgumentError, type Command } from 'commander';
import type { TransportOptions } from '../../transport/index.js';

/** The stream connection limits a command line may set (issue 16: limits on everything a peer controls). */
export interface StreamLimitFlags {
  maxConnections?: number;
  maxConnectionsPerSource?: number;
  idleTimeout?: number;
  handshakeTimeout?: number;
  messageTimeout?: number;
}

const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
};
const millis = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected milliseconds (0 = none), got "${v}"`);
  return n;
};

/** Add --max-connections, --max-connections-per-source, --idle-timeout, --handshake-timeout, --message-timeout. */
export function streamLimitOptions(cmd: Command): Command {
  return cmd
    .option('--max-connections <n>', 'inbound TCP/TLS/WS connections open at once (default 10000)', count)
    .option('--max-connections-per-source <n>', 'inbound connections from one address (default 100)', count)
    .option('--idle-timeout <ms>', 'close stream connections idle this long (default 300000; 0 = never)', millis)
    .option('--handshake-timeout <ms>', 'time for a TLS handshake or WebSocket upgrade (default 10000)', millis)
    .option('--message-timeout <ms>', 'time for a message to arrive whole once begun (default 30000)', millis);
}

/** The TransportOptions for the flags given (absent flags keep the defaults). */
export function streamLimits(f: StreamLimitFlags): Partial<TransportOptions> {
  const out: Partial<TransportOptions> = {};
  if (f.maxConnections !== undefined) out.maxConnections = f.maxConnections;
  if (f.maxConnectionsPerSource !== undefined) out.maxConnectionsPerSource = f.maxConnectionsPerSource;
  if (f.idleTimeout !== undefined) out.idleTimeout = f.idleTimeout;
  if (f.handshakeTimeout !== undefined) out.handshakeTimeout = f.handshakeTimeout;
  if (f.messageTimeout !== undefined) out.messageTimeout = f.messageTimeout;
  return out;
}
