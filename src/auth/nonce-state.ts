import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../util/clock.js';
import { guarded } from '../util/redis.js';

/**
 * What digest servers that stand for one another must share (RFC 7616 §3.3, §3.4.5): the key
 * that makes nonces self-verifying, so a nonce from one proxy is good at another, and the
 * replay window, the highest nonce-count seen per nonce. Never logged.
 */
export interface NonceState {
  /** The HMAC key for nonces: the same for every server sharing this state. */
  readonly secret: Buffer;
  /**
   * Record `nc` for `nonce` if it is higher than every count seen for it (remembered for `ttlMs`);
   * false for a replay. Rejects with StoreUnavailableError when a shared store does not answer.
   */
  acceptCount(nonce: string, nc: number, ttlMs: number): boolean | Promise<boolean>;
}

/** One process's state: a random key, and the window in a bounded map. */
export class MemoryNonceState implements NonceState {
  readonly #secret: Buffer;
  private readonly seen = new Map<string, { nc: number; expires: number }>();
  private readonly clock: Clock;
  private readonly max: number;

  constructor(opts: { secret?: Buffer; maxNonces?: number; clock?: Clock } = {}) {
    this.#secret = opts.secret ?? randomBytes(32);
    this.clock = opts.clock ?? systemClock;
    this.max = opts.maxNonces ?? 10_000;
  }

  get secret(): Buffer {
    return this.#secret;
  }

  acceptCount(nonce: string, nc: number, ttlMs: number): boolean {
    const now = this.clock.now();
    const prev = this.seen.get(nonce);
    if (prev && prev.expires > now && nc <= prev.nc) return false;
    this.seen.delete(nonce);
    this.seen.set(nonce, { nc, expires: now + ttlMs });
    if (this.seen.size > this.max) {
      for (const [k, v] of this.seen) if (v.expires <= now) this.seen.delete(k);
      // still full of live nonces: forget the oldest (its client gets stale=true and a new nonce)
      for (const k of this.seen.keys()) {
        if (this.seen.size <= this.max) break;
        this.seen.delete(k);
      }
    }
    return true;
  }

  toJSON(): unknown {
    return { nonces: this.seen.size, secret: '***' };
  }
  [inspect.custom](): string {
    return `MemoryNonceState { nonces: ${this.seen.size}, secret: *** }`;
  }
}

// the count only grows, checked and set in one step so two proxies cannot both accept it
const ACCEPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** State in Redis: the key created once (SET NX) for everyone, counts under a TTL per nonce. */
export class RedisNonceState implements NonceState {
  readonly #secret: Buffer;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    secret: Buffer,
  ) {
    this.#secret = secret;
  }

  /** Fetch the shared key, creating it if this is the first server (rejects when Redis is down). */
  static async open(redis: Redis, opts: { prefix?: string } = {}): Promise<RedisNonceState> {
    const prefix = opts.prefix ?? 'switchboard:';
    const key = `${prefix}digest:secret`;
    const secret = await guarded('digest nonce secret', async () => {
      await redis.set(key, randomBytes(32).toString('hex'), 'NX');
      const hex = await redis.get(key);
      if (!hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`malformed value at ${key}`);
      return Buffer.from(hex, 'hex');
    });
    return new RedisNonceState(redis, prefix, secret);
  }

  get secret(): Buffer {
    return this.#secret;
  }

  async acceptCount(nonce: string, nc: number, ttlMs: number): Promise<boolean> {
    const r = await guarded('digest nonce-count', () =>
      this.redis.eval(ACCEPT, 1, `${this.prefix}digest:nc:${nonce}`, String(nc), String(Math.max(1, Math.ceil(ttlMs)))),
    );
    return r === 1;
  }

  toJSON(): unknown {
    return { prefix: this.prefix, secret: '***' };
  }
  [inspect.custom](): string {
    return `RedisNonceState { prefix: ${this.prefix}, secret: *** }`;
  }
}
