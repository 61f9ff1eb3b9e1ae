/** Forking (RFC 3261 §16.5–§16.7) and forked 2xx at the UAC (§13.2.2.4). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/cli/demo/lab.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, type SipRequest } from '../../src/message/index.js';

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
  const ua = new UserAgent({ aor: `sip:bob@biloxi.example.com`, listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], autoAnswer, tap: lab.recorder.tap(name) });
  await ua.start();
  extra.push(ua);
  return ua;
}
async function bind(ua: UserAgent, q: number): Promise<void> {
  await lab.store.put({ aor: 'sip:bob@biloxi.example.com', uri: ua.contact.uri.toString(), params: '', expires: performance.now() + 600_000, q, callId: ua.contact.uri.toString(), cseq: 1, path: [] });
}

test('parallel fork: both devices answer, the caller ACKs both 2xx and hangs up the extra dialog', async () => {
  await lab.store.removeAll('sip:bob@biloxi.example.com');
  const d1 = await device('desk', 0);
  const d2 = await device('mobile', 0);
  await bind(d1, 1);
  await bind(d2, 1);
  const got: Call[] = [];
  d1.on('incoming', (c: Call) => got.push(c));
  d2.on('incoming', (c: Call) => got.push(c));
  const call = lab.phones.alice.call('sip:bob@biloxi.example.com');
  await new Promise<void>((r) => call.once('established', () => r()));
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(got.length, 2, 'both devices rang');
  const live = got.filter((c) => c.state === 'established');
  assert.equal(live.length, 1, 'one dialog survives; the other 2xx was ACKed and ended with BYE (or cancelled)');
  call.hangup();
  await new Promise((r) => setTimeout(r, 300));
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
  const call = lab.phones.alice.call('sip:bob@biloxi.example.com');
  await new Promise<void>((r, j) => {
    call.once('established', () => r());
    call.once('terminated', (i) => j(new Error(`${i.reason} ${i.code}`)));
  });
  const c2 = await answered;
  assert.equal(c2.state, 'established');
  // the INVITE reached the busy device first, the second only after the 486
  const order = lab.recorder.entries.filter((e) => (e.element === 'busy' || e.element === 'second') && e.direction === 'in').map((e) => ({ el: e.element, m: parseMessage(e.bytes) })).filter((x) => x.m.isRequest && (x.m as SipRequest).method === 'INVITE');
  assert.deepEqual(order.map((x) => x.el).slice(0, 2), ['busy', 'second']);
  call.hangup();
});
