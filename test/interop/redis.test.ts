import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { createRequest, createVia, parseMessage, type SipMessage, type SipResponse } from '../../src/message/index.js';
import { bin } from '../cli/helpers.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { freePort } from './ports.js';

/** A `switchboard proxy` process; resolves once it listens (and its metrics server, if asked). */
class ProxyProc {
  readonly child: ChildProcess;
  stderr = '';
  readonly port: number;
  metricsPort = 0;
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  constructor(port: number, redisUrl: string, extra: string[] = []) {
    this.port = port;
    this.child = spawn(
      process.execPath,
      [bin, 'proxy', '--listen', `udp:127.0.0.1:${port}`, '--domain', 'example.com', '--redis', redisUrl, ...extra],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.waiters = this.waiters.filter((w) => {
        const m = this.stderr.match(w.re);
        if (m) w.resolve(m);
        return !m;
      });
    });
  }
  wait(re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const m = this.stderr.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`proxy: no ${re} in:\n${this.stderr}`)), ms);
      this.waiters.push({ re, resolve: (x) => (clearTimeout(t), resolve(x)) });
    });
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A UDP endpoint that records what it receives and waits for a message by predicate. */
class Udp {
  readonly sock = dgram.createSocket('udp4');
  private got: SipMessage[] = [];
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  async bind(): Promise<number> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.sock.on('message', (b) => {
      const m = parseMessage(b);
      this.got.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    return this.sock.address().port;
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(m: { toBuffer(): Buffer }, port: number): void {
    this.sock.send(m.toBuffer(), port, '127.0.0.1');
  }
  wait(what: string, pred: (m: SipMessage) => boolean, ms = 8000): Promise<SipMessage> {
    const seen = this.got.find(pred);
    if (seen) {
      this.got = this.got.filter((m) => m !== seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
}

let redis: RedisServer;
const procs: ProxyProc[] = [];
const socks: Udp[] = [];
before(async () => {
  // appendonly: what Redis kept survives its restart on the same data directory
  redis = await startRedis({ appendonly: true });
});
after(async () => {
  for (const p of procs) p.kill();
  for (const s of socks) s.sock.close();
  await redis.stop();
});

async function proxy(extra: string[] = []): Promise<ProxyProc> {
  const p = new ProxyProc(await freePort(), redis.url, extra);
  procs.push(p);
  await p.wait(/sharing state in Redis/);
  await p.wait(/listening on udp/);
  if (extra.includes('--metrics')) p.metricsPort = Number((await p.wait(/metrics on http:\/\/[^:]+:(\d+)/))[1]);
  return p;
}
async function udp(): Promise<Udp> {
  const u = new Udp();
  socks.push(u);
  await u.bind();
  return u;
}

let seq = 1;
const isResponse =
  (callId: string, min = 200) =>
  (m: SipMessage) =>
    !m.isRequest && m.callId === callId && (m as SipResponse).status >= min;

test('two proxies on one Redis: registered through A, called through B, survives SIGKILL of A and a Redis restart', async () => {
  const a = await proxy();
  const b = await proxy(['--metrics', '127.0.0.1:0']);
  const bob = await udp();
  const alice = await udp();
  const reg = createRequest({
    method: 'REGISTER',
    uri: 'sip:example.com',
    from: 'sip:bob@example.com',
    to: 'sip:bob@example.com',
    callId: 'reg-bob',
    cseq: seq++,
    via: createVia('UDP', '127.0.0.1', bob.port),
    contact: `<sip:bob@127.0.0.1:${bob.port}>`,
    headers: [['Expires', '600']],
  });
  bob.send(reg, a.port);
  assert.equal(((await bob.wait('200 to REGISTER', isResponse('reg-bob'))) as SipResponse).status, 200);

  const call = async (label: string, via: ProxyProc) => {
    const callId = `call-${label}`;
    const inv = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@example.com',
      from: 'sip:alice@example.org',
      to: 'sip:bob@example.com',
      callId,
      cseq: seq++,
      via: createVia('UDP', '127.0.0.1', alice.port),
      contact: `<sip:alice@127.0.0.1:${alice.port}>`,
    });
    alice.send(inv, via.port);
    return callId;
  };
  const reached = (callId: string) => bob.wait(`INVITE ${callId} at bob`, (m) => m.isRequest && m.callId === callId);

  await reached(await call('b1', b));
  a.kill();
  await new Promise((r) => a.child.once('exit', r));
  await reached(await call('b2', b));

  await redis.kill();
  const down = await call('down', b);
  const res = (await alice.wait('503 while Redis is down', isResponse(down))) as SipResponse;
  assert.equal(res.status, 503, res.toString());
  assert.ok(Number(res.get('Retry-After')) > 0, 'Retry-After');
  assert.equal(b.child.exitCode, null, 'B still running');

  await redis.restart();
  // B reconnects by itself; the binding came back from the append-only file
  let ok = false;
  for (let i = 0; i < 6 && !ok; i++) {
    // as a UA would: a 503 is retried after its Retry-After (here capped at 1 s) while B reconnects
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    const id = await call(`back${i}`, b);
    const m = await Promise.race([
      reached(id).then(
        () => 'reached',
        () => 'timeout',
      ),
      alice.wait(`answer to ${id}`, isResponse(id, 300)).then(
        (r) => String((r as SipResponse).status),
        () => 'timeout',
      ),
    ]);
    ok = m === 'reached';
  }
  assert.ok(ok, 'service resumed with the registration Redis kept');

  // metrics of B after that traffic
  const text = await (await fetch(`http://127.0.0.1:${b.metricsPort}/metrics`)).text();
  const value = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  assert.ok(value(/switchboard_proxy_requests_total\{method="INVITE"\} (\d+)/) >= 4, text);
  assert.ok(value(/switchboard_proxy_responses_total\{method="INVITE",class="5xx"\} (\d+)/) >= 1, text);
  assert.ok(value(/switchboard_proxy_processing_seconds_count\{method="INVITE"\} (\d+)/) >= 1, text);
  assert.match(text, /switchboard_proxy_transactions_in_progress \d+/);
  assert.match(text, /switchboard_proxy_registrations_in_progress 0/);
  assert.match(text, /switchboard_proxy_rate_limited_total 0/);
});
