/** SIPp through the Switchboard proxy: uac and uas with zero failed calls, and a REGISTER with digest. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { SipTransport } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { DigestServer } from '../../src/auth/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import { parseUri } from '../../src/message/index.js';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from './ports.js';

const scenarios = fileURLToPath(new URL('../../../test/interop/scenarios/', import.meta.url));
let transport: SipTransport;
let store: MemoryLocationStore;
let proxy: Proxy;
let port: number;
const uas: UserAgent[] = [];
const figures: string[] = [];

before(async () => {
  transport = new SipTransport();
  port = (await transport.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  store = new MemoryLocationStore();
  // REGISTER needs digest (MD5: what SIPp speaks); calls from outside need none (they target our users)
  const auth = new DigestServer({
    realm: '127.0.0.1',
    users: (u) => (u === 'reguser' ? { password: 'sipp-pw' } : undefined),
    algorithms: ['MD5'],
  });
  const registrar = new Registrar({ domains: ['127.0.0.1'], store, auth });
  proxy = new Proxy({ transport, domains: ['127.0.0.1'], hostnames: ['127.0.0.1'], registrar, recordRoute: true });
});
after(async () => {
  for (const f of figures) console.log(`# sipp via proxy ${f}`);
  await Promise.all(uas.map((u) => u.stop()));
  proxy.close();
  store.close();
  await transport.close();
});

test('SIPp uac → Switchboard proxy → Switchboard UAS: 20 calls, none failed', async () => {
  const bob = new UserAgent({
    aor: 'sip:bob@127.0.0.1',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
  });
  await bob.start();
  uas.push(bob);
  await store.put({
    aor: 'sip:bob@127.0.0.1',
    uri: bob.contact.uri.toString(),
    params: '',
    expires: Date.now() + 3600_000,
    q: 1,
    callId: 'x',
    cseq: 1,
    path: [],
  });
  const sp = await freePort();
  const r = await runSipp(
    [
      '-sn',
      'uac',
      `127.0.0.1:${port}`,
      '-s',
      'bob',
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-r',
      '20',
      '-m',
      '20',
      '-l',
      '10',
      '-timeout',
      '30',
      '-timeout_error',
      '-max_recv_loops',
      '1',
      '-default_behaviors',
      'all,-abortunexp',
    ],
    { timeoutMs: 40_000 },
  );
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1000));
  assert.equal(r.stats?.successful, 20);
  assert.equal(r.stats?.failed, 0);
  figures.push(`uac→proxy→switchboard: ${r.stats?.successful}/20 ok, ${r.stats?.failed} failed`);
});

test('Switchboard UAC → Switchboard proxy → SIPp uas: 10 calls, none failed', async () => {
  const sp = await freePort();
  const sipp = runSipp(
    ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(sp), '-t', 'u1', '-m', '10', '-timeout', '30', '-timeout_error'],
    { timeoutMs: 40_000 },
  );
  await store.put({
    aor: 'sip:sipp@127.0.0.1',
    uri: `sip:sipp@127.0.0.1:${sp}`,
    params: '',
    expires: Date.now() + 3600_000,
    q: 1,
    callId: 'y',
    cseq: 1,
    path: [],
  });
  await new Promise((r) => setTimeout(r, 500));
  const alice = new UserAgent({
    aor: 'sip:alice@example.org',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    outboundProxy: `sip:127.0.0.1:${port};lr`,
  });
  await alice.start();
  uas.push(alice);
  for (let i = 0; i < 10; i++) {
    const call = alice.dial(parseUri('sip:sipp@127.0.0.1'));
    await new Promise<void>((resolve, reject) => {
      call.once('established', () => setTimeout(() => (call.hangup(), resolve()), 20));
      call.once('terminated', (info) =>
        call.state === 'terminated' && !['local-bye'].includes(info.reason)
          ? reject(new Error(`${info.reason} ${info.code}`))
          : undefined,
      );
    });
  }
  const r = await sipp;
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1000));
  assert.equal(r.stats?.successful, 10);
  figures.push(`switchboard→proxy→uas: ${r.stats?.successful}/10 ok, ${r.stats?.failed} failed`);
});

test('SIPp REGISTER scenario: 401, digest answer, 200 with the binding, unregister', async () => {
  const sp = await freePort();
  const r = await runSipp(
    [
      '-sf',
      scenarios + 'register.xml',
      `127.0.0.1:${port}`,
      '-s',
      'reguser',
      '-au',
      'reguser',
      '-ap',
      'sipp-pw',
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-m',
      '1',
      '-timeout',
      '20',
      '-timeout_error',
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1500));
  assert.deepEqual(await store.lookup('sip:reguser@127.0.0.1'), [], 'unregistered at the end');
  figures.push('REGISTER with digest: ok');
});
