import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisLocationStore, Registrar, type Binding } from '../../src/registrar/index.js';
import { createRequest, createVia, parseMessage, type SipRequest } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { StoreUnavailableError } from '../../src/util/store-errors.js';
import { startRedis, useRedis } from '../helpers/redis.js';

const redis = useRedis();
const client = () => redis.client();
let n = 0;

/** A fresh key prefix per test, so tests share one server without seeing each other. */
async function store(clock = new FakeClock()) {
  const prefix = `t${++n}:`;
  const redis = await client();
  return { clock, redis, prefix, store: new RedisLocationStore(redis, { prefix, clock }) };
}

function binding(clock: FakeClock, uri: string, over: Partial<Binding> = {}): Binding {
  return {
    aor: 'sip:alice@example.com',
    uri,
    params: '',
    expires: clock.wallNow() + 60_000,
    q: 1,
    callId: 'c1',
    cseq: 1,
    path: [],
    ...over,
  };
}

function register(contacts: string[], opts: { expires?: number; callId?: string; cseq: number }): SipRequest {
  const headers: [string, string][] = contacts.map((c) => ['Contact', c]);
  if (opts.expires !== undefined) headers.push(['Expires', String(opts.expires)]);
  return parseMessage(
    createRequest({
      method: 'REGISTER',
      uri: 'sip:example.com',
      from: 'sip:alice@example.com',
      to: 'sip:alice@example.com',
      callId: opts.callId ?? 'reg-1',
      cseq: opts.cseq,
      via: createVia('UDP', '192.0.2.1', 5060),
      headers,
    }).toBuffer(),
  ) as SipRequest;
}

test('bindings by AoR with absolute expiry: q order, expired ones invisible, then cleaned', async () => {
  const { clock, redis, prefix, store: s } = await store();
  await s.put(binding(clock, 'sip:a@192.0.2.1', { q: 0.5 }));
  await s.put(
    binding(clock, 'sip:a@192.0.2.2', {
      expires: clock.wallNow() + 600_000,
      source: { protocol: 'udp', host: '192.0.2.2', port: 5062 },
    }),
  );
  const found = await s.lookup('sip:alice@example.com');
  assert.deepEqual(
    found.map((b) => b.uri),
    ['sip:a@192.0.2.2', 'sip:a@192.0.2.1'],
  );
  assert.deepEqual(found[0]!.source, { protocol: 'udp', host: '192.0.2.2', port: 5062 }, 'round trip through JSON');
  const ttl = await redis.pttl(`${prefix}loc:sip:alice@example.com`);
  assert.ok(ttl > 590_000 && ttl <= 601_000, `the hash expires with its latest binding (pttl ${ttl})`);
  clock.advance(61_000);
  assert.deepEqual(
    (await s.lookup('sip:alice@example.com')).map((b) => b.uri),
    ['sip:a@192.0.2.2'],
    'expired binding invisible before any cleanup',
  );
  assert.equal(await redis.hlen(`${prefix}loc:sip:alice@example.com`), 2, 'still stored until swept');
  assert.equal(await s.expire(), 1);
  assert.equal(await redis.hlen(`${prefix}loc:sip:alice@example.com`), 1, 'swept');
  clock.advance(600_000);
  assert.deepEqual(await s.lookup('sip:alice@example.com'), []);
  await s.put(binding(clock, 'sip:a@192.0.2.3'));
  assert.equal(await redis.hlen(`${prefix}loc:sip:alice@example.com`), 1, 'an update deletes expired fields');
});

