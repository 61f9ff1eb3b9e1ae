/**
 * The calling side (issue 16 §1, for applications that place calls: voice bots dialling out, load
 * generators): SIPp's uas answers, over UDP on loopback, in the same run,
 * - a Switchboard UserAgent dialling (bench/uac-child.ts, its own process),
 * - a UAC written on npm `sip` (scripts/bench-sip-uac.mjs, its own process).
 * For each: CPU per call dialled and hung up (20 calls at a time, after a warm-up), and heap/RSS per
 * held outgoing call as the slope between two levels of held calls, read once their setup is over.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_SERVER_FLAGS, freePort, ratio, stopProcess } from './lib.js';

type Kind = 'switchboard' | 'npm-sip';
const childScript: Record<Kind, string> = {
  switchboard: fileURLToPath(new URL('./uac-child.js', import.meta.url)),
  'npm-sip': fileURLToPath(new URL('../../scripts/bench-sip-uac.mjs', import.meta.url)),
};
/** How long after the calls are up memory is read (as bench/uas.ts: the setup's transactions are over). */
const SETTLE_MS = Number(process.env.BENCH_HELD_SETTLE_MS ?? 33_000);
const CYCLE_CALLS = 10_000;
/**
 * SIPp listens on a loopback address of its own: npm `sip` takes a Request-URI naming its own
 * address for itself (a flow token) and answers 404 without sending.
 */
const SIPP_HOST = '127.0.0.2';
const WARM_CALLS = 2000;

interface Started {
  child: ChildProcess;
  sipp: ChildProcess;
}

async function start(kind: Kind): Promise<Started> {
  const port = await freePort();
  const sipp = spawn('sipp', ['-sn', 'uas', '-i', SIPP_HOST, '-p', String(port), '-t', 'u1', '-nostdin'], {
    stdio: 'ignore',
  });
  // SIPp has no readiness signal; it binds within a few ms of starting
  await new Promise((r) => setTimeout(r, 300));
  const child = fork(childScript[kind], [`sip:uas@${SIPP_HOST}:${port}`, String(await freePort())], {
    execArgv: ['--expose-gc', ...NODE_SERVER_FLAGS],
    stdio: 'ignore',
  });
  await reply(child, 'ready', 10_000);
  return { child, sipp };
}

async function stop(s: Started): Promise<void> {
  await stopProcess(s.child);
  await stopProcess(s.sipp);
}

/** The child's next message of `type` (a 'failed' one, or none in time, rejects). */
function reply<T>(child: ChildProcess, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`no '${type}' from the UAC within ${ms} ms`)), ms);
    const on = (m: { type: string }) => {
      if (m.type === type) done(undefined, m as T);
      else if (m.type === 'failed') done(new Error('a call failed'));
    };
    const done = (e?: Error, v?: T) => {
      clearTimeout(t);
      child.off('message', on);
      if (e) reject(e);
      else resolve(v!);
    };
    child.on('message', on);
  });
}

async function cpuPerCall(kind: Kind): Promise<number> {
  const s = await start(kind);
  try {
    s.child.send({ type: 'cycle', n: WARM_CALLS });
    await reply(s.child, 'cycled', 120_000);
    s.child.send({ type: 'cycle', n: CYCLE_CALLS });
    const { cpuMs } = await reply<{ cpuMs: number }>(s.child, 'cycled', 300_000);
    return cpuMs / CYCLE_CALLS;
  } finally {
    await stop(s);
  }
}

async function heldMemory(kind: Kind, low = 1000, high = 3000): Promise<{ heap: number; rss: number }> {
  const level = async (n: number) => {
    const s = await start(kind);
    try {
      s.child.send({ type: 'hold', n });
      await reply(s.child, 'up', 120_000);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      s.child.send({ type: 'mem' });
      return await reply<{ mem: NodeJS.MemoryUsage; held: number }>(s.child, 'mem', 30_000);
    } finally {
      await stop(s);
    }
  };
  const a = await level(low);
  const b = await level(high);
  const calls = b.held > a.held ? b.held - a.held : high - low;
  return { heap: (b.mem.heapUsed - a.mem.heapUsed) / calls, rss: (b.mem.rss - a.mem.rss) / calls };
}

export interface UacReport {
  rows: Record<Kind, { cpuPerCallMs: number; heapPerCall: number; rssPerCall: number }>;
  text: string;
}

export async function runUacBench(kinds: Kind[] = ['switchboard', 'npm-sip']): Promise<UacReport> {
  const rows = {} as UacReport['rows'];
  for (const kind of kinds) {
    const cpuPerCallMs = await cpuPerCall(kind);
    const mem = await heldMemory(kind);
    rows[kind] = { cpuPerCallMs, heapPerCall: mem.heap, rssPerCall: mem.rss };
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const name: Record<Kind, string> = { switchboard: 'Switchboard UA (dialling)', 'npm-sip': 'UAC on npm sip' };
  const lines = [
    "UAC — calls dialled to SIPp's uas over UDP: CPU per call dialled and hung up (INVITE/200/ACK/BYE/200,",
    `20 at a time, ${CYCLE_CALLS} calls after ${WARM_CALLS} to warm up); memory per held outgoing call = slope`,
    `between 1,000 and 3,000 held calls, read ${SETTLE_MS / 1000} s after they are up`,
    `  ${'caller'.padEnd(28)} ${'CPU/call'.padStart(10)} ${'heap/call'.padStart(10)} ${'RSS/call'.padStart(10)}`,
  ];
  for (const kind of kinds) {
    const r = rows[kind];
    lines.push(
      `  ${name[kind].padEnd(28)} ${`${r.cpuPerCallMs.toFixed(3)} ms`.padStart(10)} ${kb(r.heapPerCall).padStart(10)} ${kb(r.rssPerCall).padStart(10)}`,
    );
  }
  const sb = rows.switchboard;
  const ns = rows['npm-sip'];
  if (sb && ns)
    lines.push(
      `  CPU per call, npm sip / Switchboard: ${ratio(ns.cpuPerCallMs, sb.cpuPerCallMs)}   heap per held call, Switchboard / npm sip: ${ratio(sb.heapPerCall, ns.heapPerCall)}`,
    );
  return { rows, text: lines.join('\n') };
}
