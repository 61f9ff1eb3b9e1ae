/**
 * Shared bench plumbing: free loopback ports, SIPp runs with their counts, child processes that stop
 * when the bench stops, and the rate search that finds the highest call rate with 0 failed calls.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { lastSippStats } from '../test/helpers/sipp-stats.js';

import { freePort } from '../test/interop/ports.js';

export { freePort };

/**
 * Node flags for the servers a bench runs (Switchboard's phone and proxy, the npm `sip` UAS alike):
 * what bin/switchboard.js puts on its shebang line, which `node bin/switchboard.js` does not read.
 */
export const NODE_SERVER_FLAGS = ['--max-semi-space-size=64'];

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface SippRun {
  code: number | null;
  ms: number;
  successful: number;
  failed: number;
  retransmissions: number;
}

export interface UacOptions {
  /** SIPp's scenario: a built-in name (`-sn`) or an XML file (`-sf`). */
  scenario: { builtin: string } | { file: string };
  /** The user part of the Request-URI (`-s`). */
  service?: string;
  rate: number;
  calls: number;
  /** More SIPp arguments (e.g. `-d` to hold the calls). */
  extra?: string[];
  /** Calls at once (`-l`); default max(2000, rate). Holding N calls needs at least N. */
  limit?: number;
  onStart?: (child: ChildProcess, statFile: string) => void;
}

/**
 * SIPp as the UAC of a bench over UDP on loopback, from a free port, at `rate` calls/s for `calls`
 * calls (at most `limit`, default max(2000, rate), at once; 60 s per call, 90 s per run).
 */
export async function sippUac(port: number, o: UacOptions): Promise<SippRun> {
  const local = await freePort();
  const scenario = 'builtin' in o.scenario ? ['-sn', o.scenario.builtin] : ['-sf', o.scenario.file];
  return sipp(
    [
      '-p',
      String(local),
      ...scenario,
      `127.0.0.1:${port}`,
      ...(o.service ? ['-s', o.service] : []),
      '-i',
      '127.0.0.1',
      '-t',
      'u1',
      '-r',
      String(o.rate),
      '-m',
      String(o.calls),
      '-l',
      String(o.limit ?? Math.max(2000, o.rate)),
      '-timeout',
      '60',
      ...(o.extra ?? []),
    ],
    90_000,
    o.onStart,
  );
}

/** One SIPp run (bounded in time); the counts come from its -trace_stat file. */
export function sipp(
  args: string[],
  timeoutMs: number,
  onStart?: (child: ChildProcess, statFile: string) => void,
): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sipp-'));
  const stf = join(dir, 'stat.csv');
  const t0 = performance.now();
  return new Promise((resolve) => {
    // BENCH_DEBUG=1 keeps SIPp's error log (why calls failed) in its temporary folder
    const debug = process.env.BENCH_DEBUG ? ['-trace_err', '-error_file', join(dir, 'err.log')] : [];
    const p = spawn('sipp', [...args, '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', ...debug], {
      stdio: 'ignore',
      cwd: dir,
    });
    onStart?.(p, stf);
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      const ms = performance.now() - t0;
      const stats = readStats(stf);
      if (process.env.BENCH_DEBUG) console.error(`sipp ${args.join(' ')}: exit ${code}, files in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
      resolve({ code, ms, ...stats });
    });
  });
}

/** A running SIPp's counts so far, from its -trace_stat file (written every -fd seconds). */
export function sippProgress(file: string): { successful: number; failed: number; current: number } {
  const col = lastSippStats(file) ?? (() => 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), current: col('CurrentCall') };
}

function readStats(file: string): { successful: number; failed: number; retransmissions: number } {
  const col = lastSippStats(file) ?? (() => 0);
  return {
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    retransmissions: col('Retransmissions(C)'),
  };
}

/** A background process (a peer or the element under test) killed by PID at the end. */
export function startProcess(cmd: string, args: string[], opts: { ipc?: boolean } = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: opts.ipc ? ['ignore', 'ignore', 'inherit', 'ipc'] : 'ignore' });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  // a child spawned `detached` leads its own process group (Kamailio forks workers): signal the whole group,
  // so no worker outlives the run
  const group = isGroupLeader(child.pid);
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const t = setTimeout(() => signal('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
  // workers that ignored SIGTERM after their parent left
  if (group) signal('SIGKILL');
}

/** Whether pid leads its own process group (Linux /proc; false when unknown). */
function isGroupLeader(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command's closing parenthesis: state, ppid, pgrp
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return pgrp === pid;
  } catch {
    return false;
  }
}

/** Waits until something answers SIP OPTIONS over UDP at host:port (a started peer is ready). */
export async function waitForSip(port: number, timeoutMs = 10_000): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const lp = (s.address() as net.AddressInfo).port;
  const deadline = performance.now() + timeoutMs;
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      const got = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 200);
        s.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      const msg =
        `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bKping${i}\r\n` +
        `From: <sip:bench@127.0.0.1>;tag=b${i}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping${i}@bench\r\n` +
        `CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      s.send(msg, port, '127.0.0.1');
      if (await got) return;
    }
    throw new Error(`nothing answered SIP on udp 127.0.0.1:${port} within ${timeoutMs} ms`);
  } finally {
    s.close();
  }
}

export interface RatePoint {
  rate: number;
  cps: number;
  ok: boolean;
  failed: number;
}

/**
 * The highest rate at which a SIPp uac run completes with 0 failed calls (and reaches at least 90%
 * of the asked rate). Each rate gets one retry: one lost datagram on a shared machine is noise.
 * `run(rate, calls)` makes one SIPp run against the target.
 */
export async function maxRate(
  run: (rate: number, calls: number) => Promise<SippRun>,
  rates: number[],
  secondsPerRun = 3,
): Promise<{ best: RatePoint | undefined; points: RatePoint[] }> {
  const points: RatePoint[] = [];
  let best: RatePoint | undefined;
  for (const rate of rates) {
    const calls = Math.max(500, Math.round(rate * secondsPerRun));
    let point: RatePoint | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await run(rate, calls);
      const cps = (r.successful / r.ms) * 1000;
      // the run's wall time includes SIPp's start and the last calls' drain, hence 80% of the asked rate
      const ok = r.code === 0 && r.failed === 0 && r.successful === calls && cps >= rate * 0.8;
      point = { rate, cps, ok, failed: r.failed };
      if (point.ok) break;
    }
    points.push(point!);
    if (!point!.ok) break;
    best = point;
  }
  return { best, points };
}

export function ratio(a: number | undefined, b: number | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}x` : 'n/a';
}

/** Resident set size of a process, from /proc (Linux), in bytes. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Proportional set size of a process and all its descendants, in bytes (Linux smaps_rollup): shared
 * memory (Kamailio's shm, used by all its workers) is counted once, split between the processes.
 */
export function pssOfTree(pid: number): number {
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      total += m ? Number(m[1]) * 1024 : 0;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) todo.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}
