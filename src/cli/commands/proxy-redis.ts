/**
 * `switchboard proxy --redis`: the state several proxies of one domain share (location bindings,
 * the digest nonce key and replay window, the rate-limit buckets), and how the proxy lives with a
 * Redis that is down, at start or later: it starts anyway, answers 503 with Retry-After to what
 * needs Redis, and serves again as soon as the client has reconnected (ioredis retries forever).
 */
import type { Redis } from 'ioredis';
import { RedisLocationStore } from '../../registrar/index.js';
import { RedisNonceState } from '../../auth/index.js';
import { TokenBucketLimiter, type RateLimitConfig, type RateLimiter } from '../../proxy/rate-limit.js';
import { RedisRateLimiter } from '../../proxy/redis-rate-limit.js';
import { createSharedRedis } from '../../util/redis.js';

export interface SharedState {
  readonly redis: Redis;
  readonly store: RedisLocationStore;
  /** Present when the proxy authenticates (--users). */
  readonly nonces: RedisNonceState | undefined;
  /** Present with --rate-limit: buckets shared by every proxy on this Redis. */
  readonly limiter: RateLimiter | undefined;
  /** Requests the rate limit decided in this process because Redis did not answer (a metric). */
  readonly rateLimitFallbacks: () => number;
  /** Disconnect (the store is closed by its user). */
  close(): void;
}

/**
 * Connect to Redis without waiting for it. `log` gets one line per change of state (up, down),
 * never one per request, and never the URL's password.
 */
export function sharedState(
  url: string,
  opts: { users: boolean; rateLimit: RateLimitConfig | undefined; log: (line: string) => void },
): SharedState {
  const redis = createSharedRedis(url);
  const shown = redactUrl(url);
  // createSharedRedis listens to 'error' (an unheard 'error' would end the process); here we
  // only say when the state changes
  let up: boolean | undefined;
  let limitedLocally = false;
  const down = (why: string) => {
    if (up === false) return;
    up = false;
    opts.log(`Redis at ${shown} unreachable (${why}): 503 to what needs it, retrying`);
  };
  redis.on('error', (e: Error) => down(e.message));
  redis.on('close', () => down('connection closed'));
  redis.on('ready', () => {
    up = true;
    limitedLocally = false;
    opts.log(`Redis at ${shown} ready`);
  });

  let fallbacks = 0;
  let limiter: RateLimiter | undefined;
  if (opts.rateLimit) {
    const local = new TokenBucketLimiter(opts.rateLimit);
    // Fail open: while Redis cannot answer, a request is not refused for that. The limiter
    // protects the proxy, it does not authorise anyone; refusing everything would turn a Redis
    // outage into a total one, even for requests that need no Redis (in-dialog BYE, re-INVITE).
    // Each proxy applies the same limit with its own buckets meanwhile, so a flood is still held
    // back (per proxy instead of once for all).
    limiter = new RedisRateLimiter(redis, {
      ...opts.rateLimit,
      fallback: {
        consume: (source) => {
          fallbacks++;
          if (!limitedLocally) {
            limitedLocally = true;
            opts.log('rate limit: Redis unreachable, each proxy limits on its own until it is back (fail-open)');
          }
          return local.consume(source);
        },
        check: (source) => local.check(source),
      },
    });
  }
  const store = new RedisLocationStore(redis);
  const nonces = opts.users ? RedisNonceState.connecting(redis) : undefined;
  void nonces?.loaded.then(() => opts.log('digest nonce key shared through Redis'));
  // rejects when the first attempt fails; the client goes on retrying by itself
  redis.connect().catch(() => undefined);
  return {
    redis,
    store,
    nonces,
    limiter,
    rateLimitFallbacks: () => fallbacks,
    close: () => redis.disconnect(),
  };
}

/** The URL for a log line: a password in it is never printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}
