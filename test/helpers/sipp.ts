import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from './tools.js';
import { portBoundBy } from './bound.js';
import { waitUntil } from './wait.js';
import { lastSippStats } from './sipp-stats.js';

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From SIPp's -trace_stat CSV (cumulative columns), when it wrote one. */
  stats: { successful: number; failed: number; created: number; retransmissions: number } | undefined;
  /** SIPp's error log (unexpected messages, failed regexp checks), if any. */
  errors: string;
}

/** Our SIPp scenario files (the XML beside the interop tests, not the compiled output). */
export const scenarios = fileURLToPath(new URL('../../../test/interop/scenarios/', import.meta.url));

export interface SippArgs {
  /** A built-in scenario (`uac`, `uas`: `-sn`) or a file in test/interop/scenarios (`*.xml`: `-sf`). */
  scenario: string;
  /** Where a client scenario sends: our port on 127.0.0.1. */
  remote?: number;
  /** SIPp's own port (`-p`) on 127.0.0.1. */
  port: number;
  transport?: 'udp' | 'tcp';
  /** Calls to run (`-m`), default 1. */
  calls?: number;
  /** SIPp's global timeout in seconds (`-timeout`, a failure with `-timeout_error`), default 30. */
  timeoutS?: number;
  /** More arguments (`-r`, `-l`, `-key`, ...). */
  extra?: string[];
}

/**
 * The arguments of a SIPp run on loopback the way our tests use it: a client scenario reads at most one
 * message per loop (`-max_recv_loops 1`), so it sees our retransmissions in order.
 */
export function sippArgs(o: SippArgs): string[] {
  const scenario = o.scenario.endsWith('.xml') ? ['-sf', join(scenarios, o.scenario)] : ['-sn', o.scenario];
  return [
    ...scenario,
    ...(o.remote !== undefined ? [`127.0.0.1:${o.remote}`] : []),
    ...['-i', '127.0.0.1', '-p', String(o.port), '-t', o.transport === 'tcp' ? 't1' : 'u1'],
    ...['-m', String(o.calls ?? 1), '-timeout', String(o.timeoutS ?? 30), '-timeout_error'],
    ...(o.remote !== undefined ? ['-max_recv_loops', '1'] : []),
    ...(o.extra ?? []),
  ];
}

export interface SippOptions {
  timeoutMs?: number;
  onStart?: (pid: number) => void;
  /** A command SIPp runs through, e.g. `ip netns exec NS` (which execs SIPp in place, keeping the pid). */
  prefix?: string[];
}

/**
 * Run SIPp (Debian package sip-tester), installing it when missing; bounded by `timeoutMs`.
 * Stats come from `-trace_stat`; `-trace_err` collects the reasons of failed calls.
 */
export function runSipp(args: string[], opts: SippOptions = {}): Promise<SippResult> {
  return spawnSipp(args, opts).done;
}

/**
 * SIPp as a server (a uas scenario) on `port`: resolves once SIPp has bound that port, so a call sent
 * next meets it (SIPp logs nothing when it listens; /proc says when its socket exists). `done` is the
 * run's result. Fails loudly when SIPp exits first or has not bound the port within 10 s.
 */
export async function listeningSipp(
  args: string[],
  listen: { port: number; protocol?: 'udp' | 'tcp' },
  opts: SippOptions = {},
): Promise<{ pid: number; done: Promise<SippResult> }> {
  const run = spawnSipp(args, opts);
  let ended: string | undefined;
  run.done.then(
    (r) => (ended = `SIPp exited (${r.code}) before it listened: ${r.errors || r.stderr.slice(-1000)}`),
    (e: Error) => (ended = `SIPp did not run: ${e.message}`),
  );
  const protocol = listen.protocol ?? 'udp';
  await waitUntil(
    () => {
      if (ended) throw new Error(ended);
      return portBoundBy(run.pid, listen.port, protocol);
    },
    { what: `SIPp (pid ${run.pid}) bound to ${protocol} port ${listen.port}` },
  );
  return run;
}

function spawnSipp(args: string[], opts: SippOptions): { pid: number; done: Promise<SippResult> } {
  const sipp = requireTool('sipp', 'sip-tester');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stf = join(dir, 'stat.csv');
  const errf = join(dir, 'err.log');
  const full = [...args, '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', '-trace_err', '-error_file', errf];
  // a prefix such as `ip netns exec NS` execs SIPp in place, so the pid stays SIPp's
  const [cmd, ...pre] = opts.prefix?.length ? [...opts.prefix, sipp] : [sipp];
  const child = spawn(cmd!, [...pre, ...full], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) opts.onStart?.(child.pid);
  const done = new Promise<SippResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result: SippResult = {
        code,
        stdout,
        stderr,
        stats: readStats(stf),
        errors: existsSync(errf) ? readFileSync(errf, 'utf8').slice(-5000) : '',
      };
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
  return { pid: child.pid ?? -1, done };
}

function readStats(file: string): SippResult['stats'] {
  const col = lastSippStats(file);
  return (
    col && {
      successful: col('SuccessfulCall(C)'),
      failed: col('FailedCall(C)'),
      created: col('CallRate(C)') || col('TotalCallCreated'),
      retransmissions: col('Retransmissions(C)'),
    }
  );
}
