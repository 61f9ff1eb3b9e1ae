/**
 * Routing right: in-dialog requests by our Route go to their Request-URI (RFC 3261 §16.4, §16.6),
 * "myself" by host and port, one upstream path that pops our Via, Timer C, RFC 3263 failover.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport, resolveTargets, type Target } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { Proxy, type ProxyOptions } from '../../src/proxy/proxy.js';
import { isMyself, isOurDomain, isOwnUri, makeIdentity } from '../../src/proxy/identity.js';
import { parseUri, type SipRequest } from '../../src/message/index.js';
import { Peer, rawRequest, rawResponse } from './peer.js';
import { FakeClock } from '../../src/util/clock.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function start(
  opts: Partial<ProxyOptions> = {},
): Promise<{ proxy: Proxy; port: number; a: Peer; b: Peer; route: string }> {
  const transport = new SipTransport();
  const port = (await transport.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const store = new MemoryLocationStore();
  const proxy = new Proxy({
    transport,
    domains: ['127.0.0.1'],
    hostnames: [],
    registrar: new Registrar({ domains: ['127.0.0.1'], store }),
    recordRoute: true,
    ...opts,
  });
  const a = await Peer.open();
  const b = await Peer.open();
  cleanup.push(
    () => a.close(),
    () => b.close(),
    () => proxy.close(),
    () => store.close(),
    () => transport.close(),
  );
  return { proxy, port, a, b, route: `<sip:127.0.0.1:${port};lr>` };
}

const viaCount = (m: { getAll(n: string): string[] }) => m.getAll('Via').join(',').split(',').length;

test('"myself" compares host, port and transport with the listening sockets; aliases match by name', () => {
  const id = makeIdentity(
    [
      { protocol: 'udp', host: '127.0.0.1', port: 5070 },
      { protocol: 'tcp', host: '127.0.0.1', port: 5070 },
    ],
    ['proxy.example.com', 'edge.example.com:5099'],
    ['127.0.0.1', 'example.com'],
  );
  assert.equal(isMyself('127.0.0.1', 5070, id), true);
  assert.equal(isMyself('127.0.0.1', 5070, id, 'tcp'), true);
  assert.equal(isMyself('127.0.0.1', 5070, id, 'tls'), false, 'no TLS listener on that port');
  assert.equal(isMyself('127.0.0.1', 40000, id), false, 'same address, another port: a phone');
  assert.equal(isMyself('127.0.0.1', undefined, id), false, 'no port means 5060');
  assert.equal(isMyself('proxy.example.com', 1234, id), true, 'a name alias matches any port');
  assert.equal(isMyself('edge.example.com', 5099, id), true);
  assert.equal(isMyself('edge.example.com', 5060, id), false);
  assert.equal(isOwnUri(parseUri('sip:127.0.0.1:5070;lr'), id), true);
  assert.equal(isOwnUri(parseUri('sip:bob@127.0.0.1:5070'), id), false, 'a user part is a user, not us');
  // an IP-literal domain: the contact sip:bob@127.0.0.1:40000 is not our domain
  assert.equal(isOurDomain(parseUri('sip:bob@127.0.0.1'), id), true);
  assert.equal(isOurDomain(parseUri('sip:bob@127.0.0.1:5070'), id), true);
  assert.equal(isOurDomain(parseUri('sip:bob@127.0.0.1:40000'), id), false);
  assert.equal(isOurDomain(parseUri('sip:bob@EXAMPLE.com:40000'), id), true, 'a domain name matches any port');
});

test('IP-literal domain: the ACK for the 2xx and a BYE, by our Route, reach the callee contact (no location lookup)', async () => {
  const { a, b, port, route } = await start();
  const ruri = `sip:bob@127.0.0.1:${b.port}`;
  // nobody is registered: a lookup would drop the ACK and answer the BYE 481
  a.send(rawRequest('ACK', ruri, a, { route, toTag: 'callee1', callId: 'dlg-1', cseq: 1 }), port);
  const ack = await b.request('ACK');
  assert.equal(ack.uri.toString(), ruri);
  assert.equal(ack.route.length, 0, 'our Route was removed');
  a.send(rawRequest('BYE', ruri, a, { route, toTag: 'callee1', callId: 'dlg-1', cseq: 2 }), port);
  const bye = await b.request('BYE');
  b.send(rawResponse(bye, 200), port);
  const ok = await a.response(200, 'BYE');
  assert.equal(viaCount(ok), 1, 'our Via was popped');
});

test('a branch that times out: 408 upstream with only the client Via (not the forwarded copy)', async () => {
  const { a, b, port } = await start({ timers: { T1: 10 } });
  // from our domain to a contact outside it: relayed; b never answers; Timer F = 64*T1
  a.send(rawRequest('MESSAGE', `sip:bob@127.0.0.1:${b.port}`, a, { from: 'sip:alice@127.0.0.1' }), port);
  await b.request('MESSAGE');
  const res = await a.response(408, 'MESSAGE', 3000);
  assert.equal(viaCount(res), 1);
  assert.match(res.getAll('Via')[0]!, new RegExp(`127\\.0\\.0\\.1:${a.port}`));
});

test('Timer C: an INVITE branch that only rings is CANCELled on expiry and the caller gets 408', async () => {
  // the proxy's timers on a fake clock; messages still cross real sockets
  const clock = new FakeClock();
  const { proxy, a, b, port, route } = await start({ timerC: 300, clock });
  const ruri = `sip:bob@127.0.0.1:${b.port}`;
  a.send(rawRequest('INVITE', ruri, a, { route, from: 'sip:alice@127.0.0.1' }), port);
  const inv = await b.request('INVITE');
  b.send(rawResponse(inv, 180), port);
  const ringing = await a.response(180, 'INVITE');
  assert.equal(viaCount(ringing), 1);
  // §16.7 step 2: a provisional response resets Timer C
  clock.advance(150);
  b.send(rawResponse(inv, 183), port);
  await a.response(183, 'INVITE'); // forwarded: the proxy has handled it
  clock.advance(200); // 350 ms after the 180, 200 ms after the 183
  assert.equal(proxy.stats.timerC, 0, 'Timer C was reset by the 183');
  clock.advance(100); // 300 ms after the 183
  assert.equal(proxy.stats.timerC, 1, 'Timer C fired 300 ms after the 183');
  const cancel = await b.request('CANCEL', 3000);
  b.send(rawResponse(cancel, 200), port);
  b.send(rawResponse(inv, 487), port);
  const res = await a.response(408, 'INVITE', 3000);
  assert.equal(viaCount(res), 1);
  assert.equal(proxy.stats.timerC, 1);
  assert.equal(
    a.received.some(
      (m) => !m.isRequest && m.cseq?.method === 'INVITE' && (m as unknown as { status: number }).status === 487,
    ),
    false,
    'the 487 after our CANCEL is not forwarded',
  );
});

test('RFC 3263 failover: a 503 and a timeout from one destination move the branch to the next', async () => {
  const b2 = await Peer.open();
  cleanup.push(() => b2.close());
  const b1 = await Peer.open();
  cleanup.push(() => b1.close());
  const resolve = async (u: Parameters<typeof resolveTargets>[0]): Promise<Target[]> =>
    u.kind === 'sip' && u.hostname === 'gw.example.net'
      ? [
          { protocol: 'udp', host: '127.0.0.1', port: b1.port },
          { protocol: 'udp', host: '127.0.0.1', port: b2.port },
        ]
      : resolveTargets(u);
  const { proxy, a, port } = await start({ resolve, timers: { T1: 10 } });
  const b = b1;
  a.send(rawRequest('INVITE', 'sip:9001@gw.example.net', a, { from: 'sip:alice@127.0.0.1' }), port);
  const inv1 = await b.request('INVITE');
  b.send(rawResponse(inv1, 503), port);
  const inv2 = await b2.request('INVITE');
  assert.notEqual(inv2.topVia!.branch, inv1.topVia!.branch, 'a new client transaction');
  b2.send(rawResponse(inv2, 200), port);
  const ok = await a.response(200, 'INVITE');
  assert.equal(viaCount(ok), 1);
  // the first destination never answers: Timer F, then the second one
  a.send(rawRequest('MESSAGE', 'sip:9001@gw.example.net', a, { from: 'sip:alice@127.0.0.1' }), port);
  await b.request('MESSAGE');
  const msg = await b2.request('MESSAGE', 3000);
  b2.send(rawResponse(msg, 202), port);
  await a.response(202, 'MESSAGE', 3000);
  assert.equal(proxy.stats.failovers, 2);
});

test('ACKs for 2xx go through even when the source is over its rate limit', async () => {
  const { proxy, a, b, port, route } = await start({ rateLimit: { perSecond: 1, burst: 1 } });
  a.send(rawRequest('OPTIONS', `sip:127.0.0.1:${port}`, a), port);
  await a.response(200, 'OPTIONS');
  a.send(rawRequest('OPTIONS', `sip:127.0.0.1:${port}`, a), port);
  const limited = await a.response(503, 'OPTIONS');
  assert.equal(limited.get('Retry-After'), '5');
  assert.equal(proxy.stats.rateLimited, 1);
  a.send(rawRequest('ACK', `sip:bob@127.0.0.1:${b.port}`, a, { route, toTag: 't' }), port);
  const ack: SipRequest = await b.request('ACK');
  assert.equal(ack.method, 'ACK');
});
