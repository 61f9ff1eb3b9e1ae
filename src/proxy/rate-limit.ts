/**
 * Flood protection (like Kamailio's pike, and opt-in like it): a token bucket per source address,
 * with trusted networks that skip it. The limiter is an interface so that a shared store (Redis)
 * can hold the buckets for several proxies.
 */
import { BlockList, isIP } from 'node:net';
import { systemClock, type Clock } from '../util/clock.js';

/** A rate limiter: `consume` takes a token for a source; `check` only looks. */
export interface RateLimiter {
  /** Take one token for `source`: false when the source is over its limit. */
  consume(source: string): boolean | Promise<boolean>;
  /** Whether `source` would be allowed now, without taking a token. */
  check(source: string): boolean | Promise<boolean>;
}

export interface RateLimitConfig {
  /** Sustained requests per second per source. */
  perSecond: number;
  /** Bucket size: requests a source may send at once (default: perSecond). */
  burst?: number;
}

export class RateLimitSyntaxError extends Error {
  override readonly name = 'RateLimitSyntaxError';
}

/** `N/s` or `N/s,BURST` (the CLI's --rate-limit). */
export function parseRateLimit(v: string): Required<RateLimitConfig> {
  const m = /^(\d+(?:\.\d+)?)\/s(?:,(\d+))?$/.exec(v.trim());
  const perSecond = m ? Number(m[1]) : NaN;
  const burst = m?.[2] ? Number(m[2]) : Math.max(1, Math.ceil(perSecond));
  if (!m || !(perSecond > 0) || !(burst >= 1))
    throw new RateLimitSyntaxError(`rate limit: expected N/s or N/s,BURST with N > 0, got "${v}"`);
  return { perSecond, burst };
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface TokenBucketOptions extends RateLimitConfig {
  /** Most sources tracked at once (default 10,000). */
  maxSources?: number;
  clock?: Clock;
}

/**
 * Token buckets per source in an LRU table. A source is forgotten only once its bucket has
 * refilled (forgetting it then loses nothing). When the table is full of sources still in debt,
 * new sources share one overflow bucket instead of evicting anyone: a flood from many spoofed
 * addresses can neither reset the bucket of the source that is attacking nor grow the table.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly table = new Map<string, Bucket>();
  private readonly overflow: Bucket;
  private readonly perMs: number;
  private readonly burst: number;
  private readonly max: number;
  private readonly clock: Clock;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.perSecond > 0)) throw new RateLimitSyntaxError(`rate limit: perSecond must be > 0`);
    this.perMs = opts.perSecond / 1000;
    this.burst = opts.burst ?? Math.max(1, Math.ceil(opts.perSecond));
    this.max = opts.maxSources ?? 10_000;
    this.clock = opts.clock ?? systemClock;
    this.overflow = { tokens: this.burst, at: this.clock.now() };
  }

  /** Sources tracked now (bounded by maxSources). */
  get size(): number {
    return this.table.size;
  }

  consume(source: string): boolean {
    const b = this.bucket(source, true);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  check(source: string): boolean {
    const b = this.table.get(source);
    if (!b) return true;
    return this.refill(b, this.clock.now()) >= 1;
  }

  private refill(b: Bucket, now: number): number {
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    return b.tokens;
  }

  private bucket(source: string, touch: boolean): Bucket {
    const now = this.clock.now();
    const t = this.table;
    let b = t.get(source);
    if (b) {
      if (touch) {
        // most recently used last (Map keeps insertion order)
        t.delete(source);
        t.set(source, b);
      }
      this.refill(b, now);
      return b;
    }
    if (t.size >= this.max) {
      const oldest = t.entries().next().value;
      if (oldest && this.refill(oldest[1], now) >= this.burst) t.delete(oldest[0]);
      else {
        this.refill(this.overflow, now);
        return this.overflow;
      }
    }
    b = { tokens: this.burst, at: now };
    t.set(source, b);
    return b;
  }
}

export class TrustListSyntaxError extends Error {
  override readonly name = 'TrustListSyntaxError';
}

/** Trusted networks (`--trust CIDR`, IPv4 and IPv6): their requests skip the rate limit. */
export class TrustList {
  private readonly list = new BlockList();
  private count = 0;

  constructor(cidrs: readonly string[] = []) {
    for (const c of cidrs) this.add(c);
  }

  get empty(): boolean {
    return this.count === 0;
  }

  add(cidr: string): void {
    const [addr = '', bits] = cidr.trim().split('/');
    const host = addr.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (
      family === 0 ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max ||
      (bits !== undefined && !/^\d+$/.test(bits))
    )
      throw new TrustListSyntaxError(`trust: expected an IPv4 or IPv6 address or CIDR, got "${cidr}"`);
    this.list.addSubnet(host, prefix, family === 6 ? 'ipv6' : 'ipv4');
    this.count++;
  }

  has(address: string): boolean {
    if (this.count === 0) return false;
    let a = address.replace(/^\[|\]$/g, '');
    // an IPv4 peer seen on a dual-stack socket
    if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
    const family = isIP(a);
    if (family === 0) return false;
    return this.list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }
}
