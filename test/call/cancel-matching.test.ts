/**
 * CANCEL matching (RFC 3261 §9.2) seen from a raw UDP peer: a CANCEL reaches only the INVITE server
 * transaction it names (not every call with the same Call-ID), a CANCEL for no transaction gets 481,
 * and a CANCEL after the final response changes nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once, phone, type Phone } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';

const phones: Phone[] = [];
const socks: Socket[] = [];
after(async () => {
  for (const s of socks) s.close();
  await Promise.all(phones.map((p) => p.ua.stop()));
});

/** A bare UDP peer: sends text, and waits for the responses it is sent. */
async function peer(target: number) {
  const sock = createSocket('udp4');
  socks.push(sock);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const got: SipResponse[] = [];
  const waiters: { pred: (r: SipResponse) => boolean; resolve: (r: SipResponse) => void }[] = [];
  sock.on('message', (buf) => {
    const m = parseMessage(buf);
    if (m.isRequest) {
      // answer the BYE that ends the answered call
      if ((m as SipRequest).method === 'BYE')
        sock.send(createResponse(m as SipRequest, 200).toBuffer(), target, '127.0.0.1');
      return;
    }
    const res = m as SipResponse;
    got.push(res);
    for (const w of waiters.splice(0))
      if (w.pred(res)) w.resolve(res);
      else waiters.push(w);
  });
  return {
    port,
    got,
    send: (text: string) =>
      new Promise<void>((r, j) => sock.send(Buffer.from(text), target, '127.0.0.1', (e) => (e ? j(e) : r()))),
    /** The first response (already received or to come) that `pred` accepts. */
    response(pred: (r: SipResponse) => boolean, ms = 5000): Promise<SipResponse> {
      const seen = got.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such response')), ms);
        waiters.push({ pred, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
  };
}

/** An INVITE, CANCEL or ACK from the peer: CANCEL/ACK name the INVITE by branch and CSeq number (§9.1). */
function request(
  method: 'INVITE' | 'CANCEL' | 'ACK',
  o: { port: number; bob: number; callId: string; fromTag: string; branch: string; toTag?: string },
): string {
  return [
    `${method} sip:bob@127.0.0.1:${o.bob} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.port};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:raw@127.0.0.1:${o.port}>;tag=${o.fromTag}`,
    `To: <sip:bob@127.0.0.1:${o.bob}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: 1 ${method}`,
    ...(method === 'INVITE' ? [`Contact: <sip:raw@127.0.0.1:${o.port}>`] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test('CANCEL reaches only its INVITE transaction; an unknown one gets 481; after the final response it changes nothing', async () => {
  const bob = await phone('bob', { autoAnswer: false });
  phones.push(bob);
  const bobPort = bob.ua.transport.address('udp')!.port;
  const raw = await peer(bobPort);
  const base = { port: raw.port, bob: bobPort, callId: `cancel-${Date.now()}@raw` };
  // two calls with the same Call-ID, told apart by their From tags and branches
  const a = { ...base, fromTag: 'fa', branch: 'z9hG4bK-cancel-a' };
  const b = { ...base, fromTag: 'fb', branch: 'z9hG4bK-cancel-b' };
  const incoming: Call[] = [];
  bob.ua.on('incoming', (c: Call) => incoming.push(c));
  await raw.send(request('INVITE', a));
  await raw.send(request('INVITE', b));
  const ring = (x: { branch: string }) => (r: SipResponse) => r.status === 180 && r.topVia?.branch === x.branch;
  await raw.response(ring(a));
  await raw.response(ring(b));
  const [ca, cb] = [
    incoming.find((c) => c.invite.from?.tag === 'fa')!,
    incoming.find((c) => c.invite.from?.tag === 'fb')!,
  ];
  assert.ok(ca && cb, 'both INVITEs ring');

  // a CANCEL whose branch names no INVITE transaction: 481, nothing cancelled (§9.2)
  await raw.send(request('CANCEL', { ...a, branch: 'z9hG4bK-cancel-nobody' }));
  const unknown = await raw.response(
    (r) => r.cseq?.method === 'CANCEL' && r.topVia?.branch === 'z9hG4bK-cancel-nobody',
  );
  assert.equal(unknown.status, 481);
  assert.equal(ca.state, 'incoming');
  assert.equal(cb.state, 'incoming');

  // the CANCEL of call A: 200 to it, 487 to A's INVITE; call B, same Call-ID, keeps ringing
  const cancelled = once<[{ reason: string }]>(ca, 'terminated');
  await raw.send(request('CANCEL', a));
  const ok = await raw.response((r) => r.cseq?.method === 'CANCEL' && r.topVia?.branch === a.branch);
  assert.equal(ok.status, 200);
  const r487 = await raw.response((r) => r.status === 487 && r.topVia?.branch === a.branch);
  assert.equal((await cancelled)[0].reason, 'cancelled');
  assert.equal(cb.state, 'incoming', 'the other call with the same Call-ID is not cancelled');
  await raw.send(request('ACK', { ...a, toTag: r487.to!.tag! }));

  // a CANCEL after the final response: the transaction matches (200) but nothing more happens (§9.2)
  const before = raw.got.length;
  await raw.send(request('CANCEL', a));
  const again = await raw.response(
    (r) => r.cseq?.method === 'CANCEL' && r.topVia?.branch === a.branch && raw.got.indexOf(r) >= before,
  );
  assert.equal(again.status, 200);
  assert.equal(raw.got.filter((r) => r.status === 487).length, 1, 'no second 487');

  // call B answered: a CANCEL now does not end it (the 2xx was the final response)
  const answered = raw.response((r) => r.status === 200 && r.cseq?.method === 'INVITE');
  void cb.answer().catch(() => undefined);
  const r200 = await answered;
  await raw.send(request('ACK', { ...b, branch: 'z9hG4bK-cancel-b-ack', toTag: r200.to!.tag! }));
  await raw.send(request('CANCEL', b));
  const late = await raw.response((r) => r.cseq?.method === 'CANCEL' && r.topVia?.branch === b.branch);
  assert.ok(late.status === 200 || late.status === 481, `CANCEL after 2xx answered ${late.status}`);
  assert.equal(cb.state, 'established');
  assert.equal(raw.got.filter((r) => r.status === 487).length, 1, 'B got no 487');
  await cb.hangup();
  assert.equal(cb.state, 'terminated');
});
