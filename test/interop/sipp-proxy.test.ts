/** SIPp through the Switchboard proxy: uac and uas with zero failed calls, and a REGISTER with digest. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { DigestServer } from '../../src/auth/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { listeningSipp, runSipp, sippArgs } from '../helpers/sipp.js';
import { bindForAnHour } from '../helpers/location.js';
import { callsThenHangUp, localUas } from '../helpers/ua.js';
import { freePort } from './ports.js';

let transport: SipTransport;
let store: MemoryLocationStore;
let proxy: Proxy;
let port: number;
const switchboard = localUas();
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
  proxy.close();
  store.close();
  await transport.close();
});

test('SIPp uac → Switchboard proxy → Switchboard UAS: 20 calls, none failed', async () => {
  const { ua: bob } = await switchboard('bob', { autoAnswer: 0 });
  await bindForAnHour(store, 'sip:bob@127.0.0.1', bob.contact.uri.toString());
  const r = await runSipp(
    sippArgs({
      scenario: 'uac',
      remote: port,
      port: await freePort(),
      calls: 20,
      extra: ['-s', 'bob', '-r', '20', '-l', '10', '-default_behaviors', 'all,-abortunexp'],
    }),
    { timeoutMs: 40_000 },
  );
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1000));
  assert.equal(r.stats?.successful, 20);
  assert.equal(r.stats?.failed, 0);
  figures.push(`uac→proxy→switchboard: ${r.stats?.successful}/20 ok, ${r.stats?.failed} failed`);
});

test('Switchboard UAC → Switchboard proxy → SIPp uas: 10 calls, none failed', async () => {
  const sp = await freePort();
  const sipp = await listeningSipp(
    sippArgs({ scenario: 'uas', port: sp, calls: 10 }),
    { port: sp },
    { timeoutMs: 40_000 },
  );
  await bindForAnHour(store, 'sip:sipp@127.0.0.1', `sip:sipp@127.0.0.1:${sp}`);
  const { ua: alice } = await switchboard('alice', {
    aor: 'sip:alice@example.org',
    outboundProxy: `sip:127.0.0.1:${port};lr`,
  });
  // SIPp's built-in uas echoes no Record-Route, so our ACK and BYE go to it directly; it answers the BYE
  // to where the INVITE came from (the proxy), which has no transaction for that 200 and drops it
  await callsThenHangUp(alice, 'sip:sipp@127.0.0.1', 10, { awaitBye: false });
  const r = await sipp.done;
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1000));
  assert.equal(r.stats?.successful, 10);
  figures.push(`switchboard→proxy→uas: ${r.stats?.successful}/10 ok, ${r.stats?.failed} failed`);
});

test('SIPp REGISTER scenario: 401, digest answer, 200 with the binding, unregister', async () => {
  const r = await runSipp(
    sippArgs({
      scenario: 'register.xml',
      remote: port,
      port: await freePort(),
      timeoutS: 20,
      extra: ['-s', 'reguser', '-au', 'reguser', '-ap', 'sipp-pw'],
    }),
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.errors || r.stderr.slice(-1500));
  assert.deepEqual(await store.lookup('sip:reguser@127.0.0.1'), [], 'unregistered at the end');
  figures.push('REGISTER with digest: ok');
});
