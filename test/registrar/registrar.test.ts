import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { DigestClient, DigestServer } from '../../src/auth/index.js';
import { createRequest, createVia, parseMessage, type SipRequest } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { vectorDir } from '../helpers/vectors.js';

function setup(opts: { auth?: DigestServer } = {}) {
  const clock = new FakeClock();
  const store = new MemoryLocationStore(clock);
  const reg = new Registrar({ domains: ['example.com'], store, clock, minExpires: 60, ...opts });
  return { clock, store, reg };
}
let cseq = 1;
function register(
  contacts: string[],
  opts: { expires?: number; callId?: string; cseq?: number; user?: string; path?: string[] } = {},
): SipRequest {
  const headers: [string, string][] = contacts.map((c) => ['Contact', c]);
  if (opts.expires !== undefined) headers.push(['Expires', String(opts.expires)]);
  for (const p of opts.path ?? []) headers.push(['Path', p]);
  const user = opts.user ?? 'alice';
  return parseMessage(
    createRequest({
      method: 'REGISTER',
      uri: 'sip:example.com',
      from: `sip:${user}@example.com`,
      to: `sip:${user}@example.com`,
      callId: opts.callId ?? 'reg-1',
      cseq: opts.cseq ?? cseq++,
      via: createVia('UDP', '192.0.2.1', 5060),
      headers,
    }).toBuffer(),
  ) as SipRequest;
}

test('bindings with expires and q, several per AoR, all returned in the 200; expiry removes them', async () => {
  const { clock, store, reg } = setup();
  let res = await reg.handleRegister(register(['<sip:alice@192.0.2.1>;q=0.5'], { expires: 120 }));
  assert.equal(res.status, 200);
  res = await reg.handleRegister(register(['<sip:alice@192.0.2.2>;expires=600']));
  assert.equal(res.status, 200);
  const contacts = res.contact as readonly { uri: { toString(): string }; expires?: number }[];
  assert.equal(contacts.length, 2);
  assert.ok(res.has('Date'));
  const found = await store.lookup('sip:alice@example.com');
  assert.deepEqual(
    found.map((b) => b.uri),
    ['sip:alice@192.0.2.2', 'sip:alice@192.0.2.1'],
    'q order',
  );
  clock.advance(121_000);
  assert.deepEqual(
    (await store.lookup('sip:alice@example.com')).map((b) => b.uri),
    ['sip:alice@192.0.2.2'],
  );
  clock.advance(600_000);
  assert.deepEqual(await store.lookup('sip:alice@example.com'), []);
});

test('423 with Min-Expires; expires capped; refresh; removal with expires=0 and with *', async () => {
  const { store, reg } = setup();
  const brief = await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { expires: 10 }));
  assert.equal(brief.status, 423);
  assert.equal(brief.get('Min-Expires'), '60');
  const capped = await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { expires: 999999 }));
  assert.equal((capped.contact as readonly { expires?: number }[])[0]!.expires, 7200);
  await reg.handleRegister(register(['<sip:alice@192.0.2.2>'], { expires: 300 }));
  const removed = await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { expires: 0 }));
  assert.equal((removed.contact as unknown[]).length, 1);
  assert.equal((await reg.handleRegister(register(['*']))).status, 400, '* without Expires: 0');
  const all = await reg.handleRegister(register(['*'], { expires: 0 }));
  assert.equal(all.status, 200);
  assert.deepEqual(await store.lookup('sip:alice@example.com'), []);
});

test('Call-ID/CSeq ordering, foreign domain, non-SIP To, Path', async () => {
  const { reg } = setup();
  assert.equal((await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { cseq: 10, callId: 'x' }))).status, 200);
  assert.equal((await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { cseq: 9, callId: 'x' }))).status, 500);
  assert.equal(
    (await reg.handleRegister(register(['<sip:alice@192.0.2.1>'], { cseq: 1, callId: 'other' }))).status,
    200,
    'another Call-ID is fine',
  );
  const foreign = register(['<sip:alice@192.0.2.1>']);
  foreign.uri = (
    parseMessage(Buffer.from('OPTIONS sip:other.org SIP/2.0\r\nContent-Length: 0\r\n\r\n'), {
      lazy: true,
    }) as SipRequest
  ).uri;
  assert.equal((await reg.handleRegister(foreign)).status, 404);
  const res = await reg.handleRegister(register(['<sip:alice@192.0.2.5>'], { path: ['<sip:edge.example.com;lr>'] }));
  assert.equal(res.get('Path'), '<sip:edge.example.com;lr>');
  assert.ok(res.supported.includes('path'));
});

test('with digest auth: 401, then 200 for the right user, 403 for another AoR', async () => {
  const auth = new DigestServer({
    realm: 'example.com',
    users: (u) => ({ alice: { password: 'a' }, bob: { password: 'b' } })[u],
  });
  const { reg } = setup({ auth });
  const req = register(['<sip:alice@192.0.2.1>']);
  const ch = await reg.handleRegister(req);
  assert.equal(ch.status, 401);
  assert.ok(ch.wwwAuthenticate.length >= 1);
  const client = new DigestClient({ username: 'alice', password: 'a' });
  client.authorize(req, ch);
  req.set('CSeq', `${cseq++} REGISTER`);
  assert.equal((await reg.handleRegister(parseMessage(req.toBuffer()) as SipRequest)).status, 200);
  const asBob = register(['<sip:bob@192.0.2.1>'], { user: 'alice' });
  const bobClient = new DigestClient({ username: 'bob', password: 'b' });
  bobClient.authorize(asBob, await reg.handleRegister(asBob));
  assert.equal((await reg.handleRegister(parseMessage(asBob.toBuffer()) as SipRequest)).status, 403);
});

test('RFC 4475 registrar vectors: cparam01, cparam02, regescrt, escnull', async () => {
  const load = (f: string) => parseMessage(readFileSync(vectorDir('rfc4475') + f)) as SipRequest;
  for (const [file, check] of [
    ['cparam01.dat', (u: string) => assert.ok(!u.includes('unknownparam'), 'contact-param, not url-param')],
    ['cparam02.dat', (u: string) => assert.ok(u.includes(';unknownparam'), 'url-param kept')],
    ['regescrt.dat', (u: string) => assert.ok(u.includes('?Route=%3Csip:sip.example.com%3E'), 'escaped header kept')],
  ] as const) {
    const { store, reg } = setup();
    const req = load(file);
    const res = await reg.handleRegister(req);
    assert.equal(res.status, 200, file);
    const aor = (
      await (async () => [
        ...(await store.lookup('sip:' + (req.to!.uri as { userDecoded?: string }).userDecoded + '@example.com')),
      ])()
    )[0];
    assert.ok(aor, `${file}: binding stored`);
    check(aor.uri);
    // and a later retrieval (the 200) shows the same
    check((res.contact as readonly { uri: { toString(): string } }[])[0]!.uri.toString());
  }
  const { store, reg } = setup();
  const res = await reg.handleRegister(load('escnull.dat'));
  assert.equal(res.status, 200);
  assert.equal((await store.lookup('sip:null-\x00-null@example.com')).length, 2, 'two distinct bindings');
});
