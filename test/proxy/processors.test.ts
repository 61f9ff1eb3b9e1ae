/** Routing policy is code a user can replace: request processors and response processors. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SipTransport } from '../../src/transport/index.js';
import { Registrar, MemoryLocationStore } from '../../src/registrar/index.js';
import { Proxy, type RequestProcessor } from '../../src/proxy/proxy.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { createRequest, parseUri } from '../../src/message/index.js';

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
  const noMessage: RequestProcessor = (ctx) => {
    if (ctx.request.method !== 'MESSAGE') return 'continue';
    ctx.respond(405, { headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']] });
    return 'done';
  };
  proxy = new Proxy({
    transport,
    domains: ['example.com'],
    hostnames: ['127.0.0.1'],
    registrar: new Registrar({ domains: ['example.com'], store }),
    requestProcessors: (defaults) => [...defaults.slice(0, 2), noMessage, ...defaults.slice(2)],
    targetProcessor: async (req) => (req.uri.kind === 'sip' && req.uri.user === 'helpdesk' ? [parseUri(bobUri)] : undefined),
    responseProcessors: [(res) => void res.append('X-Switchboard-Proxy', 'yes')],
  });
});
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
  proxy.close();
  store.close();
  await transport.close();
});

test('an inserted request processor answers 405; a target processor routes helpdesk to Bob; a response processor adds a header', async () => {
  const bob = new UserAgent({ aor: 'sip:bob@example.com', listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], autoAnswer: 0 });
  const alice = new UserAgent({ aor: 'sip:alice@example.com', listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], outboundProxy: `sip:127.0.0.1:${port};lr` });
  await bob.start();
  await alice.start();
  uas.push(bob, alice);
  bobUri = bob.contact.uri.toString();
  const msg = await alice.core.send(createRequest({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com', body: 'hi', contentType: 'text/plain' }));
  assert.equal(msg.status, 405);
  const inc = new Promise<Call>((r) => bob.once('incoming', r));
  let ringing = '';
  const call = alice.call('sip:helpdesk@example.com');
  call.on('ringing', () => (ringing = 'yes'));
  await new Promise<void>((r) => call.once('established', () => r()));
  await inc;
  assert.equal(ringing, 'yes');
  assert.equal(call.state, 'established');
  call.hangup();
  // responses forwarded upstream went through the response processor
  const opt = await alice.core.send(createRequest({ method: 'OPTIONS', uri: 'sip:helpdesk@example.com', from: 'sip:alice@example.com', to: 'sip:helpdesk@example.com' }));
  assert.equal(opt.status, 200);
  assert.equal(opt.get('X-Switchboard-Proxy'), 'yes');
});
