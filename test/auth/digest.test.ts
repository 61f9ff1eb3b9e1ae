import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { DigestClient, DigestServer, computeDigestResponse, parseUsers, ha1Of } from '../../src/auth/index.js';
import {
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';

test('RFC 7616 §3.9.1 vectors (MD5 and SHA-256)', () => {
  const base = {
    username: 'Mufasa',
    password: 'Circle of Life',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
    qop: 'auth' as const,
    method: 'GET',
    uri: '/dir/index.html',
  };
  assert.equal(computeDigestResponse({ ...base, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
  assert.equal(
    computeDigestResponse({ ...base, algorithm: 'SHA-256' }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
});

function register(): SipRequest {
  return parseMessage(
    createRequest({
      method: 'REGISTER',
      uri: 'sip:atlanta.example.com',
      from: 'sip:alice@atlanta.example.com',
      to: 'sip:alice@atlanta.example.com',
      via: createVia('UDP', '192.0.2.1', 5060),
      contact: '<sip:alice@192.0.2.1>',
    }).toBuffer(),
  ) as SipRequest;
}
function challenge(server: DigestServer, req: SipRequest, status = 401, stale = false): SipResponse {
  const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return parseMessage(
    createResponse(req, status, {
      headers: server.challenges({ stale }).map((c) => [name, c] as [string, string]),
    }).toBuffer(),
  ) as SipResponse;
}
const again = (r: SipRequest) => parseMessage(r.toBuffer()) as SipRequest;

for (const algorithms of [['SHA-256'], ['MD5'], ['SHA-256', 'MD5']] as ('SHA-256' | 'MD5')[][]) {
  test(`client/server round trip: ${algorithms.join('+')}`, async () => {
    const clock = new FakeClock();
    const server = new DigestServer({
      realm: 'atlanta.example.com',
      users: (u) => (u === 'alice' ? { password: 'secret' } : undefined),
      algorithms,
      clock,
    });
    const client = new DigestClient({ username: 'alice', password: 'secret' });
    const req = register();
    assert.equal((await server.verify(req)).ok, false);
    assert.ok(client.authorize(req, challenge(server, req)));
    const r = await server.verify(again(req));
    assert.deepEqual(r, { ok: true, user: 'alice' });
    assert.equal(again(req).authorization[0]!.algorithm, algorithms[0], 'SHA-256 preferred when offered');
  });
}

test('wrong password, unknown user, forged nonce, uri mismatch are refused', async () => {
  const server = new DigestServer({ realm: 'r', users: (u) => (u === 'alice' ? { password: 'secret' } : undefined) });
  const req = register();
  new DigestClient({ username: 'alice', password: 'WRONG' }).authorize(req, challenge(server, req));
  assert.deepEqual(await server.verify(again(req)), { ok: false, reason: 'wrong credentials' });
  const r2 = register();
  new DigestClient({ username: 'mallory', password: 'x' }).authorize(r2, challenge(server, r2));
  assert.equal(((await server.verify(again(r2))) as { reason: string }).reason, 'unknown user');
  const r3 = register();
  new DigestClient({ username: 'alice', password: 'secret' }).authorize(r3, challenge(server, r3));
  const forged = r3
    .toBuffer()
    .toString()
    .replace(/nonce="[^"]+"/, 'nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"');
  assert.equal(
    ((await server.verify(parseMessage(Buffer.from(forged)) as SipRequest)) as { reason: string }).reason,
    'invalid nonce',
  );
  const other = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  assert.equal(
    ((await other.verify(again(r3))) as { reason: string }).reason,
    'invalid nonce',
    "another server's nonce is not ours",
  );
  const r4 = register();
  new DigestClient({ username: 'alice', password: 'secret' }).authorize(r4, challenge(server, r4));
  const moved = again(r4);
  moved.uri = parseMessage(
    createRequest({
      method: 'REGISTER',
      uri: 'sip:evil.example.com',
      from: 'sip:a@a',
      to: 'sip:a@a',
      via: createVia('UDP', 'h'),
    }).toBuffer(),
  ).isRequest
    ? (
        parseMessage(
          createRequest({
            method: 'REGISTER',
            uri: 'sip:evil.example.com',
            from: 'sip:a@a',
            to: 'sip:a@a',
            via: createVia('UDP', 'h'),
          }).toBuffer(),
        ) as SipRequest
      ).uri
    : moved.uri;
  assert.match(((await server.verify(moved)) as { reason: string }).reason, /uri/);
});

test('expired nonce → stale; the client retries a stale challenge without counting a failure', async () => {
  const clock = new FakeClock();
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }), clock, nonceTtl: 60_000 });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const req = register();
  client.authorize(req, challenge(server, req));
  clock.advance(61_000);
  assert.deepEqual(await server.verify(again(req)), { ok: false, stale: true, reason: 'nonce expired' });
  assert.ok(client.authorize(req, challenge(server, req, 401, true)), 'stale: retried');
  assert.equal((await server.verify(again(req))).ok, true);
  // refused twice without stale: give up
  const c2 = new DigestClient({ username: 'alice', password: 'bad' });
  assert.ok(c2.authorize(req, challenge(server, req)));
  assert.equal(c2.authorize(req, challenge(server, req)), false);
});

test('replayed nonce count is refused', async () => {
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const req = register();
  client.authorize(req, challenge(server, req));
  assert.equal((await server.verify(again(req))).ok, true);
  assert.deepEqual(await server.verify(again(req)), { ok: false, reason: 'replayed nonce count' });
});

test('users file: passwords and HA1 forms; HA1 verifies; secrets never printed', async () => {
  const users = parseUsers(
    `# users\nalice:secret\nbob:md5:${ha1Of('MD5', 'bob', 'r', 'pw')}\ncarol:sha256:${ha1Of('SHA-256', 'carol', 'r', 'pw2')}\n`,
  );
  assert.equal(users.get('alice')!.password, 'secret');
  // an HA1 works for its own algorithm: offer only what the stored secrets can verify
  for (const [u, p, alg] of [
    ['bob', 'pw', 'MD5'],
    ['carol', 'pw2', 'SHA-256'],
  ] as const) {
    const server = new DigestServer({ realm: 'r', users: (n) => users.get(n), algorithms: [alg] });
    const req = register();
    new DigestClient({ username: u!, password: p! }).authorize(req, challenge(server, req));
    assert.equal((await server.verify(again(req))).ok, true, u);
  }
  assert.throws(() => parseUsers('nocolon'), /line 1/);
  const client = new DigestClient({ username: 'alice', password: 'hunter2' });
  assert.ok(!JSON.stringify(client).includes('hunter2'));
  assert.ok(!inspect(client).includes('hunter2'));
});

/** An INVITE of its own call (Call-ID, From tag), as a UAC sends it. */
function invite(cseq = 1, callId = `c${Math.random()}`): SipRequest {
  return parseMessage(
    createRequest({
      method: 'INVITE',
      uri: 'sip:bob@biloxi.example.com',
      from: 'sip:alice@atlanta.example.com',
      to: 'sip:bob@biloxi.example.com',
      via: createVia('UDP', '192.0.2.1', 5060),
      callId,
      cseq,
      contact: '<sip:alice@192.0.2.1>',
    }).toBuffer(),
  ) as SipRequest;
}
/** What the UA core sends after a challenge: the same request with CSeq + 1. */
function retryOf(req: SipRequest): SipRequest {
  const r = again(req);
  r.set('CSeq', `${req.cseq!.seq + 1} ${req.method}`);
  return r;
}

test('digest client: a challenged INVITE that ends 486/487/603 does not spoil the next challenge', async () => {
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  for (const status of [486, 487, 603, 486]) {
    const first = invite();
    const retry = retryOf(first);
    assert.ok(client.authorize(retry, challenge(server, first, 407)), `challenge before the ${status} answered`);
    assert.equal((await server.verify(again(retry), { proxy: true })).ok, true);
    // the retried INVITE ends with a failure that is not a challenge: its chain is over
    client.settled(retry);
  }
  assert.equal(client.pendingChains, 0, 'settled chains are forgotten');
});

test('digest client: the same call, a new request after a failed one, is answered again', () => {
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const a = invite(1, 'same-call');
  const a2 = retryOf(a);
  assert.ok(client.authorize(a2, challenge(server, a)));
  // no settled() call at all (an Authenticator user that does not report): still per request
  const b = invite(5, 'same-call');
  assert.ok(client.authorize(retryOf(b), challenge(server, b)), 'a later request of the call starts afresh');
});

test('digest client: two concurrent challenges are both answered, and each gives up on its own', () => {
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'wrong' });
  const x = invite();
  const y = invite();
  const x2 = retryOf(x);
  const y2 = retryOf(y);
  // both challenged before either retry got its answer
  assert.ok(client.authorize(x2, challenge(server, x)));
  assert.ok(client.authorize(y2, challenge(server, y)));
  // the wrong password is refused for each: each chain gives up after its own second refusal
  assert.equal(client.authorize(retryOf(x2), challenge(server, x2)), false);
  assert.equal(client.authorize(retryOf(y2), challenge(server, y2)), false);
  assert.equal(client.pendingChains, 0);
});

