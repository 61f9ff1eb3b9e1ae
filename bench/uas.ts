/**
 * UAS throughput and memory (issue 16 §1): SIPp's uac drives, over UDP on loopback, in the same run,
 * - a Switchboard UserAgent answering at once (bench/uas-child.ts, its own process),
 * - a UAS written on npm `sip` (scripts/bench-sip-uas.mjs, its own process),
 * - SIPp's own uas.
 * For each: the highest rate with 0 failed calls, CPU per call at a common rate, and heap/RSS per held
 * call as the slope between two levels of held (answered, not yet ended) calls.
 *
 * Every rate and the CPU figure start a fresh UAS warmed up first by WARM_CALLS calls at WARM_RATE
 * (all three alike, as bench/proxy.ts does): a Node process compiles its hot path in its first
 * thousand calls, and a UAS in service is warm; without it each run's first second measured the JIT.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NODE_SERVER_FLAGS, freePort, maxRate, ratio, pssOfTree, sippUac, stopProcess, type RatePoint } from './lib.js';

type Kind = 'switchboard' | 'npm-sip' | 'sipp';
interface Started {
  child: ChildProcess;
  port: number;
}

const childScript: Record<Exclude<Kind, 'sipp'>, string> = {
  switchboard: fileURLToPath(new URL('./uas-child.js', import.meta.url)),
  'npm-sip': fileURLToPath(new URL('../../scripts/bench-sip-uas.mjs', import.meta.url)),
};

const WARM_RATE = 500;
const WARM_CALLS = 1000;

/** A fresh UAS after WARM_CALLS calls at WARM_RATE (see the header). */
async function startWarm(kind: Kind): Promise<Started> {
  const s = await start(kind);
  await uac(s.port, WARM_RATE, WARM_CALLS);
  return s;
}

