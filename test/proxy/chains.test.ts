/** Named processor chains, the README's gateway processor, and the rate limiter's table. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { ProcessorChain, ProcessorNotFoundError, type Outcome } from '../../src/proxy/chain.js';
import { TokenBucketLimiter, TrustList, parseRateLimit } from '../../src/proxy/rate-limit.js';
import { parseUri } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { Peer, rawRequest, rawResponse } from './peer.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('a chain runs by name: insert before/after, skip, stop, async; unknown names are typed errors', async () => {
  const seen: string[] = [];
  const p = (name: string, out: Outcome | Promise<Outcome> = 'continue') => ({
    name,
    process: (ctx: string[]) => (ctx.push(name), out),
  });
  const c = new ProcessorChain<string[]>('request', [p('a'), p('c')]);
  c.insertBefore('c', p('b')).insertAfter('c', p('d'));
  assert.deepEqual(c.names, ['a', 'b', 'c', 'd']);
  assert.equal(c.run(seen), 'continue', 'synchronous processors give a synchronous result');
  assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  c.replace('b', p('b2', Promise.resolve('skip')));
  const ran: string[] = [];
  assert.equal(await c.run(ran), 'skip');
  assert.deepEqual(ran, ['a', 'b2'], 'skip ends the chain');
  c.replace('b2', p('b3', 'stop'));
  assert.equal(c.run([]), 'stop');
  assert.throws(() => c.insertBefore('nope', p('x')), ProcessorNotFoundError);
});

test('README: a processor routes numbers starting with 9 to a gateway', async () => {
  const transport = new SipTransport();
  const port = (await transport.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const gw = await Peer.open();
  const a = await Peer.open();
  const store = new MemoryLocationStore();
  const proxy = new Proxy({
    transport,
    domains: ['example.com'],
    hostnames: [],
    registrar: new Registrar({ domains: ['example.com'], store }),
    processors: (chains) =>
      chains.request.insertBefore('location', {
        name: 'gateway',
        process(ctx) {
          const u = ctx.request.uri;
          if (u.kind !== 'sip' || !u.user?.startsWith('9')) return 'continue';
          ctx.targets.push({ uri: parseUri(`sip:${u.user.slice(1)}@127.0.0.1:${gw.port}`), q: 1, path: [] });
          return 'skip'; // no location lookup for these
        },
      }),
  });
  cleanup.push(
    () => a.close(),
    () => gw.close(),
    () => proxy.close(),
    () => store.close(),
    () => transport.close(),
  );
  assert.ok(proxy.chains.request.names.indexOf('gateway') < proxy.chains.request.names.indexOf('location'));
  a.send(rawRequest('INVITE', 'sip:94155550100@example.com', a, { from: 'sip:alice@example.com' }), port);
  const inv = await gw.request('INVITE');
  assert.equal(inv.uri.toString(), `sip:4155550100@127.0.0.1:${gw.port}`);
  gw.send(rawResponse(inv, 200), port);
  await a.response(200, 'INVITE');
  // other numbers still go to the location service (nobody registered: 404)
  a.send(rawRequest('INVITE', 'sip:4155550100@example.com', a, { from: 'sip:alice@example.com' }), port);
  await a.response(404, 'INVITE');
});

test('rate limit: token bucket per source, N/s,burst syntax, trusted networks (IPv4, IPv6, mapped)', () => {
  assert.deepEqual(parseRateLimit('50/s,100'), { perSecond: 50, burst: 100 });
  assert.deepEqual(parseRateLimit('20/s'), { perSecond: 20, burst: 20 });
  assert.throws(() => parseRateLimit('fast'));
  const clock = new FakeClock();
  const l = new TokenBucketLimiter({ perSecond: 10, burst: 3, clock });
  assert.deepEqual(
    [1, 2, 3, 4].map(() => l.consume('192.0.2.1')),
    [true, true, true, false],
  );
  assert.equal(l.consume('192.0.2.2'), true, 'another source has its own bucket');
  clock.advance(100);
  assert.equal(l.check('192.0.2.1'), true, 'one token back after 100 ms at 10/s');
  const t = new TrustList(['10.0.0.0/8', '2001:db8::/32']);
  assert.equal(t.has('10.1.2.3'), true);
  assert.equal(t.has('::ffff:10.1.2.3'), true);
  assert.equal(t.has('2001:db8::5'), true);
  assert.equal(t.has('192.0.2.1'), false);
  assert.throws(() => new TrustList(['10.0.0.0/40']));
});

test('rate limit: a flood from 50,000 spoofed sources neither resets the attacker nor grows the table', () => {
  const clock = new FakeClock();
  const l = new TokenBucketLimiter({ perSecond: 10, burst: 10, maxSources: 1000, clock });
  for (let i = 0; i < 10; i++) assert.equal(l.consume('198.51.100.7'), true);
  assert.equal(l.consume('198.51.100.7'), false, 'the attacker has spent its bucket');
  for (let i = 0; i < 50_000; i++) l.consume(`203.0.${(i >> 8) & 255}.${i & 255}:${i}`);
  assert.ok(l.size <= 1000, `table bounded: ${l.size}`);
  assert.equal(l.consume('198.51.100.7'), false, 'the attacker is still limited');
  // sources that refilled are forgotten first, so new real sources get their own bucket again
  clock.advance(2000);
  assert.equal(l.consume('192.0.2.99'), true);
});
