/**
 * The operational options of `switchboard proxy` (flood protection, Timer C, structured logs,
 * graceful shutdown), kept apart from the command so that each stays small.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ProxyOptions } from '../../proxy/proxy.js';
import { parseRateLimit, TrustList, type RateLimitConfig } from '../../proxy/rate-limit.js';

export interface ProxyOpsFlags {
  rateLimit?: RateLimitConfig;
  trust?: string[];
  timerC?: number;
  logFormat?: 'json';
  shutdownTimeout?: number;
}

function collectCidr(v: string, prev: string[] = []): string[] {
  try {
    new TrustList([v]);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return [...prev, v];
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of seconds, got "${v}"`);
  return n;
}

export function addProxyOpsOptions(cmd: Command): Command {
  return cmd
    .option('--rate-limit <N/s[,burst]>', 'per-source token bucket, off by default (e.g. 200/s,400)', (v) => {
      try {
        return parseRateLimit(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--trust <cidr>', 'a network that skips the rate limit (repeatable; IPv4 or IPv6)', collectCidr)
    .option('--timer-c <seconds>', 'INVITE branch timeout, RFC 3261 Timer C (default 185)', seconds)
    .option('--log-format <format>', 'one record per transaction on stdout: json (default: none)', (v) => {
      if (v !== 'json') throw new InvalidArgumentError('log format: json');
      return v;
    })
    .option('--shutdown-timeout <seconds>', 'on SIGTERM, wait this long for open transactions (default 5)', seconds);
}

/** The Proxy options these flags set. */
export function proxyOpsOptions(f: ProxyOpsFlags): Partial<ProxyOptions> {
  return {
    ...(f.rateLimit ? { rateLimit: f.rateLimit } : {}),
    ...(f.trust ? { trust: f.trust } : {}),
    ...(f.timerC !== undefined ? { timerC: f.timerC * 1000 } : {}),
  };
}