test('register(): Call-ID/CSeq order checked atomically with the update; wildcard; remove', async () => {
  const { clock, store: s } = await store();
  const aor = 'sip:alice@example.com';
  let r = await s.register(aor, { callId: 'c1', cseq: 5, put: [binding(clock, 'sip:a@h1', { cseq: 5 })], remove: [] });
  assert.ok(r.ok);
  assert.equal(r.bindings.length, 1);
  r = await s.register(aor, { callId: 'c1', cseq: 5, put: [], remove: ['sip:a@h1'] });
  assert.deepEqual(r, { ok: false, reason: 'out-of-order' }, 'same Call-ID, CSeq not higher');
  assert.equal((await s.lookup(aor)).length, 1, 'nothing applied');
  r = await s.register(aor, {
    callId: 'other',
    cseq: 1,
    put: [binding(clock, 'sip:a@h2', { callId: 'other' })],
    remove: [],
  });
  assert.ok(r.ok && r.bindings.length === 2);
  r = await s.register(aor, { callId: 'c1', cseq: 4, wildcard: true, put: [], remove: [] });
  assert.equal(r.ok, false, '* is out of order for a binding with the same Call-ID and higher CSeq');
  r = await s.register(aor, { callId: 'c1', cseq: 6, wildcard: true, put: [], remove: [] });
  assert.deepEqual(r, { ok: true, bindings: [] });
  assert.deepEqual(await s.lookup(aor), []);
});

test('two clients registering one AoR at once lose no binding', async () => {
  const a = await store();
  const b = new RedisLocationStore(await client(), { prefix: a.prefix, clock: a.clock });
  const aor = 'sip:alice@example.com';
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const s = i % 2 ? a.store : b;
    const uri = `sip:a@192.0.2.${i}`;
    jobs.push(
      s.register(aor, { callId: `c${i}`, cseq: 1, put: [binding(a.clock, uri, { callId: `c${i}` })], remove: [] }),
    );
  }
  await Promise.all(jobs);
  assert.equal((await a.store.lookup(aor)).length, 40);
  assert.equal((await b.lookup(aor)).length, 40);
});

test('the registrar over Redis: §10.3 end to end, seen from a second store', async () => {
  const { clock, store: s, prefix } = await store();
  const reg = new Registrar({ domains: ['example.com'], store: s, clock });
  const other = new RedisLocationStore(await client(), { prefix, clock });
  let res = await reg.handleRegister(
    register(['<sip:alice@192.0.2.1>;q=0.5', '<sip:alice@192.0.2.2>'], { expires: 120, cseq: 1 }),
  );
  assert.equal(res.status, 200);
  assert.equal((res.contact as unknown[]).length, 2);
  assert.match(res.toString(), /expires=120/);
  assert.deepEqual(
    (await other.lookup('sip:alice@example.com')).map((b) => b.uri),
    ['sip:alice@192.0.2.2', 'sip:alice@192.0.2.1'],
  );
  res = await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { expires: 0, cseq: 1 }));
  assert.equal(res.status, 500, 'CSeq out of order');
  res = await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { expires: 0, cseq: 2 }));
  assert.equal(res.status, 200);
  assert.equal((res.contact as unknown[]).length, 1);
  clock.advance(121_000);
  assert.deepEqual(await other.lookup('sip:alice@example.com'), [], 'expired by absolute time');
});

test('Redis down: a typed error within the command timeout, and back when Redis is', async () => {
  const local = await startRedis();
  try {
    const c = await redis.client({ url: local.url, commandTimeout: 300, connectTimeout: 300, maxReconnectDelay: 100 });
    const clock = new FakeClock();
    const s = new RedisLocationStore(c, { clock });
    await s.put(binding(clock, 'sip:a@h1'));
    await local.kill();
    const t0 = performance.now();
    await assert.rejects(s.lookup('sip:alice@example.com'), (e: Error) => {
      assert.ok(e instanceof StoreUnavailableError, e.message);
      assert.match(e.message, /location lookup sip:alice@example.com/);
      return true;
    });
    await assert.rejects(s.put(binding(clock, 'sip:a@h2')), StoreUnavailableError);
    assert.ok(performance.now() - t0 < 2000, 'bounded');
    await local.restart();
    await new Promise<void>((r) => (c.status === 'ready' ? r() : c.once('ready', () => r())));
    await s.put(binding(clock, 'sip:a@h3'));
    assert.deepEqual(
      (await s.lookup('sip:alice@example.com')).map((b) => b.uri),
      ['sip:a@h3'],
      'works again (this server kept nothing on disk)',
    );
  } finally {
    await local.stop();
  }
});
