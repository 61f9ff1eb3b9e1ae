import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisRateLimiter } from '../../src/proxy/redis-rate-limit.js';
import { StoreUnavailableError } from '../../src/util/store-errors.js';
import { startRedis, useRedis } from '../helpers/redis.js';

const fixture = useRedis();
const client = (url?: string) => fixture.client({ ...(url ? { url } : {}), commandTimeout: 300, connectTimeout: 300 });

test('one bucket per source shared by two proxies; check() does not take a token; keys expire when full', async () => {
  const redis = await client();
  const a = new RedisRateLimiter(redis, { perSecond: 0.001, burst: 3, prefix: 'r1:' });
  const b = new RedisRateLimiter(await client(), { perSecond: 0.001, burst: 3, prefix: 'r1:' });
  assert.equal(await a.check('192.0.2.1'), true);
  const got = await Promise.all([a, b, a, b, a].map((l) => l.consume('192.0.2.1')));
  assert.equal(got.filter(Boolean).length, 3, 'the burst is shared, not per proxy');
  assert.equal(await b.check('192.0.2.1'), false);
  assert.equal(await a.consume('192.0.2.9'), true, 'another source has its own bucket');
  const ttl = await redis.pttl('r1:rl:192.0.2.1');
  assert.ok(ttl > 0, `a bucket in debt has a TTL (${ttl})`);
  const fast = new RedisRateLimiter(redis, { perSecond: 1000, burst: 1, prefix: 'r2:' });
  assert.equal(await fast.consume('x'), true);
  assert.ok((await redis.pttl('r2:rl:x')) <= 2, 'refills in 1 ms: the key lives no longer');
});

test('Redis down: the fallback limiter answers, or StoreUnavailableError without one', async () => {
  const local = await startRedis();
  try {
    const redis = await client(local.url);
    const calls: string[] = [];
    const fallback = { consume: (s: string) => (calls.push(s), false), check: () => true };
    const withFallback = new RedisRateLimiter(redis, { perSecond: 10, fallback });
    const bare = new RedisRateLimiter(redis, { perSecond: 10 });
    assert.equal(await withFallback.consume('s'), true);
    await local.kill();
    assert.equal(await withFallback.consume('s'), false);
    assert.deepEqual(calls, ['s']);
    await assert.rejects(bare.consume('s'), StoreUnavailableError);
  } finally {
    await local.stop();
  }
});
