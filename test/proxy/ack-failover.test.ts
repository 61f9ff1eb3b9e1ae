/**
 * RFC 3263 failover for the ACK of a 2xx, which the proxy forwards without a transaction
 * (RFC 3261 §16.11): to the destination that answered the INVITE first, else the next
 * destination of the same resolution after a transport error on one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport, resolveTargets, type Target } from '../../src/transport/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { AckRoutes, preferHop } from '../../src/proxy/ack-routes.js';
import { FakeClock } from '../../src/util/clock.js';
import { Peer, rawRequest, rawResponse } from './peer.js';
import { freePort } from '../interop/ports.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('AckRoutes: found by Call-ID, CSeq and To-tag; forgotten after the TTL; bounded', () => {
  const clock = new FakeClock();
  const r = new AckRoutes(clock, { ttl: 1000, max: 3 });
  const hop = (port: number): Target => ({ protocol: 'udp', host: '127.0.0.1', port });
  r.remember('c1', 1, 't1', hop(1));
  assert.deepEqual(r.find('c1', 1, 't1'), hop(1));
  assert.equal(r.find('c1', 2, 't1'), undefined, 'another CSeq');
  assert.equal(r.find('c1', 1, 't2'), undefined, 'another 2xx of a fork');
  clock.advance(1000);
  assert.equal(r.find('c1', 1, 't1'), undefined, 'expired');
  for (let i = 2; i <= 5; i++) r.remember(`c${i}`, 1, 't', hop(i));
  assert.equal(r.size, 3, 'the expired one and the oldest are gone');
  assert.equal(r.find('c2', 1, 't'), undefined);
  assert.deepEqual(r.find('c5', 1, 't'), hop(5));

  const hops = [hop(1), hop(2), hop(3)];
  assert.deepEqual(preferHop(hops, hop(3)), [hop(3), hop(1), hop(2)]);
  assert.deepEqual(preferHop(hops, { ...hop(3), protocol: 'tcp' }), hops, 'not one of the hops: unchanged');
  assert.equal(preferHop(hops, undefined), hops);
});

test('ACK for 2xx: to the destination that answered the INVITE, or the next one after a transport error', async () => {
  const dead = await freePort(); // nothing listens: TCP there is refused (a transport error)
  const b = await Peer.open();
  const a = await Peer.open();
  const resolve = async (u: Parameters<typeof resolveTargets>[0]): Promise<Target[]> =>
    u.kind === 'sip' && u.hostname === 'callee.example.net'
      ? [
          { protocol: 'tcp', host: '127.0.0.1', port: dead },
          { protocol: 'udp', host: '127.0.0.1', port: b.port },
        ]
      : resolveTargets(u);
  const transport = new SipTransport();
  const port = (await transport.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const proxy = new Proxy({ transport, domains: ['127.0.0.1'], hostnames: [], recordRoute: true, resolve });
  cleanup.push(
    () => a.close(),
    () => b.close(),
    () => proxy.close(),
    () => transport.close(),
  );
  const route = `<sip:127.0.0.1:${port};lr>`;
  const ruri = 'sip:bob@callee.example.net';

  // the INVITE fails over from the refused TCP destination to the UDP one, which answers
  a.send(rawRequest('INVITE', ruri, a, { from: 'sip:alice@127.0.0.1', callId: 'ackfo-1', cseq: 7 }), port);
  const inv = await b.request('INVITE');
  assert.equal(proxy.stats.failovers, 1);
  b.send(rawResponse(inv, 200, 'b7'), port);
  await a.response(200, 'INVITE');

  // its ACK goes straight to the destination that answered: no second failure
  a.send(rawRequest('ACK', ruri, a, { route, toTag: 'b7', callId: 'ackfo-1', cseq: 7 }), port);
  const ack = await b.request('ACK');
  assert.equal(ack.callId, 'ackfo-1');
  assert.equal(proxy.stats.failovers, 1, 'the ACK did not try the refused destination');

  // an ACK for an INVITE this proxy did not see (another proxy's, or before a restart): the
  // first destination is refused, the next one of the same resolution gets it
  a.send(rawRequest('ACK', ruri, a, { route, toTag: 'x1', callId: 'ackfo-2', cseq: 1 }), port);
  const ack2 = await b.request('ACK');
  assert.equal(ack2.callId, 'ackfo-2');
  assert.equal(proxy.stats.failovers, 2, 'one failover for that ACK');
});
