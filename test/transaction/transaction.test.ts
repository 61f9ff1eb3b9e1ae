import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/message/index.js';
import { TransactionLayer, buildAckForNonSuccess } from '../../src/transaction/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { FakeTransport, flush } from './fake-transport.js';

const udp = { protocol: 'udp' as const, host: '192.0.2.9', port: 5070 };
const tcp = { protocol: 'tcp' as const, host: '192.0.2.9', port: 5070 };

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = new TransactionLayer(transport, { clock });
  return { clock, transport, layer };
}

function request(method: string, withVia = false): SipRequest {
  return createRequest({
    method,
    uri: 'sip:bob@192.0.2.9:5070',
    from: '<sip:alice@atlanta.example.com>',
    to: '<sip:bob@biloxi.example.com>',
    route: ['<sip:proxy.example.com;lr>'],
    ...(withVia ? { via: createVia('UDP', '192.0.2.9', 5070) } : {}),
  });
}

/** The response to a sent request, as the peer would send it. */
function reply(sent: SipMessage, status: number, toTag = 'bob'): SipResponse {
  return createResponse(parseMessage(sent.toBuffer()) as SipRequest, status, { toTag });
}

const isMethod = (m: string) => (x: SipMessage) => x.isRequest && (x as SipRequest).method === m;