test('digest client: a proxy realm then the UAS realm in one chain are both answered; stale is not a refusal', () => {
  const proxy = new DigestServer({ realm: 'proxy.example.com', users: () => ({ password: 'secret' }) });
  const uas = new DigestServer({ realm: 'bob.example.com', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const r1 = invite();
  const r2 = retryOf(r1);
  assert.ok(client.authorize(r2, challenge(proxy, r1, 407)));
  const r3 = retryOf(r2);
  assert.ok(client.authorize(r3, challenge(uas, r2, 401)), 'another realm in the same chain');
  const r4 = retryOf(r3);
  assert.ok(client.authorize(r4, challenge(uas, r3, 401, true)), 'stale=true: retried');
  assert.equal(client.authorize(retryOf(r4), challenge(uas, r4, 401)), false, 'same realm refused again: give up');
});

test('digest client: remembered chains and nonces are bounded', () => {
  const server = new DigestServer({ realm: 'r', users: () => ({ password: 'secret' }) });
  const client = new DigestClient({ username: 'alice', password: 'secret' }, { maxChains: 8, maxNonces: 8 });
  for (let i = 0; i < 50; i++) {
    const r = invite();
    client.authorize(retryOf(r), challenge(server, r));
  }
  assert.equal(client.pendingChains, 8);
});
