/**
 * Interop with baresip 1.0 (Debian package, headless, driven over ctrl_tcp): calls both ways,
 * hold/resume both ways, transfer with baresip as transferee and as transferor, and baresip
 * registering and calling through the Switchboard proxy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, parseUri, type SipRequest, type SipResponse } from '../../src/message/index.js';
import type { WireEvent } from '../../src/transport/index.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

async function baresip(name: string, account?: (port: number) => string): Promise<Baresip> {
  const b = await startBaresip(name, account ? { account } : {});
  cleanup.push(() => b.stop());
  return b;
}

async function phone(
  name: string,
  opts: Partial<ConstructorParameters<typeof UserAgent>[0]> = {},
): Promise<{ ua: UserAgent; wire: WireEvent[]; uri: string }> {
  const wire: WireEvent[] = [];
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    tap: (e) => wire.push(e),
    ...opts,
  });
  await ua.start();
  cleanup.push(() => ua.stop());
  return { ua, wire, uri: `sip:${name}@127.0.0.1:${ua.transport.address('udp')!.port}` };
}

const dirOf = (b: Buffer) => /a=(sendrecv|sendonly|recvonly|inactive)/.exec(b.toString())?.[1];
const msgs = (wire: WireEvent[], direction: 'in' | 'out') =>
  wire.filter((w) => w.direction === direction).map((w) => parseMessage(w.bytes));
const waitCall = (c: Call, ev: string, ms = 8000) =>
  new Promise<void>((r, j) => {
    // the event may already have happened
    if ((ev === 'established' && c.state === 'established') || (ev === 'terminated' && c.state === 'terminated'))
      return r();
    const t = setTimeout(() => j(new Error(`call ${c.id}: no ${ev}`)), ms);
    c.once(ev as 'established', () => (clearTimeout(t), r()));
  });

test('Switchboard calls baresip, holds and resumes it; baresip holds and resumes Switchboard', async () => {
  const bs = await baresip('bs');
  const alice = await phone('alice');
  const call = alice.ua.dial(parseUri(`sip:bs@127.0.0.1:${bs.sipPort}`));
  await bs.waitEvent('CALL_INCOMING');
  await bs.command('accept');
  await waitCall(call, 'established');
  await bs.waitEvent('CALL_ESTABLISHED');
  // we hold baresip: a=sendonly, baresip answers a=recvonly
  assert.equal((await call.hold()).localHold, true);
  const invites = msgs(alice.wire, 'out').filter((m) => m.isRequest && (m as SipRequest).method === 'INVITE');
  assert.equal(dirOf(invites.at(-1)!.body), 'sendonly');
  const answers = msgs(alice.wire, 'in').filter(
    (m) => !m.isRequest && (m as SipResponse).status === 200 && m.cseq!.method === 'INVITE',
  );
  assert.equal(dirOf(answers.at(-1)!.body), 'recvonly');
  assert.equal((await call.resume()).localHold, false);
  assert.equal(call.localHold, false);
  // baresip holds us
  const held = waitCall(call, 'remote-held');
  await bs.command('hold');
  await held;
  assert.equal(call.remoteHold, true);
  const resumed = waitCall(call, 'remote-resumed');
  await bs.command('resume');
  await resumed;
  assert.equal(call.remoteHold, false);
  const ended = waitCall(call, 'terminated');
  await bs.command('hangup');
  await ended;
});

test('baresip calls Switchboard (auto-answer) and hangs up', async () => {
  const bs = await baresip('bs2');
  const bob = await phone('bob');
  const inc = new Promise<Call>((r) => bob.ua.once('incoming', r));
  await bs.command('dial', bob.uri);
  const call = await inc;
  await waitCall(call, 'established').catch(() => undefined);
  await bs.waitEvent('CALL_ESTABLISHED');
  assert.equal(call.state, 'established');
  const ended = waitCall(call, 'terminated');
  await bs.command('hangup');
  await ended;
});

test('transfer with baresip as transferee: Switchboard REFERs baresip to a Switchboard target', async () => {
  const bs = await baresip('bs3');
  const alice = await phone('alice3');
  const carol = await phone('carol3');
  const call = alice.ua.dial(parseUri(`sip:bs3@127.0.0.1:${bs.sipPort}`));
  await bs.waitEvent('CALL_INCOMING');
  await bs.command('accept');
  await waitCall(call, 'established');
  const carolIncoming = new Promise<Call>((r) => carol.ua.once('incoming', r));
  const transferred = waitCall(call, 'transferred', 10_000);
  await call.transfer(parseUri(carol.uri));
  const cc = await carolIncoming;
  await waitCall(cc, 'established').catch(() => undefined);
  await transferred;
  assert.equal(cc.state, 'established');
  assert.equal(call.state, 'terminated');
  void cc.hangup();
});

test('transfer with baresip as transferor: baresip REFERs Switchboard to a Switchboard target', async () => {
  const bs = await baresip('bs4');
  const bob = await phone('bob4');
  const carol = await phone('carol4');
  const inc = new Promise<Call>((r) => bob.ua.once('incoming', r));
  await bs.command('dial', bob.uri);
  const call = await inc;
  await bs.waitEvent('CALL_ESTABLISHED');
  const refer = new Promise<{ referTo: string }>((r) => call.once('refer-received', r));
  const carolIncoming = new Promise<Call>((r) => carol.ua.once('incoming', r));
  await bs.command('transfer', carol.uri);
  assert.equal((await refer).referTo, carol.uri);
  const cc = await carolIncoming;
  await waitCall(cc, 'established').catch(() => undefined);
  assert.equal(cc.state, 'established');
  await waitCall(call, 'terminated', 10_000).catch(() => undefined);
  assert.equal(call.state, 'terminated');
  void cc.hangup();
});

test('baresip registers with the Switchboard proxy (digest), calls a Switchboard phone through it, is held and transferred', async () => {
  const { startLab } = await import('../../src/cli/demo/lab.js');
  // baresip 1.0 (libre) refuses a challenge list that contains SHA-256: offer MD5 only
  const lab = await startLab('udp', { extraUsers: { dave: 'dave-pw-9' }, digestAlgorithms: ['MD5'] });
  cleanup.push(() => lab.close());
  const proxyPort = lab.proxyTransport.address('udp')!.port;
  const bs = await baresip(
    'dave',
    () =>
      `<sip:dave@atlanta.example.com;transport=udp>;auth_user=dave;auth_pass=dave-pw-9;outbound="sip:127.0.0.1:${proxyPort};transport=udp";regint=60;answermode=manual;audio_codecs=PCMU/8000/1,PCMA/8000/1`,
  );
  await bs.registered(); // through the proxy, with digest auth
  assert.match(bs.log, /200 OK[^\n]*\[1 binding\]/);
  const { bob, carol } = lab.phones;
  const inc = new Promise<Call>((r) => bob.once('incoming', r));
  await bs.command('dial', 'sip:bob@biloxi.example.com');
  const call = await inc;
  await bs.waitEvent('CALL_ESTABLISHED');
  await waitCall(call, 'established');
  // every request baresip sent went to the proxy
  const atProxy = lab.recorder.entries
    .filter((e) => e.element === 'proxy' && e.direction === 'in')
    .map((e) => parseMessage(e.bytes))
    .filter((m) => m.isRequest && /dave/.test(m.get('From') ?? ''));
  assert.ok(
    atProxy.some((m) => (m as SipRequest).method === 'INVITE' && m.has('Proxy-Authorization')),
    'baresip answered the 407',
  );
  // Bob (Switchboard) holds baresip through the proxy
  assert.equal((await call.hold()).localHold, true);
  assert.equal((await call.resume()).localHold, false);
  // and transfers it to Carol: baresip is the transferee, its INVITE to Carol crosses the proxy
  const carolInc = new Promise<Call>((r) => carol.once('incoming', r));
  await call.transfer(parseUri(lab.aor('carol')));
  const cc = await carolInc;
  await waitCall(cc, 'established');
  await waitCall(call, 'terminated', 10_000);
  assert.equal(cc.state, 'established');
  void cc.hangup();
});
