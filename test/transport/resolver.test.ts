import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri } from '../../src/message/index.js';
import { TransportError, resolveTargets, withFailover, type Dns } from '../../src/transport/index.js';

function fakeDns(records: { naptr?: Record<string, Awaited<ReturnType<Dns['resolveNaptr']>>>; srv?: Record<string, Awaited<ReturnType<Dns['resolveSrv']>>>; a?: Record<string, string[]>; aaaa?: Record<string, string[]> }): Dns {
  const miss = () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
  return {
    resolveNaptr: (n) => (records.naptr?.[n] ? Promise.resolve(records.naptr[n]!) : miss()),
    resolveSrv: (n) => (records.srv?.[n] ? Promise.resolve(records.srv[n]!) : miss()),
    resolve4: (n) => (records.a?.[n] ? Promise.resolve(records.a[n]!) : miss()),
    resolve6: (n) => (records.aaaa?.[n] ? Promise.resolve(records.aaaa[n]!) : miss()),
  };
}

const dns = fakeDns({
  naptr: {
    'example.com': [
      { flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.com', order: 20, preference: 10 },
      { flags: 'S', service: 'SIPS+D2T', regexp: '', replacement: '_sips._tcp.example.com', order: 10, preference: 10 },
    ],
  },
  srv: {
    '_sips._tcp.example.com': [
      { name: 'b.example.com', port: 5063, priority: 20, weight: 0 },
      { name: 'a.example.com', port: 5061, priority: 10, weight: 0 },
    ],
    '_sip._udp.example.com': [{ name: 'a.example.com', port: 5060, priority: 10, weight: 0 }],
    '_sip._udp.nonaptr.org': [{ name: 'c.nonaptr.org', port: 5080, priority: 0, weight: 0 }],
  },
  a: { 'a.example.com': ['192.0.2.1'], 'b.example.com': ['192.0.2.2'], 'c.nonaptr.org': ['192.0.2.3'], 'plain.net': ['192.0.2.4'] },
  aaaa: { 'a.example.com': ['2001:db8::1'] },
});

test('NAPTR → SRV → A/AAAA in order/priority', async () => {
  const t = await resolveTargets(parseUri('sip:bob@example.com'), { dns });
  assert.deepEqual(t.map((x) => `${x.protocol} ${x.host}:${x.port}`), ['tls 192.0.2.1:5061', 'tls 2001:db8::1:5061', 'tls 192.0.2.2:5063', 'udp 192.0.2.1:5060', 'udp 2001:db8::1:5060']);
});

test('sips uses only secure NAPTR services; transport param skips NAPTR', async () => {
  const s = await resolveTargets(parseUri('sips:bob@example.com'), { dns });
  assert.ok(s.every((x) => x.protocol === 'tls'));
  const u = await resolveTargets(parseUri('sip:bob@example.com;transport=udp'), { dns });
  assert.deepEqual(u.map((x) => x.port), [5060, 5060]);
});

test('no NAPTR: SRV; no SRV: A on the default port; numeric host and explicit port short-cut', async () => {
  assert.deepEqual(await resolveTargets(parseUri('sip:nonaptr.org'), { dns }), [{ protocol: 'udp', host: '192.0.2.3', port: 5080 }]);
  assert.deepEqual(await resolveTargets(parseUri('sip:plain.net'), { dns }), [{ protocol: 'udp', host: '192.0.2.4', port: 5060 }]);
  assert.deepEqual(await resolveTargets(parseUri('sips:[2001:db8::9]'), { dns }), [{ protocol: 'tls', host: '2001:db8::9', port: 5061 }]);
  assert.deepEqual(await resolveTargets(parseUri('sip:a.example.com:5099;transport=tcp'), { dns }), [
    { protocol: 'tcp', host: '192.0.2.1', port: 5099 },
    { protocol: 'tcp', host: '2001:db8::1', port: 5099 },
  ]);
  await assert.rejects(resolveTargets(parseUri('tel:+123'), { dns }));
});

test('failover tries the next target after a transport error', async () => {
  const tried: string[] = [];
  const r = await withFailover([{ protocol: 'udp', host: 'x', port: 1 }, { protocol: 'udp', host: 'y', port: 2 }], async (t) => {
    tried.push(t.host);
    if (t.host === 'x') throw new TransportError('down', t);
    return t.host;
  });
  assert.equal(r, 'y');
  assert.deepEqual(tried, ['x', 'y']);
});
