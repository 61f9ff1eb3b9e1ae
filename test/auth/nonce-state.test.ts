import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { DigestClient, DigestServer, MemoryNonceState, RedisNonceState } from '../../src/auth/index.js';
import {
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { StoreUnavailableError } from '../../src/util/store-errors.js';
import { createSharedRedis } from '../../src/util/redis.js';
import { startRedis, useRedis } from '../helpers/redis.js';
import { freePort } from '../interop/ports.js';

const fixture = useRedis();
const client = () => fixture.client();

function register(): SipRequest {
  return parseMessage(
    createRequest({
      method: 'REGISTER',
      uri: 'sip:example.com',
      from: 'sip:alice@example.com',
      to: 'sip:alice@example.com',
      via: createVia('UDP', '192.0.2.1', 5060),
      contact: '<sip:alice@192.0.2.1>',
    }).toBuffer(),
  ) as SipRequest;
}
function challenge(s: DigestServer, req: SipRequest): SipResponse {
  return parseMessage(
    createResponse(req, 401, {
      headers: s.challenges().map((c) => ['WWW-Authenticate', c] as [string, string]),
    }).toBuffer(),
  ) as SipResponse;
}
const again = (r: SipRequest) => parseMessage(r.toBuffer()) as SipRequest;

test('Redis nonce state: one key for every server (SET NX), never printed', async () => {
  const a = await RedisNonceState.open(await client(), { prefix: 'n1:' });
  const b = await RedisNonceState.open(await client(), { prefix: 'n1:' });
  assert.equal(a.secret.length, 32);
  assert.ok(a.secret.equals(b.secret), 'the second open reuses the first key');
  const hex = a.secret.toString('hex');
  for (const shown of [inspect(a), JSON.stringify(a), inspect(new MemoryNonceState()), String(a)])
    assert.ok(!shown.includes(hex) && !/[0-9a-f]{64}/.test(shown), shown);
  const other = await RedisNonceState.open(await client(), { prefix: 'n2:' });
  assert.ok(!other.secret.equals(a.secret), 'another prefix, another deployment');
});

test('nonce-counts: only growing, atomic across clients, remembered with a TTL', async () => {
  const redis = await client();
  const a = await RedisNonceState.open(redis, { prefix: 'n3:' });
  const b = await RedisNonceState.open(await client(), { prefix: 'n3:' });
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? a : b).acceptCount('nonceA', 7, 60_000)));
  assert.equal(results.filter(Boolean).length, 1, 'the same count is accepted once, whichever proxy sees it');
  assert.equal(await a.acceptCount('nonceA', 6, 60_000), false, 'lower');
  assert.equal(await b.acceptCount('nonceA', 8, 60_000), true, 'higher');
  const ttl = await redis.pttl('n3:digest:nc:nonceA');
  assert.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl}`);
});

test('two digest servers on one Redis: a nonce from A verifies at B, a replay at B of A’s request fails', async () => {
  const users = (u: string) => (u === 'alice' ? { password: 'pw' } : undefined);
  const clock = new FakeClock(Date.now());
  const A = new DigestServer({
    realm: 'example.com',
    users,
    clock,
    nonces: await RedisNonceState.open(await client(), { prefix: 'n4:' }),
  });
  const B = new DigestServer({
    realm: 'example.com',
    users,
    clock,
    nonces: await RedisNonceState.open(await client(), { prefix: 'n4:' }),
  });
  const req = register();
  const ua = new DigestClient({ username: 'alice', password: 'pw' });
  assert.ok(ua.authorize(req, challenge(A, req)));
  assert.deepEqual(await A.verify(again(req)), { ok: true, user: 'alice' });
  assert.deepEqual(await B.verify(again(req)), { ok: false, reason: 'replayed nonce count' });
  const lonely = new DigestServer({ realm: 'example.com', users, clock });
  assert.equal((await lonely.verify(again(req))).ok, false, 'a server with its own key refuses the nonce');
});

test('nonce state with Redis down: StoreUnavailableError, not a verdict', async () => {
  const local = await startRedis();
  try {
    const redis = await fixture.client({ url: local.url, commandTimeout: 300, connectTimeout: 300 });
    const s = await RedisNonceState.open(redis);
    await local.kill();
    await assert.rejects(Promise.resolve(s.acceptCount('x', 1, 1000)), StoreUnavailableError);
    await assert.rejects(RedisNonceState.open(redis), StoreUnavailableError);
  } finally {
    await local.stop();
  }
});

test('nonce state made while Redis is down: StoreUnavailableError until Redis is up, then the shared key', async () => {
  const port = await freePort();
  // nothing listens there yet: the client keeps retrying by itself
  const redis = createSharedRedis(`redis://127.0.0.1:${port}`, { connectTimeout: 300, maxReconnectDelay: 100 });
  redis.connect().catch(() => undefined);
  const s = RedisNonceState.connecting(redis, { prefix: 'n5:' });
  const users = () => ({ password: 'pw' });
  const server = new DigestServer({ realm: 'example.com', users, nonces: s });
  assert.throws(() => server.challenges(), StoreUnavailableError);
  const local = await startRedis({ port });
  try {
    await s.loaded;
    assert.equal(server.challenges().length, 2, 'challenges once the key is had');
    const other = await RedisNonceState.open(await fixture.client({ url: local.url }), { prefix: 'n5:' });
    assert.ok(other.secret.equals(s.secret), 'the same key as every other server');
  } finally {
    redis.disconnect();
    await local.stop();
  }
});