test('INVITE client over UDP: Timer A schedule 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B → 408 at 32 s', () => {
  const { clock, transport, layer } = setup();
  const got: number[] = [];
  layer.sendRequest(request('INVITE'), udp, { onResponse: (r) => got.push(r.status) });
  clock.advance(40_000);
  assert.deepEqual(transport.times(isMethod('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.deepEqual(got, [408]);
  assert.equal(layer.size, 0);
});

test('INVITE client: provisional stops retransmissions and Timer B; non-2xx is ACKed; Timer D 32 s', () => {
  const { clock, transport, layer } = setup();
  const got: number[] = [];
  const tx = layer.sendRequest(request('INVITE'), udp, { onResponse: (r) => got.push(r.status) });
  clock.advance(600);
  transport.inject(reply(transport.sent[0]!.message, 180));
  assert.equal(tx.state, 'proceeding');
  clock.advance(60_000);
  assert.equal(transport.times(isMethod('INVITE')).length, 2, 'no retransmission in Proceeding');
  assert.equal(tx.state, 'proceeding', 'Timer B does not run in Proceeding');
  const busy = reply(transport.sent[0]!.message, 486);
  transport.inject(busy);
  assert.equal(tx.state, 'completed');
  const ack = transport.sent.at(-1)!.message as SipRequest;
  assert.equal(ack.method, 'ACK');
  // §17.1.1.3: same R-URI, Call-ID, From, CSeq number, top Via and Route; To from the response
  const inv = transport.sent[0]!.message as SipRequest;
  assert.equal(ack.uri.toString(), inv.uri.toString());
  assert.equal(ack.callId, inv.callId);
  assert.equal(ack.from!.tag, inv.from!.tag);
  assert.deepEqual(ack.cseq, { seq: inv.cseq!.seq, method: 'ACK' });
  assert.equal(ack.topVia!.branch, inv.topVia!.branch);
  assert.equal(ack.via.length, 1);
  assert.equal(ack.to!.tag, 'bob');
  assert.deepEqual(ack.getAll('Route'), inv.getAll('Route'));
  // a retransmitted 486 gets the ACK again, and is not passed up
  transport.inject(busy);
  assert.equal(transport.sent.filter((s) => isMethod('ACK')(s.message)).length, 2);
  assert.deepEqual(got, [180, 486]);
  clock.advance(31_999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size, 0);
});

test('INVITE client RFC 6026 Accepted: 2xx retransmissions reach the TU until Timer M', () => {
  const { clock, transport, layer } = setup();
  const got: number[] = [];
  const tx = layer.sendRequest(request('INVITE'), udp, { onResponse: (r) => got.push(r.status) });
  const ok = reply(transport.sent[0]!.message, 200);
  transport.inject(ok);
  assert.equal(tx.state, 'accepted');
  transport.inject(ok);
  assert.deepEqual(got, [200, 200]);
  assert.equal(transport.times(isMethod('ACK')).length, 0, "the ACK for 2xx is the TU's job");
  clock.advance(32_000);
  assert.equal(tx.state, 'terminated');
  let stray = 0;
  layer.on('stray-response', () => stray++);
  transport.inject(ok);
  assert.equal(stray, 1);
});

test('INVITE client over TCP: no retransmission, Timer D = 0', () => {
  const { clock, transport, layer } = setup();
  const tx = layer.sendRequest(request('INVITE'), tcp, {});
  clock.advance(10_000);
  assert.equal(transport.times(isMethod('INVITE')).length, 1);
  transport.inject(reply(transport.sent[0]!.message, 404), 'tcp');
  assert.equal(tx.state, 'completed');
  clock.advance(0);
  assert.equal(tx.state, 'terminated');
});

test('non-INVITE client: Timer E 0.5, 1, 2, 4, 4, 4 … capped at T2; Timer F at 32 s', () => {
  const { clock, transport, layer } = setup();
  let timedOut = 0;
  layer.sendRequest(request('OPTIONS'), udp, { onTimeout: () => timedOut++ });
  clock.advance(33_000);
  assert.deepEqual(
    transport.times(isMethod('OPTIONS')),
    [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
  );
  assert.equal(timedOut, 1);
  assert.equal(layer.size, 0);
});

test('non-INVITE client: in Proceeding retransmits every T2; Timer K = T4 on UDP', () => {
  const { clock, transport, layer } = setup();
  const tx = layer.sendRequest(request('BYE'), udp, {});
  clock.advance(600); // sends at 0 and 500
  transport.inject(reply(transport.sent[0]!.message, 100));
  assert.equal(tx.state, 'proceeding');
  clock.advance(9000); // next E fires at 1500 (armed before), then every 4 s: 5500, 9500
  assert.deepEqual(transport.times(isMethod('BYE')), [0, 500, 1500, 5500, 9500]);
  transport.inject(reply(transport.sent[0]!.message, 200));
  assert.equal(tx.state, 'completed');
  clock.advance(4999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
});

test('transport errors reach the TU as 503 (or onTransportError)', async () => {
  const { transport, layer } = setup();
  transport.failSends = true;
  const got: number[] = [];
  layer.sendRequest(request('MESSAGE'), udp, { onResponse: (r) => got.push(r.status) });
  let err: Error | undefined;
  layer.sendRequest(request('OPTIONS'), udp, { onTransportError: (e) => (err = e) });
  await flush();
  assert.deepEqual(got, [503]);
  assert.match(err!.message, /unreachable/);
  assert.equal(layer.size, 0);
});

test('INVITE server: auto 100 Trying at 200 ms; not if the TU answered first', () => {
  const { clock, transport, layer } = setup();
  const txs: import('../../src/transaction/index.js').ServerTransaction[] = [];
  layer.on('request', (tx) => txs.push(tx));
  transport.inject(request('INVITE', true));
  clock.advance(199);
  assert.equal(transport.sent.length, 0);
  clock.advance(1);
  assert.equal((transport.sent[0]!.message as SipResponse).status, 100);
  assert.equal(transport.sent[0]!.target.port, 5070);
  transport.inject(request('INVITE', true));
  txs[1]!.respond(createResponse(txs[1]!.request, 180, { toTag: 't' }));
  clock.advance(1000);
  assert.deepEqual(
    transport.sent.slice(1).map((s) => (s.message as SipResponse).status),
    [180],
  );
});

test('INVITE server: Timer G 0.5, 1, 2, 4, 4 … until ACK; Timer I then; retransmitted INVITE gets the final again', () => {
  const { clock, transport, layer } = setup();
  let tx!: import('../../src/transaction/index.js').ServerTransaction;
  layer.on('request', (t) => (tx = t));
  const inv = request('INVITE', true);
  transport.inject(inv);
  tx.respond(createResponse(tx.request, 486, { toTag: 'b' }));
  clock.advance(12_000);
  const finals = () => transport.times((m) => !m.isRequest && (m as SipResponse).status === 486);
  assert.deepEqual(finals(), [0, 500, 1500, 3500, 7500, 11500]);
  transport.inject(inv); // request retransmission → final again
  assert.equal(finals().length, 7);
  const ack = buildAckForNonSuccess(
    parseMessage(inv.toBuffer()) as SipRequest,
    transport.sent[0]!.message as SipResponse,
  );
  transport.inject(ack);
  assert.equal(tx.state, 'confirmed');
  clock.advance(10_000);
  assert.equal(finals().length, 7, 'no more retransmissions after the ACK');
  assert.equal(tx.state, 'terminated'); // Timer I = T4
  assert.equal(layer.size, 0);
});

test('INVITE server: Timer H (no ACK) → terminated at 64*T1 and reported', () => {
  const { clock, transport, layer } = setup();
  let tx!: import('../../src/transaction/index.js').ServerTransaction;
  let failure = '';
  layer.on('request', (t) => (tx = t));
  layer.on('server-failure', (_t, why) => (failure = why));
  transport.inject(request('INVITE', true));
  tx.respond(createResponse(tx.request, 603, { toTag: 'b' }));
  clock.advance(31_999);
  assert.equal(tx.state, 'completed');
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
  assert.equal(failure, 'timeout');
});

test('INVITE server RFC 6026: 2xx → Accepted; ACK for 2xx goes to the TU; retransmitted INVITE absorbed; Timer L', () => {
  const { clock, transport, layer } = setup();
  let tx!: import('../../src/transaction/index.js').ServerTransaction;
  const acks: SipRequest[] = [];
  let requests = 0;
  layer.on('request', (t) => ((tx = t), requests++));
  layer.on('ack', (a) => acks.push(a));
  const inv = request('INVITE', true);
  transport.inject(inv);
  const ok = createResponse(tx.request, 200, { toTag: 'b' });
  tx.respond(ok);
  assert.equal(tx.state, 'accepted');
  transport.inject(inv);
  assert.equal(requests, 1);
  assert.equal(transport.sent.length, 1, 'the transaction does not retransmit 2xx itself');
  tx.respond(ok); // the TU's retransmission passes through
  assert.equal(transport.sent.length, 2);
  const ack = request('ACK', true);
  transport.inject(ack);
  assert.equal(acks.length, 1);
  clock.advance(32_000);
  assert.equal(tx.state, 'terminated');
});

test('non-INVITE server: retransmissions absorbed / answered; Timer J 32 s on UDP, 0 on TCP', () => {
  const { clock, transport, layer } = setup();
  const txs: import('../../src/transaction/index.js').ServerTransaction[] = [];
  layer.on('request', (t) => txs.push(t));
  const opt = request('OPTIONS', true);
  transport.inject(opt);
  transport.inject(opt); // Trying: absorbed, nothing to resend
  assert.equal(txs.length, 1);
  assert.equal(transport.sent.length, 0);
  txs[0]!.respond(createResponse(txs[0]!.request, 200));
  transport.inject(opt);
  assert.equal(transport.sent.length, 2, 'Completed: the final response is resent');
  clock.advance(31_999);
  assert.equal(txs[0]!.state, 'completed');
  clock.advance(1);
  assert.equal(txs[0]!.state, 'terminated');
  const opt2 = request('OPTIONS', true);
  transport.inject(opt2, 'tcp');
  txs[1]!.respond(createResponse(txs[1]!.request, 200));
  assert.equal(transport.sent.at(-1)!.connectionId, 'conn-1', 'responses go back on the same connection');
  clock.advance(0);
  assert.equal(txs[1]!.state, 'terminated');
  assert.equal(layer.size, 0);
});

test('CANCEL matches its INVITE server transaction (§9.2); RFC 2543 requests match without a cookie', () => {
  const { transport, layer } = setup();
  const txs: import('../../src/transaction/index.js').ServerTransaction[] = [];
  layer.on('request', (t) => txs.push(t));
  const inv = request('INVITE', true);
  transport.inject(inv);
  const cancel = parseMessage(inv.toBuffer()) as SipRequest;
  cancel.method = 'CANCEL';
  cancel.set('CSeq', `${inv.cseq!.seq} CANCEL`);
  transport.inject(cancel);
  assert.equal(txs.length, 2);
  assert.equal(txs[1]!.method, 'CANCEL');
  assert.equal(layer.findInviteFor(txs[1]!.request), txs[0]);
  // RFC 2543: no magic cookie
  const old = request('OPTIONS', true);
  old.set('Via', 'SIP/2.0/UDP 192.0.2.9:5070;branch=1234');
  transport.inject(old);
  transport.inject(old);
  assert.equal(txs.length, 3, 'the retransmission matched the RFC 2543 transaction');
});

test('response routing per RFC 3261 §18.2.2 / RFC 3581: received and rport', () => {
  const { transport, layer } = setup();
  let tx!: import('../../src/transaction/index.js').ServerTransaction;
  layer.on('request', (t) => (tx = t));
  const r = request('OPTIONS', true);
  r.set('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnat;rport');
  transport.inject(r, 'udp', { host: '203.0.113.7', port: 40000 });
  tx.respond(createResponse(tx.request, 200));
  assert.deepEqual(transport.sent[0]!.target, { protocol: 'udp', host: '203.0.113.7', port: 40000 });
});

test('waiting transactions let go of their parsed headers at the next inbound message, and still match and resend', () => {
  const { clock, transport, layer } = setup();
  let tx!: import('../../src/transaction/index.js').ServerTransaction;
  layer.on('request', (t) => (tx = t));
  // server side: a 486 puts the INVITE server transaction in Completed
  const inv = request('INVITE', true);
  transport.inject(inv);
  const via = tx.request.topVia;
  tx.respond(createResponse(tx.request, 486, { toTag: 't' }));
  assert.equal(tx.state, 'completed');
  assert.equal(tx.request.topVia, via, 'the TU still reads the parsed request right after answering');
  // the retransmitted INVITE is the next inbound message: slimmed first, then matched and answered again
  transport.inject(inv);
  assert.notEqual(tx.request.topVia, via, 'the parsed Via went');
  assert.equal(tx.request.topVia!.toString(), via!.toString(), 'and is derived again from the bytes');
  assert.equal(tx.request.callId, inv.callId);
  const finals = transport.sent.filter((s) => (s.message as SipResponse).status === 486);
  assert.equal(finals.length, 2);
  assert.deepEqual(finals[1]!.message.toBuffer(), finals[0]!.message.toBuffer());

  // client side: a 2xx puts the INVITE client transaction in Accepted; its retransmissions still reach the TU
  const got: number[] = [];
  // a request as a proxy forwards it: parsed from its bytes (an edited message keeps its headers)
  const fwd = parseMessage(request('INVITE', true).toBuffer()) as SipRequest;
  const ctx = layer.sendRequest(fwd, udp, { onResponse: (r) => got.push(r.status) });
  const ok = reply(transport.sent.at(-1)!.message, 200);
  transport.inject(ok);
  assert.equal(ctx.state, 'accepted');
  const reqVia = ctx.request.topVia;
  transport.inject(ok);
  assert.notEqual(ctx.request.topVia, reqVia, "the forwarded request's parsed Via went");
  assert.equal(ctx.request.topVia!.branch, ctx.branch);
  assert.deepEqual(got, [200, 200]);
  clock.advance(40_000);
  assert.equal(layer.size, 0);
});
