import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../util/clock.js';
import { guarded } from '../util/redis.js';
import { StoreUnavailableError } from '../util/store-errors.js';

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
  #secret: Buffer | undefined;
  #had: () => void = () => undefined;
  /** Resolves once the shared key has been fetched. */
  readonly loaded: Promise<void>;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.loaded = new Promise((r) => (this.#had = r));
  }

  /** Fetch the shared key, creating it if this is the first server (rejects when Redis is down). */
  static async open(redis: Redis, opts: { prefix?: string } = {}): Promise<RedisNonceState> {
    const s = new RedisNonceState(redis, opts.prefix ?? 'switchboard:');
    await s.load();
    return s;
  }

  /**
   * A state to use at once, while Redis may still be down: the key is fetched now and again each
   * time the client becomes ready, until it is had. Until then every use of the key throws
   * StoreUnavailableError (a proxy answers 503 to what needs a nonce), so a server can start
   * without Redis and serve as soon as it is back. The key never changes once created (SET NX).
   */
  static connecting(redis: Redis, opts: { prefix?: string } = {}): RedisNonceState {
    const s = new RedisNonceState(redis, opts.prefix ?? 'switchboard:');
    const fetch = () => {
      s.load().then(
        () => redis.off('ready', fetch),
        () => undefined, // not ready after all: the next 'ready' tries again
      );
    };
    redis.on('ready', fetch);
    if (redis.status === 'ready') fetch();
    return s;
  }

  private async load(): Promise<void> {
    if (this.#secret) return;
    const key = `${this.prefix}digest:secret`;
    this.#secret = await guarded('digest nonce secret', async () => {
      await this.redis.set(key, randomBytes(32).toString('hex'), 'NX');
      const hex = await this.redis.get(key);
      if (!hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`malformed value at ${key}`);
      return Buffer.from(hex, 'hex');
    });
    this.#had();
  }

  get secret(): Buffer {
    if (!this.#secret)
      throw new StoreUnavailableError('digest nonce secret', new Error('not yet fetched from Redis'), 2);
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
