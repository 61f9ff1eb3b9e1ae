import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest, createVia, type SipMessage, type SipResponse } from '../../src/message/index.js';
import { cliProcs, startProxy, type Proc } from '../cli/helpers.js';
import { startRedis, useRedis } from '../helpers/redis.js';
import { Peer, rawResponse } from '../proxy/peer.js';
import { freePort } from './ports.js';

// appendonly: what Redis kept survives its restart on the same data directory
const redis = useRedis({ appendonly: true });
const cli = cliProcs();
const peers: Peer[] = [];
after(() => peers.forEach((p) => p.close()));

interface Running {
  proc: Proc;
  port: number;
  metricsPort: number;
}

/** `switchboard proxy --redis URL` (the fixture's server by default) once it listens. */
async function proxy(extra: string[] = [], url = redis.server.url, port?: number): Promise<Running> {
  const { proc, port: p } = await startProxy(cli, ['--redis', url, ...extra], port ? { port } : {});
  await proc.waitStderr(/sharing state in Redis/);
  const metricsPort = extra.includes('--metrics')
    ? Number((await proc.waitStderr(/metrics on http:\/\/[^:]+:(\d+)/))[1])
    : 0;
  return { proc, port: p, metricsPort };
}
async function udp(): Promise<Peer> {
  const p = await Peer.open();
  peers.push(p);
  return p;
}
async function metric(p: Running, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  return Number(text.match(re)?.[1] ?? NaN);
}

let seq = 1;
const isResponse =
  (callId: string, min = 200) =>
  (m: SipMessage) =>
    !m.isRequest && m.callId === callId && (m as SipResponse).status >= min;

function register(from: Peer, user: string, callId = `reg-${user}-${seq}`) {
  return createRequest({
    method: 'REGISTER',
    uri: 'sip:example.com',
    from: `sip:${user}@example.com`,
    to: `sip:${user}@example.com`,
    callId,
    cseq: seq++,
    via: createVia('UDP', '127.0.0.1', from.port),
    contact: `<sip:${user}@127.0.0.1:${from.port}>`,
    headers: [['Expires', '600']],
  });
}
function invite(from: Peer, callId: string) {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    from: 'sip:alice@example.org',
    to: 'sip:bob@example.com',
    callId,
    cseq: seq++,
    via: createVia('UDP', '127.0.0.1', from.port),
    contact: `<sip:alice@127.0.0.1:${from.port}>`,
  });
}
function options(from: Peer, port: number) {
  const callId = `opt-${seq}`;
  return {
    callId,
    req: createRequest({
      method: 'OPTIONS',
      uri: `sip:127.0.0.1:${port}`,
      from: 'sip:alice@example.org',
      to: `sip:127.0.0.1:${port}`,
      callId,
      cseq: seq++,
      via: createVia('UDP', '127.0.0.1', from.port),
    }),
  };
}
const final = async (p: Peer, what: string, callId: string) =>
  (await p.wait(isResponse(callId), 8000, what)) as SipResponse;

test('two proxies on one Redis: registered through A, called through B, survives SIGKILL of A and a Redis restart', async () => {
  const a = await proxy();
  const b = await proxy(['--metrics', '127.0.0.1:0']);
  const bob = await udp();
  const alice = await udp();
  bob.send(register(bob, 'bob', 'reg-bob'), a.port);
  assert.equal((await final(bob, '200 to REGISTER', 'reg-bob')).status, 200);

  const call = (label: string, via: Running) => {
    const callId = `call-${label}`;
    alice.send(invite(alice, callId), via.port);
    return callId;
  };
  const reached = (callId: string) => bob.wait((m) => m.isRequest && m.callId === callId, 8000, `INVITE ${callId}`);

  await reached(call('b1', b));
  a.proc.kill();
  await a.proc.exited;
  await reached(call('b2', b));

  await redis.server.kill();
  const res = await final(alice, '503 while Redis is down', call('down', b));
  assert.equal(res.status, 503, res.toString());
  assert.ok(Number(res.get('Retry-After')) > 0, 'Retry-After');
  assert.equal(b.proc.running, true, 'B still running');

  await redis.server.restart();
  // B reconnects by itself and says so; the binding came back from the append-only file
  await b.proc.waitStderr(/unreachable[\s\S]*Redis at \S+ ready/, 15_000);
  await reached(call('back', b));

  // metrics of B after that traffic
  const text = await (await fetch(`http://127.0.0.1:${b.metricsPort}/metrics`)).text();
  const value = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  assert.ok(value(/switchboard_proxy_requests_total\{method="INVITE"\} (\d+)/) >= 4, text);
  assert.ok(value(/switchboard_proxy_responses_total\{method="INVITE",class="5xx"\} (\d+)/) >= 1, text);
  assert.ok(value(/switchboard_proxy_processing_seconds_count\{method="INVITE"\} (\d+)/) >= 1, text);
  assert.match(text, /switchboard_proxy_transactions_in_progress \d+/);
  assert.match(text, /switchboard_proxy_registrations_in_progress 0/);
  assert.match(text, /switchboard_proxy_rate_limited_total 0/);
  assert.doesNotMatch(text, /rate_limit_fallback_total/, 'no shared rate limit configured');
});

