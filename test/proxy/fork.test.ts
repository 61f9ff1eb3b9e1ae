/** Forking (RFC 3261 §16.5–§16.7) and forked 2xx at the UAC (§13.2.2.4). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/cli/demo/lab.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, type SipRequest } from '../../src/message/index.js';
import { once } from '../call/helpers.js';
import { within } from '../helpers/wait.js';

let lab: Lab;
const extra: UserAgent[] = [];
before(async () => {
  lab = await startLab('udp');
});
after(async () => {
  await Promise.all(extra.map((u) => u.stop()));
  await lab.close();
});

async function device(name: string, autoAnswer: number | false): Promise<UserAgent> {
  const ua = new UserAgent({
    aor: `sip:bob@biloxi.example.com`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer,
    tap: lab.recorder.tap(name),
  });
  await ua.start();
  extra.push(ua);
  return ua;
}
async function bind(ua: UserAgent, q: number): Promise<void> {
  await lab.store.put({
    aor: 'sip:bob@biloxi.example.com',
    uri: ua.contact.uri.toString(),
    params: '',
    expires: Date.now() + 600_000,
    q,
    callId: ua.contact.uri.toString(),
    cseq: 1,
    path: [],
  });
}

test('parallel fork: both devices answer, the caller ACKs both 2xx and hangs up the extra dialog', async () => {
  await lab.store.removeAll('sip:bob@biloxi.example.com');
  const d1 = await device('desk', 0);
  const d2 = await device('mobile', 0);
  await bind(d1, 1);
  await bind(d2, 1);
  const rang = Promise.all([once<[Call]>(d1, 'incoming'), once<[Call]>(d2, 'incoming')]);
  const call = lab.phones.alice.dial('sip:bob@biloxi.example.com');
  await once(call, 'established');
  const got = (await rang).map(([c]) => c);
  assert.equal(got.length, 2, 'both devices rang');
  // the losing device's call ends: its 2xx ACKed then BYE (§13.2.2.4), or CANCELled by the proxy
  await Promise.race(got.map((c) => (c.state === 'terminated' ? Promise.resolve() : once(c, 'terminated'))));
  const live = got.filter((c) => c.state === 'established');
  assert.equal(live.length, 1, 'one dialog survives; the other 2xx was ACKed and ended with BYE (or cancelled)');
  const ended = once(live[0]!, 'terminated');
  void call.hangup();
  await ended;
  assert.ok(got.every((c) => c.state === 'terminated'));
});

test('sequential fork by q: the q=1.0 device is busy, the q=0.5 device answers', async () => {
  await lab.store.removeAll('sip:bob@biloxi.example.com');
  const busy = await device('busy', false);
  busy.on('incoming', (c: Call) => setTimeout(() => c.reject(486), 10));
  const second = await device('second', 0);
  await bind(busy, 1);
  await bind(second, 0.5);
  const answered = new Promise<Call>((r) => second.once('incoming', r));
  const call = lab.phones.alice.dial('sip:bob@biloxi.example.com');
  await new Promise<void>((r, j) => {
    call.once('established', () => r());
    call.once('terminated', (i) => j(new Error(`${i.reason} ${i.code}`)));
  });
  const c2 = await answered;
  assert.equal(c2.state, 'established');
  // the INVITE reached the busy device first, the second only after the 486
  const order = lab.recorder.entries
    .filter((e) => (e.element === 'busy' || e.element === 'second') && e.direction === 'in')
    .map((e) => ({ el: e.element, m: parseMessage(e.bytes) }))
    .filter((x) => x.m.isRequest && (x.m as SipRequest).method === 'INVITE');
  assert.deepEqual(order.map((x) => x.el).slice(0, 2), ['busy', 'second']);
  void call.hangup();
});

test('CANCEL through the proxy: the pending branch is cancelled, the caller gets 487', async () => {
  await lab.store.removeAll('sip:bob@biloxi.example.com');
  const slow = await device('slow', false);
  await bind(slow, 1);
  const ringing = new Promise<Call>((r) => slow.once('incoming', r));
  const call = lab.phones.alice.dial('sip:bob@biloxi.example.com');
  const callee = await ringing;
  await new Promise<void>((r) => (call.state === 'ringing' ? r() : call.once('ringing', () => r())));
  const ended = new Promise<{ reason: string; code?: number }>((r) => call.once('terminated', r));
  const calleeEnded = new Promise<{ reason: string }>((r) => callee.once('terminated', r));
  void call.hangup();
  assert.equal((await ended).code, 487);
  assert.equal((await calleeEnded).reason, 'cancelled');
  const cancels = lab.recorder.entries
    .filter((e) => e.element === 'slow' && e.direction === 'in')
    .map((e) => parseMessage(e.bytes))
    .filter((m) => m.isRequest && (m as SipRequest).method === 'CANCEL');
  assert.equal(cancels.length, 1, 'the proxy forwarded the CANCEL');
});

test('per-source rate limit: beyond the burst, 503 with Retry-After; the proxy keeps serving others', async () => {
  const { SipTransport } = await import('../../src/transport/index.js');
  const { Proxy } = await import('../../src/proxy/proxy.js');
  const { createRequest, createVia } = await import('../../src/message/index.js');
  const dgram = await import('node:dgram');
  const t = new SipTransport();
  const port = (await t.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const p = new Proxy({
    transport: t,
    domains: ['example.com'],
    hostnames: ['127.0.0.1'],
    rateLimit: { perSecond: 1, burst: 2 },
  });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const statuses: number[] = [];
  const answered = new Promise<void>((r) =>
    sock.on('message', (b) => {
      statuses.push((parseMessage(b, { lazy: true }) as import('../../src/message/index.js').SipResponse).status);
      if (statuses.length === 4) r();
    }),
  );
  for (let i = 0; i < 4; i++) {
    const opt = createRequest({
      method: 'OPTIONS',
      uri: `sip:127.0.0.1:${port}`,
      from: 'sip:x@foreign.org',
      to: `sip:127.0.0.1:${port}`,
      via: createVia('UDP', '127.0.0.1', sock.address().port),
    });
    sock.send(opt.toBuffer(), port, '127.0.0.1');
  }
  await within(answered, 8000, 'four answers');
  assert.deepEqual(statuses.slice().sort(), [200, 200, 503, 503]);
  assert.equal(p.stats.rateLimited, 2);
  sock.close();
  p.close();
  await t.close();
});
