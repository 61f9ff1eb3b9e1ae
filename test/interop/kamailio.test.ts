/**
 * Switchboard phones behind a reference proxy nobody here wrote: kamailio 5.6 as registrar and
 * record-routing proxy. Register, call, hold/resume, blind transfer; in-dialog requests follow
 * kamailio's Record-Route.
 */
import { EventEmitter } from 'node:events';
import { waitUntil, within } from '../helpers/wait.js';
import { portBoundBy } from '../helpers/bound.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../helpers/tools.js';
import { freePort } from './ports.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, parseUri, type SipRequest } from '../../src/message/index.js';
import type { WireEvent } from '../../src/transport/index.js';

const cfg = fileURLToPath(new URL('../../../test/interop/kamailio/kamailio.cfg', import.meta.url));
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function kamailio(): Promise<number> {
  const bin = requireTool('kamailio', 'kamailio');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const pidfile = join(dir, 'kamailio.pid');
  // -DD: no daemon, children still forked; bounded by timeout; ended by our own PID file
  const child = spawn(
    'timeout',
    ['120', bin, '-f', cfg, '-DD', '-E', '-P', pidfile, '-Y', dir, '--substdef', `/KPORT/${port}/`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20000)));
  cleanup.push(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  // ready when the main process (its PID file) holds the bound UDP socket; the workers it forks
  // inherit that socket, and datagrams wait in its buffer until one reads
  const mainPid = (): number => (existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').trim()) : 0);
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode})`);
      return mainPid() > 0 && portBoundBy(mainPid(), port, 'udp');
    },
    { timeoutMs: 10_000, what: `kamailio bound to udp port ${port}` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${log}`);
  });
  return port;
}

interface KPhone {
  ua: UserAgent;
  wire: WireEvent[];
  /** Emits 'in' with each message received, once the stack has handled it. */
  arrivals: EventEmitter;
}

/** Resolves once an ACK has reached `p` (one already received counts). */
function acked(p: KPhone): Promise<void> {
  const isAck = (b: Uint8Array) => {
    const m = parseMessage(b);
    return m.isRequest && (m as SipRequest).method === 'ACK';
  };
  if (p.wire.some((w) => w.direction === 'in' && isAck(w.bytes))) return Promise.resolve();
  return new Promise((r) => {
    const on = (b: Uint8Array) => {
      if (!isAck(b)) return;
      p.arrivals.off('in', on);
      r();
    };
    p.arrivals.on('in', on);
  });
}

async function phone(name: string, kport: number): Promise<KPhone> {
  const wire: WireEvent[] = [];
  const arrivals = new EventEmitter();
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    registrar: `sip:127.0.0.1:${kport}`,
    outboundProxy: `sip:127.0.0.1:${kport};lr`,
    autoAnswer: 0,
    tap: (e) => {
      wire.push(e);
      // the tap runs before the stack handles the message
      if (e.direction === 'in') setImmediate(() => arrivals.emit('in', e.bytes));
    },
  });
  await ua.start();
  cleanup.push(() => ua.stop());
  assert.equal(await ua.register(300), 200, `${name} registered with kamailio`);
  return { ua, wire, arrivals };
}

test('kamailio: register, call, hold/resume and blind transfer through a reference proxy', async () => {
  const kport = await kamailio();
  const alice = await phone('alice', kport);
  const bob = await phone('bob', kport);
  const carol = await phone('carol', kport);
  const inc = new Promise<Call>((r) => bob.ua.once('incoming', r));
  const ab = alice.ua.dial(`sip:bob@127.0.0.1:${kport}`);
  const ba = await inc;
  await new Promise<void>((r) => (ab.state === 'established' ? r() : ab.once('established', () => r())));
  // Bob has the ACK of his 2xx before he re-INVITEs (a re-INVITE before it would get 500, RFC 3261 §14.2)
  await within(acked(bob), 8000, 'the ACK at Bob');
  assert.ok(ab.dialog!.routeSet.length >= 1, 'kamailio record-routed the dialog');
  assert.equal((await ba.hold()).localHold, true);
  assert.equal(ab.remoteHold, true);
  assert.equal((await ba.resume()).localHold, false);
  const carolInc = new Promise<Call>((r) => carol.ua.once('incoming', r));
  const done = new Promise<void>((r) => ab.once('transferred', () => r()));
  await ab.transfer(parseUri(`sip:carol@127.0.0.1:${kport}`));
  const cb = await carolInc;
  await done;
  await new Promise<void>((r) => (cb.state === 'established' ? r() : cb.once('established', () => r())));
  assert.match(cb.referredBy ?? '', /alice/);
  // every request from bob (re-INVITEs, NOTIFYs, the new INVITE) went to kamailio
  const fromBob = bob.wire
    .filter((w) => w.direction === 'out')
    .map((w) => ({ w, m: parseMessage(w.bytes) }))
    .filter((x) => x.m.isRequest);
  assert.ok(fromBob.length >= 5);
  for (const x of fromBob) assert.equal(x.w.remote.port, kport, `${(x.m as SipRequest).method} went through kamailio`);
  const ended = new Promise((r) => cb.once('terminated', r));
  void cb.hangup();
  await within(ended, 8000, "Carol's BYE answered");
});
