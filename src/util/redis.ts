import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from './store-errors.js';

export interface SharedRedisOptions {
  /** ms to establish a connection (default 2000). */
  connectTimeout?: number;
  /** ms a command may take before it fails (default 1000). */
  commandTimeout?: number;
  /** Longest wait between reconnection attempts, ms (default 2000). Reconnection never gives up. */
  maxReconnectDelay?: number;
  /** Prefix of every key (default `switchboard:`), so that several deployments can share one Redis. */
  keyPrefix?: string;
}

export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

/** Check `redis://[user:pass@]host:port[/db]` (or rediss://) before any connection is tried. */
export function parseRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisUrlError(`redis: expected redis://HOST:PORT, got "${url}"`);
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname)
    throw new RedisUrlError(`redis: expected redis://HOST:PORT, got "${url}"`);
  return u;
}

/**
 * A client whose every command is bounded in time and fails at once while Redis is down (no
 * offline queue, no retry per request), so that a request waiting on Redis gets a prompt 503
 * instead of hanging; the connection itself is retried forever, so service resumes by itself.
 */
export function createSharedRedis(url: string, opts: SharedRedisOptions = {}): Redis {
  parseRedisUrl(url);
  const max = opts.maxReconnectDelay ?? 2000;
  const options: RedisOptions = {
    connectTimeout: opts.connectTimeout ?? 2000,
    commandTimeout: opts.commandTimeout ?? 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(max, 50 * 2 ** Math.min(times, 10)),
    lazyConnect: true,
  };
  const r = new Redis(url, options);
  // ioredis reports connection trouble as 'error' events; commands reject on their own
  r.on('error', () => undefined);
  return r;
}

/** Run one store operation; any Redis failure becomes a StoreUnavailableError naming it. */
export async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreUnavailableError) throw e;
    throw new StoreUnavailableError(what, e);
  }
}
