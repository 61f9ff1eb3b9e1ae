import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { startLab, type Lab } from '../../src/cli/demo/lab.js';
import { DigestClient } from '../../src/auth/index.js';
import {
  createRequest,
  createVia,
  parseMessage,
  parseUri,
  type SipRequest,
  type SipResponse,
} from '../../src/message/index.js';
import { loopHash } from '../../src/proxy/rules.js';
import type { Call } from '../../src/call/call.js';
import { isMethod, recorded, within } from '../helpers/wait.js';

let lab: Lab;
let sock: dgram.Socket;
let proxyPort: number;
before(async () => {
  lab = await startLab('udp');
  proxyPort = lab.proxyTransport.address('udp')!.port;
  sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
});
after(async () => {
  sock.close();
  await lab.close();
});

/** Send raw bytes to the proxy and wait for its response to them (retransmissions of earlier answers are ignored). */
function exchange(bytes: Buffer, ms = 3000): Promise<SipResponse> {
  const text = bytes.toString('latin1');
  const callId = /\r\nCall-ID: *([^\r]+)/i.exec(text)?.[1];
  const cseq = /\r\nCSeq: *([^\r]+)/i.exec(text)?.[1];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sock.off('message', on);
      reject(new Error(`no response to ${cseq}`));
    }, ms);
    const on = (b: Buffer) => {
      const m = parseMessage(b, { lazy: true }) as SipResponse;
      if (m.callId !== callId || m.get('CSeq') !== cseq || m.status < 200) return;
      clearTimeout(t);
      sock.off('message', on);
      resolve(m);
    };
    sock.on('message', on);
    sock.send(bytes, proxyPort, '127.0.0.1');
  });
}
function request(method: string, ruri: string, from: string, extra: [string, string][] = [], cseq = 1): SipRequest {
  const port = sock.address().port;
  return createRequest({
    method,
    uri: ruri,
    from,
    to: ruri,
    cseq,
    via: createVia('UDP', '127.0.0.1', port),
    contact: `<sip:raw@127.0.0.1:${port}>`,
    headers: extra,
  });
}

test('unauthenticated INVITE from a domain user gets 407 with a challenge', async () => {
  const res = await exchange(
    request('INVITE', 'sip:bob@biloxi.example.com', 'sip:alice@atlanta.example.com').toBuffer(),
  );
  assert.equal(res.status, 407);
  assert.ok(res.proxyAuthenticate.length >= 1);
});

test('a replayed nonce count is refused', async () => {
  const req = request('REGISTER', 'sip:atlanta.example.com', 'sip:alice@atlanta.example.com', [['Expires', '0']], 10);
  req.set('To', '<sip:alice@atlanta.example.com>');
  const challenge = await exchange(req.toBuffer());
  assert.equal(challenge.status, 401);
  const client = new DigestClient({ username: 'alice', password: 'wonderland-7' });
  const authed = parseMessage(req.toBuffer()) as SipRequest;
  authed.set('CSeq', '11 REGISTER');
  authed.set('Via', createVia('UDP', '127.0.0.1', sock.address().port).toString()); // a new transaction
  assert.ok(client.authorize(authed, parseMessage(challenge.toBuffer()) as SipResponse));
  const ok = await exchange(authed.toBuffer());
  assert.equal(ok.status, 200);
  // the same Authorization (same nonce, same nc) again, even with a new CSeq: replay
  authed.set('CSeq', '12 REGISTER');
  authed.set('Via', createVia('UDP', '127.0.0.1', sock.address().port).toString());
  const replay = await exchange(authed.toBuffer());
  assert.equal(replay.status, 401);
  // alice unregistered herself above: register her again for the following tests
  assert.equal(await lab.phones.alice.register(600), 200);
});

test('Max-Forwards 0 gets 483; a looping request gets 482', async () => {
  const mf = request('OPTIONS', 'sip:bob@biloxi.example.com', 'sip:x@foreign.org');
  mf.set('Max-Forwards', '0');
  assert.equal((await exchange(mf.toBuffer())).status, 483);
  // the request comes back (through another element) carrying our own earlier Via with the same loop hash
  const loop = request('OPTIONS', 'sip:bob@biloxi.example.com', 'sip:x@foreign.org');
  const top = loop.topVia!.toString();
  loop.set('Via', `SIP/2.0/UDP 127.0.0.1:${proxyPort};branch=z9hG4bKfirst.${loopHash(loop)}`);
  loop.prepend('Via', top);
  assert.equal((await exchange(loop.toBuffer())).status, 482);
});

test('an oversized message is refused with 513; relaying for strangers is refused; the proxy keeps serving', async () => {
  const big = request('OPTIONS', 'sip:bob@biloxi.example.com', 'sip:x@foreign.org', [
    ['X-Padding', 'x'.repeat(40_000)],
  ]);
  assert.equal((await exchange(big.toBuffer())).status, 513);
  const relay = request('OPTIONS', 'sip:someone@elsewhere.org', 'sip:x@foreign.org');
  assert.equal((await exchange(relay.toBuffer())).status, 403);
  const unknown = request('OPTIONS', 'sip:nobody@biloxi.example.com', 'sip:x@foreign.org');
  assert.equal((await exchange(unknown.toBuffer())).status, 404);
  sock.send(Buffer.from('garbage\r\n\r\n'), proxyPort, '127.0.0.1');
  const alive = request('OPTIONS', `sip:127.0.0.1:${proxyPort}`, 'sip:x@foreign.org');
  assert.equal((await exchange(alive.toBuffer())).status, 200);
});

test('every in-dialog request of a call with hold and transfer crosses the proxy', async () => {
  const { alice, bob, carol } = lab.phones;
  const mark = lab.recorder.entries.length;
  const inc = new Promise<Call>((r) => bob.once('incoming', r));
  const ab = alice.dial(lab.aor('bob'));
  const ba = await inc;
  await new Promise<void>((r) => (ab.state === 'established' ? r() : ab.once('established', () => r())));
  // Bob has the ACK of his 2xx before he re-INVITEs (a re-INVITE before it would get 500, §14.2)
  await recorded(lab.recorder, (e, m) => e.element === 'bob' && e.direction === 'in' && isMethod(m, 'ACK'), mark);
  await ba.hold();
  await ba.resume();
  const carolInc = new Promise<Call>((r) => carol.once('incoming', r));
  const done = new Promise((r) => ab.once('transferred', r));
  const abEnded = new Promise((r) => ab.once('terminated', r));
  await ab.transfer(parseUri(lab.aor('carol')));
  const cb = await within(carolInc, 8000, 'Carol rang');
  await within(done, 8000, 'transferred');
  // Alice's BYE after the transfer (RFC 5589 §6) has been answered through the proxy
  await within(abEnded, 8000, "Alice's call ended");
  const cbEnded = new Promise((r) => cb.once('terminated', r));
  void cb.hangup();
  await within(cbEnded, 8000, "Carol's BYE answered");
  const phoneRequests = lab.recorder.entries
    .slice(mark)
    .filter((e) => e.element !== 'proxy' && e.direction === 'out')
    .map((e) => ({ e, m: parseMessage(e.bytes) }))
    .filter((x) => x.m.isRequest);
  const methods = new Set(phoneRequests.map((x) => (x.m as SipRequest).method));
  for (const m of ['INVITE', 'ACK', 'REFER', 'NOTIFY', 'BYE']) assert.ok(methods.has(m), `${m} was sent`);
  for (const x of phoneRequests)
    assert.equal(x.e.remote.port, proxyPort, `${(x.m as SipRequest).method} from ${x.e.element} went to the proxy`);
});
