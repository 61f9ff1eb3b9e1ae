import type { Redis } from 'ioredis';
import { guarded } from '../util/redis.js';
import { StoreUnavailableError } from '../util/store-errors.js';

/**
 * A token bucket per source in Redis, shared by every proxy: a source spreading its requests over
 * several proxies gets the limit once, not once per proxy. Time is Redis's own (TIME), so the
 * proxies' clocks need not agree. A bucket's key lives only until it would be full again, so
 * forgetting it loses nothing and the table is bounded by the sources still in debt.
 *
 * ARGV: tokens per ms, burst, take (1) or only look (0). Returns 1 when allowed.
 */
const BUCKET = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local take = ARGV[3] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens < 1 then return 0 end
if take then
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
end
return 1`;

/** A limiter to use while Redis cannot answer (the proxy's own, per-process one). */
export interface FallbackLimiter {
  consume(source: string): boolean | Promise<boolean>;
  check(source: string): boolean | Promise<boolean>;
}

export interface RedisRateLimitOptions {
  perSecond: number;
  /** Bucket size (default: perSecond, at least 1). */
  burst?: number;
  /** Key prefix (default `switchboard:`); buckets live at `<prefix>rl:<source>`. */
  prefix?: string;
  /**
   * Asked instead while Redis is down, so that flood protection degrades to per proxy rather than
   * turning every request into a 503. Without one, consume() rejects with StoreUnavailableError.
   */
  fallback?: FallbackLimiter;
}

export class RedisRateLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisRateLimitOptions,
  ) {
    if (!(opts.perSecond > 0)) throw new RangeError(`rate limit: perSecond must be > 0, got ${opts.perSecond}`);
    this.perMs = opts.perSecond / 1000;
    this.burst = opts.burst ?? Math.max(1, Math.ceil(opts.perSecond));
    this.prefix = opts.prefix ?? 'switchboard:';
  }

  consume(source: string): Promise<boolean> {
    return this.run(source, true);
  }

  check(source: string): Promise<boolean> {
    return this.run(source, false);
  }

  private async run(source: string, take: boolean): Promise<boolean> {
    try {
      const r = await guarded(`rate limit ${source}`, () =>
        this.redis.eval(
          BUCKET,
          1,
          `${this.prefix}rl:${source}`,
          String(this.perMs),
          String(this.burst),
          take ? '1' : '0',
        ),
      );
      return r === 1;
    } catch (e) {
      const f = this.opts.fallback;
      if (!f || !(e instanceof StoreUnavailableError)) throw e;
      return take ? f.consume(source) : f.check(source);
    }
  }
}
