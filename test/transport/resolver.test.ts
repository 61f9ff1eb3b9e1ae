/** RFC 3263 server location with a fake DNS, RFC 2782 SRV ordering, and failover. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import {
  TransportError,
  orderSrv,
  resolveTargets,
  seededRandom,
  withFailover,
  type Dns,
  type NaptrRecord,
  type SrvRecord,
  type Target,
} from '../../src/transport/index.js';
import { manager, nextMessage, options } from './helpers.js';

function fakeDns(records: {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
}): Dns & { queries: string[] } {
  const queries: string[] = [];
  const miss = () => Promise.reject(Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' }));
  const look = <T>(kind: string, table: Record<string, T> | undefined, n: string) => {
    queries.push(`${kind} ${n}`);
    return table?.[n] ? Promise.resolve(table[n]!) : miss();
  };
  return {
    queries,
    resolveNaptr: (n) => look('NAPTR', records.naptr, n),
    resolveSrv: (n) => look('SRV', records.srv, n),
    resolve4: (n) => look('A', records.a, n),
    resolve6: (n) => look('AAAA', records.aaaa, n),
  };
}
const naptr = (order: number, preference: number, service: string, replacement: string): NaptrRecord => ({
  flags: 'S',
  service,
  regexp: '',
  replacement,
  order,
  preference,
});
const show = (ts: Target[]) => ts.map((x) => `${x.protocol} ${x.host}:${x.port}`);

const dns = fakeDns({
  naptr: {
    'example.com': [
      naptr(20, 10, 'SIP+D2U', '_sip._udp.example.com'),
      naptr(10, 20, 'SIP+D2T', '_sip._tcp.example.com'),
      naptr(10, 10, 'SIPS+D2T', '_sips._tcp.example.com'),
      naptr(5, 10, 'SIP+D2X', '_x.example.com'),
    ],
  },
  srv: {
    '_sips._tcp.example.com': [
      { name: 'b.example.com', port: 5063, priority: 20, weight: 0 },
      { name: 'a.example.com', port: 5061, priority: 10, weight: 0 },
    ],
    '_sip._tcp.example.com': [{ name: 'b.example.com', port: 5060, priority: 0, weight: 0 }],
    '_sip._udp.example.com': [{ name: 'a.example.com', port: 5060, priority: 10, weight: 0 }],
    '_sip._udp.nonaptr.org': [{ name: 'c.nonaptr.org', port: 5080, priority: 0, weight: 0 }],
    '_sips._tcp.nonaptr.org': [{ name: 'c.nonaptr.org', port: 5081, priority: 0, weight: 0 }],
    '_sip._tcp.down.org': [{ name: '.', port: 0, priority: 0, weight: 0 }],
  },
  a: {
    'a.example.com': ['192.0.2.1'],
    'b.example.com': ['192.0.2.2'],
    'c.nonaptr.org': ['192.0.2.3'],
    'plain.net': ['192.0.2.4'],
    'down.org': ['192.0.2.5'],
  },
  aaaa: { 'a.example.com': ['2001:db8::1'], 'plain.net': ['2001:db8::4'] },
});

test('NAPTR (order, then preference; unknown services skipped) → SRV (priority) → A and AAAA', async () => {
  const t = await resolveTargets(parseUri('sip:bob@example.com'), { dns });
  assert.deepEqual(show(t), [
    'tls 192.0.2.1:5061',
    'tls 2001:db8::1:5061',
    'tls 192.0.2.2:5063',
    'tcp 192.0.2.2:5060',
    'udp 192.0.2.1:5060',
    'udp 2001:db8::1:5060',
  ]);
  assert.equal(t[0]!.servername, 'example.com', 'TLS identity is the URI domain (RFC 5922)');
  assert.equal(t[3]!.servername, undefined);
  // only the transports we support
  assert.deepEqual(show(await resolveTargets(parseUri('sip:bob@example.com'), { dns, supported: ['udp'] })), [
    'udp 192.0.2.1:5060',
    'udp 2001:db8::1:5060',
  ]);
});

test('sips: only SIPS NAPTR services, TLS everywhere; transport=tcp on sips means TLS; transport=udp is refused', async () => {
  const s = await resolveTargets(parseUri('sips:bob@example.com'), { dns });
  assert.deepEqual(show(s), ['tls 192.0.2.1:5061', 'tls 2001:db8::1:5061', 'tls 192.0.2.2:5063']);
  assert.deepEqual(show(await resolveTargets(parseUri('sips:bob@nonaptr.org'), { dns })), ['tls 192.0.2.3:5081']);
  assert.deepEqual(show(await resolveTargets(parseUri('sips:bob@plain.net'), { dns })), [
    'tls 192.0.2.4:5061',
    'tls 2001:db8::4:5061',
  ]);
  assert.deepEqual(show(await resolveTargets(parseUri('sips:bob@192.0.2.9;transport=tcp'), { dns })), [
    'tls 192.0.2.9:5061',
  ]);
  await assert.rejects(resolveTargets(parseUri('sips:bob@192.0.2.9;transport=udp'), { dns }), TransportError);
});

test('transport= skips NAPTR and asks SRV for that transport only', async () => {
  dns.queries.length = 0;
  const u = await resolveTargets(parseUri('sip:bob@example.com;transport=udp'), { dns });
  assert.deepEqual(show(u), ['udp 192.0.2.1:5060', 'udp 2001:db8::1:5060']);
  assert.ok(!dns.queries.some((q) => q.startsWith('NAPTR')));
  assert.deepEqual(show(await resolveTargets(parseUri('sip:bob@example.com;transport=tcp'), { dns })), [
    'tcp 192.0.2.2:5060',
  ]);
  await assert.rejects(resolveTargets(parseUri('sip:bob@example.com;transport=sctp'), { dns }), /sctp/);
});

test('no NAPTR: SRV for UDP, TCP, TLS in turn; no SRV (or SRV ".") : A/AAAA on the default port', async () => {
  assert.deepEqual(show(await resolveTargets(parseUri('sip:nonaptr.org'), { dns })), [
    'udp 192.0.2.3:5080',
    'tls 192.0.2.3:5081',
  ]);
  assert.deepEqual(show(await resolveTargets(parseUri('sip:plain.net'), { dns })), [
    'udp 192.0.2.4:5060',
    'udp 2001:db8::4:5060',
  ]);
  assert.deepEqual(show(await resolveTargets(parseUri('sip:down.org'), { dns })), ['udp 192.0.2.5:5060']);
  assert.deepEqual(await resolveTargets(parseUri('sip:nowhere.invalid'), { dns }), []);
});

test('numeric host: that address, no DNS; explicit port with a name: A/AAAA only', async () => {
  dns.queries.length = 0;
  assert.deepEqual(await resolveTargets(parseUri('sip:bob@192.0.2.9'), { dns }), [
    { protocol: 'udp', host: '192.0.2.9', port: 5060 },
  ]);
  assert.deepEqual(await resolveTargets(parseUri('sips:[2001:db8::9]'), { dns }), [
    { protocol: 'tls', host: '2001:db8::9', port: 5061 },
  ]);
  assert.deepEqual(await resolveTargets(parseUri('sip:[2001:db8::9]:5070;transport=ws'), { dns }), [
    { protocol: 'ws', host: '2001:db8::9', port: 5070 },
  ]);
  assert.deepEqual(await resolveTargets(parseUri('sip:bob@192.0.2.9;transport=tcp'), { dns }), [
    { protocol: 'tcp', host: '192.0.2.9', port: 5060 },
  ]);
  assert.deepEqual(dns.queries, []);
  assert.deepEqual(await resolveTargets(parseUri('sip:a.example.com:5099;transport=tcp'), { dns }), [
    { protocol: 'tcp', host: '192.0.2.1', port: 5099 },
    { protocol: 'tcp', host: '2001:db8::1', port: 5099 },
  ]);
  assert.deepEqual(dns.queries.sort(), ['A a.example.com', 'AAAA a.example.com']);
  assert.deepEqual(await resolveTargets(parseUri('sips:a.example.com:5099'), { dns }), [
    { protocol: 'tls', host: '192.0.2.1', port: 5099, servername: 'a.example.com' },
    { protocol: 'tls', host: '2001:db8::1', port: 5099, servername: 'a.example.com' },
  ]);
  // maddr overrides the host
  assert.deepEqual(await resolveTargets(parseUri('sip:bob@example.com;maddr=192.0.2.77'), { dns }), [
    { protocol: 'udp', host: '192.0.2.77', port: 5060 },
  ]);
  await assert.rejects(resolveTargets(parseUri('tel:+123'), { dns }), TransportError);
});

test('SRV weights (RFC 2782): within a priority, picked in proportion to weight; weight 0 rarely first', () => {
  const recs = [
    { name: 'zero', port: 1, priority: 1, weight: 0 },
    { name: 'light', port: 2, priority: 1, weight: 10 },
    { name: 'heavy', port: 3, priority: 1, weight: 90 },
    { name: 'backup', port: 4, priority: 2, weight: 100 },
  ];
  const first = new Map<string, number>();
  const random = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const o = orderSrv(recs, random);
    assert.equal(o.length, 4);
    assert.equal(o[3]!.name, 'backup', 'a higher priority number always comes later');
    first.set(o[0]!.name, (first.get(o[0]!.name) ?? 0) + 1);
  }
  assert.ok(first.get('heavy')! > 1650 && first.get('heavy')! < 1920, `heavy first ${first.get('heavy')}`);
  assert.ok(first.get('light')! > 120 && first.get('light')! < 320, `light first ${first.get('light')}`);
  assert.ok((first.get('zero') ?? 0) < 60);
  // all weights 0: the order given is kept
  assert.deepEqual(
    orderSrv(
      [
        { name: 'x', priority: 0, weight: 0 },
        { name: 'y', priority: 0, weight: 0 },
      ],
      () => 0.99,
    ).map((r) => r.name),
    ['x', 'y'],
  );
  // reproducible with an injected random
  assert.deepEqual(orderSrv(recs, seededRandom(1)), orderSrv(recs, seededRandom(1)));
});

test('failover: the next target after a TransportError or a timeout; other errors are final', async () => {
  const targets: Target[] = [1, 2, 3].map((n) => ({ protocol: 'udp', host: `192.0.2.${n}`, port: 5060 }));
  const tried: string[] = [];
  const failed: string[] = [];
  const r = await withFailover(
    targets,
    async (t) => {
      tried.push(t.host);
      if (t.host !== '192.0.2.3') throw new TransportError('down', t);
      return t.host;
    },
    { onFailure: (t) => failed.push(t.host) },
  );
  assert.equal(r, '192.0.2.3');
  assert.deepEqual(tried, ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.deepEqual(failed, ['192.0.2.1', '192.0.2.2']);
  // a non-transport error stops at once
  tried.length = 0;
  await assert.rejects(
    withFailover(targets, async (t) => {
      tried.push(t.host);
      throw new Error('486 Busy Here');
    }),
    /486/,
  );
  assert.deepEqual(tried, ['192.0.2.1']);
  // all fail: the last error; no targets: a TransportError
  await assert.rejects(
    withFailover(targets, async (t) => Promise.reject(new TransportError(`down ${t.host}`, t))),
    /down 192\.0\.2\.3/,
  );
  await assert.rejects(
    withFailover([], async () => 1),
    TransportError,
  );
  // a timeout (on the Clock) moves on and aborts the slow attempt
  const clock = new FakeClock();
  const aborted: string[] = [];
  const p = withFailover(
    targets,
    (t, signal) =>
      new Promise<string>((resolve) => {
        signal.addEventListener('abort', () => aborted.push(t.host));
        if (t.host === '192.0.2.2') resolve('second');
      }),
    { timeoutMs: 500, clock },
  );
  await Promise.resolve();
  clock.advance(500);
  assert.equal(await p, 'second');
  assert.deepEqual(aborted, ['192.0.2.1']);
  assert.equal(clock.pending, 0, 'timers cleared');
});

test('failover over real transports: a closed TCP port, then a live one', async () => {
  const server = manager();
  const s = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const deadServer = manager();
  const d = await deadServer.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  await deadServer.close();
  const client = manager();
  const got = nextMessage(server);
  const used = await withFailover(
    [
      { protocol: 'tcp', host: '127.0.0.1', port: d.port },
      { protocol: 'tcp', host: '127.0.0.1', port: s.port },
    ],
    async (t) => {
      await client.send(options({ transport: 'tcp', viaHost: '127.0.0.1', target: '127.0.0.1' }), t);
      return t.port;
    },
  );
  assert.equal(used, s.port);
  assert.equal((await got).protocol, 'tcp');
});