test('Redis down at start: the proxy runs and answers 503; redis-server started on that port: REGISTER 200, a call, a challenge', async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'sb-users-'));
  writeFileSync(join(dir, 'users'), 'carol:secret\n');
  const open = await proxy([], url);
  const authd = await proxy(['--users', join(dir, 'users')], url);
  await open.proc.waitStderr(/Redis at \S+ unreachable/);
  const bob = await udp();
  const alice = await udp();
  const carol = await udp();
  bob.send(register(bob, 'bob', 'reg-down'), open.port);
  const down = await final(bob, 'answer to REGISTER while Redis is down', 'reg-down');
  assert.equal(down.status, 503, down.toString());
  assert.ok(Number(down.get('Retry-After')) > 0, 'Retry-After');
  carol.send(register(carol, 'carol', 'reg-carol-down'), authd.port);
  const noKey = await final(carol, 'answer to REGISTER without the nonce key', 'reg-carol-down');
  assert.equal(noKey.status, 503, 'no challenge without the shared nonce key');
  assert.ok(open.proc.running && authd.proc.running, 'both proxies still running');

  const server = await startRedis({ port });
  try {
    await open.proc.waitStderr(/Redis at \S+ ready/, 15_000);
    bob.send(register(bob, 'bob', 'reg-up'), open.port);
    assert.equal((await final(bob, '200 to REGISTER', 'reg-up')).status, 200);
    alice.send(invite(alice, 'call-up'), open.port);
    const inv = await bob.request('INVITE');
    bob.send(rawResponse(inv, 200), open.port);
    assert.equal((await final(alice, '200 to INVITE', 'call-up')).status, 200, 'the call goes through');

    await authd.proc.waitStderr(/digest nonce key shared through Redis/, 15_000);
    carol.send(register(carol, 'carol', 'reg-carol-up'), authd.port);
    const challenge = await final(carol, 'challenge', 'reg-carol-up');
    assert.equal(challenge.status, 401);
    assert.match(challenge.get('WWW-Authenticate') ?? '', /^Digest /);
  } finally {
    await server.stop();
  }
});

test('--rate-limit with --redis: one bucket per source for both proxies; Redis down: fail-open to per-proxy buckets, logged and counted', async () => {
  const server = await startRedis();
  try {
    const a = await proxy(['--rate-limit', '0.01/s,3', '--metrics', '127.0.0.1:0'], server.url);
    const b = await proxy(['--rate-limit', '0.01/s,3'], server.url);
    await a.proc.waitStderr(/Redis at \S+ ready/);
    await b.proc.waitStderr(/Redis at \S+ ready/);
    const src = await udp();
    const ask = async (via: Running) => {
      const { callId, req } = options(src, via.port);
      src.send(req, via.port);
      return (await final(src, 'answer to OPTIONS', callId)).status;
    };
    const shared: number[] = [];
    for (const via of [a, b, a, b, a]) shared.push(await ask(via));
    assert.deepEqual(shared, [200, 200, 200, 503, 503], 'a burst of 3 for the source across both proxies');

    await server.kill();
    await a.proc.waitStderr(/Redis at \S+ unreachable/);
    const local: number[] = [];
    for (let i = 0; i < 4; i++) local.push(await ask(a));
    assert.deepEqual(local, [200, 200, 200, 503], 'not refused for Redis being down; still limited per proxy');
    await a.proc.waitStderr(/rate limit: Redis unreachable.*fail-open/);
    assert.equal(await metric(a, /switchboard_proxy_rate_limit_fallback_total (\d+)/), 4);
    assert.equal(
      await metric(a, /switchboard_proxy_rate_limited_total (\d+)/),
      2,
      'one while shared (of 2), one local',
    );
    assert.ok(a.proc.running, 'A still running');
  } finally {
    await server.stop();
  }
});
