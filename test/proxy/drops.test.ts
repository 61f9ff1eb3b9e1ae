/**
 * Issue 16 item 2: no call lost after drops. Chosen datagrams are lost at the proxy's UDP socket
 * (on arrival, as when the kernel's receive buffer is full, or on departure), and every call
 * through `Proxy` between two user agents still completes: INVITE, 200, ACK, BYE, 200.
 */
import { test, after, before } from 'node:test';
import * as dgram from 'node:dgram';
import assert from 'node:assert/strict';
import { parseUri, type Uri } from '../../src/message/index.js';
import { LossyTransport, TransportManager, type WireEvent } from '../../src/transport/index.js';
import { MemoryLocationStore, Registrar } from '../../src/registrar/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { dropPlan, ruleFor } from '../helpers/drops.js';

const DOMAIN = 'drops.example.com';
const TIMERS = { T1: 40, T2: 320, T4: 400 }; // scaled-down RFC 3261 timers keep the test short

const plan = dropPlan();

let inner: TransportManager;
let proxy: Proxy;
let store: MemoryLocationStore;
let proxyPort: number;
const wire = { alice: [] as WireEvent[], bob: [] as WireEvent[] };
let alice: UserAgent;
let bob: UserAgent;

before(async () => {
  inner = new TransportManager();
  proxyPort = (await inner.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const lossy = new LossyTransport(inner, ruleFor(plan, 'out'), ruleFor(plan, 'in'));
  store = new MemoryLocationStore();
  const resolve = async (uri: Uri) => {
    const u = uri as unknown as { hostname: string; port?: number };
    const port = u.hostname === DOMAIN ? proxyPort : (u.port ?? 5060);
    return [{ protocol: 'udp' as const, host: '127.0.0.1', port }];
  };
  proxy = new Proxy({
    transport: lossy,
    domains: [DOMAIN],
    hostnames: ['127.0.0.1'],
    registrar: new Registrar({ domains: [DOMAIN], store }),
    recordRoute: true,
    timers: TIMERS,
    resolve,
  });
  const phone = async (name: 'alice' | 'bob') => {
    const ua = new UserAgent({
      aor: `sip:${name}@${DOMAIN}`,
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      outboundProxy: `sip:127.0.0.1:${proxyPort};lr`,
      registrar: `sip:${DOMAIN}`,
      autoAnswer: 0,
      timers: TIMERS,
      resolve,
      tap: (e) => wire[name].push(e),
    });
    await ua.start();
    assert.equal(await ua.register(600), 200);
    return ua;
  };
  alice = await phone('alice');
  bob = await phone('bob');
});

after(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  proxy?.close();
  store?.close();
  await inner?.close();
});

/** Kinds of the messages a phone received since `from`. */
const received = (name: 'alice' | 'bob', from: number) =>
  wire[name].slice(from).flatMap((e) => {
    if (e.direction !== 'in') return [];
    const text = e.bytes.toString('latin1');
    const start = text.slice(0, text.indexOf('\r\n'));
    const cseq = /\r\nCSeq:\s*\d+\s+(\w+)/i.exec(text)?.[1] ?? '';
    const status = /^SIP\/2\.0 (\d{3})/.exec(start)?.[1];
    return [status ? `${status}/${cseq}` : start.split(' ')[0]!];
  });

function until<T>(what: string, ms: number, wait: (done: (v: T) => void, fail: (e: Error) => void) => void) {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    wait(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** One call alice → bob through the proxy, hung up by alice; resolves when both ends saw it complete. */
async function fullCall(): Promise<void> {
  const marks = { alice: wire.alice.length, bob: wire.bob.length };
  const incoming = until<Call>('incoming call at bob', 5000, (r) => bob.once('incoming', r));
  const call = alice.dial(parseUri(`sip:bob@${DOMAIN}`));
  await until<void>('established at alice', 5000, (r, j) => {
    call.once('established', () => r());
    call.once('terminated', (i: { reason: string; code?: number }) =>
      j(new Error(`call failed: ${i.reason} ${i.code ?? ''}`)),
    );
  });
  const remote = await incoming;
  // bob's 2xx is retransmitted until an ACK arrives (§13.3.1.4): wait for the ACK at bob
  await until<void>('ACK at bob', 5000, (r) => {
    const check = () => (received('bob', marks.bob).includes('ACK') ? r() : setTimeout(check, 20));
    check();
  });
  assert.equal(remote.state, 'established');
  const ended = until<void>('BYE at bob', 5000, (r) => remote.once('terminated', () => r()));
  void call.hangup();
  await ended;
  // alice's BYE transaction gets its 200 (through retransmissions if needed)
  await until<void>('200 to the BYE at alice', 5000, (r) => {
    const check = () => (received('alice', marks.alice).includes('200/BYE') ? r() : setTimeout(check, 20));
    check();
  });
}

for (const direction of ['in', 'out'] as const) {
  for (const what of ['INVITE', '200/INVITE', 'ACK', 'BYE', '200/BYE']) {
    for (const count of [1, 3]) {
      test(`a call completes when ${count} cop${count > 1 ? 'ies' : 'y'} of the ${what} ${direction === 'in' ? 'arriving at' : 'leaving'} the proxy ${count > 1 ? 'are' : 'is'} lost`, async () => {
        Object.assign(plan, { what: [what], direction, count, dropped: 0 });
        await fullCall();
        assert.equal(plan.dropped, count, `${plan.dropped} of ${count} ${what} dropped`);
        plan.what = [];
      });
    }
  }
}

test('a branch that never answers gives the caller a 408 without the proxy Via (§16.8, §16.7 step 3)', async () => {
  // a socket that reads nothing: the INVITE client transaction times out (Timer B = 64·T1)
  const hole = dgram.createSocket('udp4');
  await new Promise<void>((r) => hole.bind(0, '127.0.0.1', () => r()));
  try {
    await store.put({
      aor: `sip:carol@${DOMAIN}`,
      uri: `sip:carol@127.0.0.1:${hole.address().port}`,
      params: '',
      expires: Date.now() + 60_000,
      q: 1,
      callId: 'hole',
      cseq: 1,
      path: [],
    });
    const mark = wire.alice.length;
    const call = alice.dial(parseUri(`sip:carol@${DOMAIN}`));
    const end = await until<{ reason: string; code?: number }>('the call to fail', 10_000, (r) =>
      call.once('terminated', r),
    );
    assert.equal(end.code, 408);
    const res = wire.alice
      .slice(mark)
      .filter((e) => e.direction === 'in' && e.bytes.toString('latin1').startsWith('SIP/2.0 408'))
      .map((e) => e.bytes.toString('latin1'));
    assert.ok(res.length >= 1);
    const vias = res[0]!.split('\r\n').filter((l) => /^(Via|v):/i.test(l));
    assert.equal(vias.length, 1, res[0]);
    assert.ok(!vias[0]!.includes(`:${proxyPort}`), vias[0]);
  } finally {
    hole.close();
  }
});