async function start(kind: Kind): Promise<Started> {
  const port = await freePort();
  if (kind === 'sipp') {
    const child = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-t', 'u1', '-nostdin'], {
      stdio: 'ignore',
    });
    // SIPp has no readiness signal; it binds within a few ms of starting
    await new Promise((r) => setTimeout(r, 300));
    return { child, port };
  }
  // both Node UASes alike: --max-semi-space-size as bin/switchboard.js sets it for the CLI
  const child = fork(childScript[kind], [String(port)], {
    execArgv: ['--expose-gc', ...NODE_SERVER_FLAGS],
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${kind} UAS exited (${code}) before it was ready`)));
  });
  return { child, port };
}

function uac(
  port: number,
  rate: number,
  calls: number,
  extra: string[] = [],
  onStart?: (c: ChildProcess) => void,
  limit?: number,
) {
  return sippUac(port, {
    scenario: { builtin: 'uac' },
    rate,
    calls,
    extra,
    ...(onStart ? { onStart } : {}),
    ...(limit ? { limit } : {}),
  });
}

/** CPU time (user+system) of a process so far, in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Mem {
  heap: number | undefined;
  rss: number;
  /** Calls the UAS holds (its own count); undefined for SIPp. */
  held: number | undefined;
}

async function memOf(s: Started): Promise<Mem> {
  if (!s.child.send) return { heap: undefined, rss: pssOfTree(s.child.pid!), held: undefined };
  const reply = new Promise<{ mem: NodeJS.MemoryUsage; dialogs: number }>((r) => s.child.once('message', r as never));
  s.child.send({ type: 'mem' });
  const { mem, dialogs } = await reply;
  return { heap: mem.heapUsed, rss: mem.rss, held: dialogs };
}

/** How long after the calls are up memory is read (BENCH_HELD_SETTLE_MS; default 64*T1 + 1 s). */
const HELD_SETTLE_MS = Number(process.env.BENCH_HELD_SETTLE_MS ?? 33_000);

/** Heap and RSS per held call: two levels of held calls, each in a fresh process; the slope between them. */
async function heldCallMemory(kind: Kind, low = 1000, high = 3000): Promise<{ heap?: number; rss: number }> {
  const level = async (n: number): Promise<Mem> => {
    const s = await start(kind);
    // calls last 60 s (-d), so all n are held when we measure; 500/s sets them up in n/500 s
    let load: ChildProcess | undefined;
    const run = uac(s.port, 500, n, ['-d', '60000'], (c) => (load = c), n);
    await new Promise((r) => setTimeout(r, (n / 500) * 1000 + 2500));
    let m = await memOf(s);
    // a loaded machine sets the calls up slower than asked: wait (up to 20 s more) until all are held
    for (let i = 0; i < 20 && m.held !== undefined && m.held < n; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      m = await memOf(s);
    }
    // a held call is read once its setup is over: the INVITE transactions wait out 64*T1 (32 s,
    // RFC 6026 Timer L) in every UAS; the calls (-d 60 s) are still up
    if (HELD_SETTLE_MS > 0) {
      await new Promise((r) => setTimeout(r, HELD_SETTLE_MS));
      m = await memOf(s);
    }
    load?.kill('SIGKILL');
    await run;
    await stopProcess(s.child);
    return m;
  };
  const a = await level(low);
  const b = await level(high);
  // the slope over the calls actually held (the UAS's own count), not the number asked for
  const calls = a.held !== undefined && b.held !== undefined && b.held > a.held ? b.held - a.held : high - low;
  return {
    heap: a.heap !== undefined && b.heap !== undefined ? (b.heap - a.heap) / calls : undefined,
    rss: (b.rss - a.rss) / calls,
  };
}

export interface UasReport {
  rows: Record<Kind, { best: RatePoint | undefined; cpuPerCallMs: number; heapPerCall?: number; rssPerCall: number }>;
  text: string;
}

const RATES = process.env.BENCH_RATES
  ? process.env.BENCH_RATES.split(',').map(Number)
  : [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000];

export async function runUasBench(kinds: Kind[] = ['switchboard', 'npm-sip', 'sipp']): Promise<UasReport> {
  const rows = {} as UasReport['rows'];
  for (const kind of kinds) {
    const { best } = await maxRate(async (rate, calls) => {
      const s = await startWarm(kind);
      try {
        return await uac(s.port, rate, calls);
      } finally {
        await stopProcess(s.child);
      }
    }, RATES);
    // CPU per call at one common rate, well below every peer's limit
    const s = await startWarm(kind);
    const c0 = cpuMs(s.child.pid!);
    const calls = 3000;
    await uac(s.port, 1000, calls);
    const cpuPerCallMs = (cpuMs(s.child.pid!) - c0) / calls;
    await stopProcess(s.child);
    const mem = await heldCallMemory(kind);
    rows[kind] = { best, cpuPerCallMs, heapPerCall: mem.heap, rssPerCall: mem.rss };
  }
  const kb = (n: number | undefined) => (n === undefined ? '–' : `${(n / 1024).toFixed(1)} KB`);
  const name: Record<Kind, string> = {
    switchboard: 'Switchboard UA (auto-answer)',
    'npm-sip': 'UAS on npm sip',
    sipp: "SIPp's uas",
  };
  const lines = [
    'UAS — SIPp uac over UDP, INVITE/200/ACK/BYE/200; max rate with 0 failed calls; CPU at 1,000 calls/s;',
    `each after a warm-up of ${WARM_CALLS} calls at ${WARM_RATE}/s in a fresh process;`,
    `memory per held call = slope between 1,000 and 3,000 held calls, read ${HELD_SETTLE_MS / 1000} s after they are up (setup transactions over)`,
    `  ${'target'.padEnd(30)} ${'calls/s'.padStart(8)} ${'CPU/call'.padStart(10)} ${'heap/call'.padStart(10)} ${'RSS/call'.padStart(10)}`,
  ];
  for (const kind of kinds) {
    const r = rows[kind];
    lines.push(
      `  ${name[kind].padEnd(30)} ${(r.best ? r.best.cps.toFixed(0) : '0').padStart(8)} ${`${r.cpuPerCallMs.toFixed(3)} ms`.padStart(10)} ${kb(r.heapPerCall).padStart(10)} ${kb(r.rssPerCall).padStart(10)}`,
    );
  }
  const sb = rows.switchboard?.best?.cps;
  lines.push(
    `  Switchboard / npm sip: ${ratio(sb, rows['npm-sip']?.best?.cps)}   Switchboard / SIPp uas: ${ratio(sb, rows.sipp?.best?.cps)}`,
  );
  return { rows, text: lines.join('\n') };
}
