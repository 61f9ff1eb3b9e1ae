/** Routing policy is code a user can replace: request processors and response processors. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import type { Processor } from '../../src/proxy/chain.js';
import type { RequestContext } from '../../src/proxy/context.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { createRequest, createResponse, parseUri } from '../../src/message/index.js';

let transport: SipTransport;
let proxy: Proxy;
let store: MemoryLocationStore;
let port: number;
const uas: UserAgent[] = [];
let bobUri = '';

before(async () => {
  transport = new SipTransport();
  port = (await transport.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  store = new MemoryLocationStore();
  // a policy step: no MESSAGE through this proxy; and "sip:helpdesk@example.com" goes to Bob
  const noMessage: Processor<RequestContext> = {
    name: 'no-message',
    process(ctx) {
      if (ctx.request.method !== 'MESSAGE') return 'continue';
      ctx.respond(405, { headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']] });
      return 'stop';
    },
  };
  proxy = new Proxy({
    transport,
    domains: ['example.com'],
    hostnames: ['127.0.0.1'],
    registrar: new Registrar({ domains: ['example.com'], store }),
    processors: (chains) => {
      chains.request.insertAfter('validate', noMessage);
      chains.request.insertBefore('location', {
        name: 'helpdesk',
        process(ctx) {
          const u = ctx.request.uri;
          if (u.kind !== 'sip' || u.user !== 'helpdesk') return 'continue';
          ctx.targets.push({ uri: parseUri(bobUri), q: 1, path: [] });
          return 'skip';
        },
      });
      chains.response.append({
        name: 'mark',
        process(ctx) {
          ctx.response.append('X-Switchboard-Proxy', 'yes');
          return 'continue';
        },
      });
    },
  });
});
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
  proxy.close();
  store.close();
  await transport.close();
});

test('an inserted request processor answers 405; a target processor routes helpdesk to Bob; a response processor adds a header', async () => {
  const bob = new UserAgent({
    aor: 'sip:bob@example.com',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 1, // a delayed answer rings first (autoAnswer 0 answers without a 180)
  });
  const alice = new UserAgent({
    aor: 'sip:alice@example.com',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    outboundProxy: `sip:127.0.0.1:${port};lr`,
  });
  await bob.start();
  await alice.start();
  uas.push(bob, alice);
  bobUri = bob.contact.uri.toString();
  const msg = await alice.core.send(
    createRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      from: 'sip:alice@example.com',
      to: 'sip:bob@example.com',
      body: 'hi',
      contentType: 'text/plain',
    }),
  );
  assert.equal(msg.status, 405);
  const inc = new Promise<Call>((r) => bob.once('incoming', r));
  let ringing = '';
  const call = alice.dial('sip:helpdesk@example.com');
  call.on('ringing', () => (ringing = 'yes'));
  await new Promise<void>((r) => call.once('established', () => r()));
  await inc;
  assert.equal(ringing, 'yes');
  assert.equal(call.state, 'established');
  void call.hangup();
  // responses forwarded upstream went through the response processor
  const opt = await alice.core.send(
    createRequest({
      method: 'OPTIONS',
      uri: 'sip:helpdesk@example.com',
      from: 'sip:alice@example.com',
      to: 'sip:helpdesk@example.com',
    }),
  );
  assert.equal(opt.status, 200);
  assert.equal(opt.get('X-Switchboard-Proxy'), 'yes');
});

test('in-dialog requests challenged by a proxy are re-sent with credentials and the dialog CSeq (BYE and re-INVITE)', async () => {
  const { DigestServer } = await import('../../src/auth/index.js');
  const t2 = new SipTransport();
  const p2port = (await t2.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 })).port;
  const store2 = new MemoryLocationStore();
  const auth = new DigestServer({
    realm: 'example.com',
    users: (u) => (u === 'alice' ? { password: 'pw' } : undefined),
  });
  // a strict proxy: in-dialog BYE and INVITE from alice must carry credentials too
  const challengeInDialog: Processor<RequestContext> = {
    name: 'challenge-in-dialog',
    async process(ctx) {
      const r = ctx.request;
      if (!r.to?.tag || !['BYE', 'INVITE'].includes(r.method) || !/alice/.test(r.get('From') ?? '')) return 'continue';
      const v = await auth.verify(r, { proxy: true });
      if (v.ok) return 'continue';
      ctx.respondWith(
        createResponse(r, 407, {
          headers: auth.challenges().map((c) => ['Proxy-Authenticate', c] as [string, string]),
        }),
      );
      return 'stop';
    },
  };
  const p2 = new Proxy({
    transport: t2,
    domains: ['example.com'],
    hostnames: ['127.0.0.1'],
    registrar: new Registrar({ domains: ['example.com'], store: store2 }),
    recordRoute: true,
    processors: (c) => void c.request.insertAfter('route', challengeInDialog),
  });
  const bob2 = new UserAgent({
    aor: 'sip:bob@example.com',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: false, // answered below: answer() resolves once the ACK is in
  });
  const alice2 = new UserAgent({
    aor: 'sip:alice@example.com',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    outboundProxy: `sip:127.0.0.1:${p2port};lr`,
    credentials: { username: 'alice', password: 'pw' },
  });
  await bob2.start();
  await alice2.start();
  uas.push(bob2, alice2);
  await store2.put({
    aor: 'sip:bob@example.com',
    uri: bob2.contact.uri.toString(),
    params: '',
    expires: Date.now() + 600_000,
    q: 1,
    callId: 'z',
    cseq: 1,
    path: [],
  });
  const inc = new Promise<Call>((r) => bob2.once('incoming', r));
  const call = alice2.dial('sip:bob@example.com');
  const bc = await inc;
  // Bob has the ACK of his 2xx: a re-INVITE before it would get 500 (RFC 3261 §14.2)
  await bc.answer();
  await new Promise<void>((r) => (call.state === 'established' ? r() : call.once('established', () => r())));
  assert.equal((await call.hold()).localHold, true, 'the challenged re-INVITE went through on the second try');
  assert.equal(bc.remoteHold, true);
  const ended = new Promise((r) => bc.once('terminated', r));
  void call.hangup();
  await ended;
  p2.close();
  store2.close();
  await t2.close();
});
