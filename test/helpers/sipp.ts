import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From SIPp's -trace_stat CSV (cumulative columns), when it wrote one. */
  stats: { successful: number; failed: number; created: number; retransmissions: number } | undefined;
  /** SIPp's error log (unexpected messages, failed regexp checks), if any. */
  errors: string;
}

/**
 * Run SIPp (Debian package sip-tester), installing it when missing; bounded by `timeoutMs`.
 * Stats come from `-trace_stat`; `-trace_err` collects the reasons of failed calls.
 */
export async function runSipp(
  args: string[],
  opts: { timeoutMs?: number; onStart?: (pid: number) => void; prefix?: string[] } = {},
): Promise<SippResult> {
  const sipp = requireTool('sipp', 'sip-tester');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stf = join(dir, 'stat.csv');
  const errf = join(dir, 'err.log');
  const full = [...args, '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', '-trace_err', '-error_file', errf];
  return new Promise((resolve, reject) => {
    // a prefix such as `ip netns exec NS` execs SIPp in place, so the pid stays SIPp's
    const [cmd, ...pre] = opts.prefix?.length ? [...opts.prefix, sipp] : [sipp];
    const child = spawn(cmd!, [...pre, ...full], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) opts.onStart?.(child.pid);
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
}

function readStats(file: string): SippResult['stats'] {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string) => {
    const i = head.indexOf(name);
    return i < 0 ? 0 : Number(last[i]) || 0;
  };
  return {
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    created: col('CallRate(C)') || col('TotalCallCreated'),
    retransmissions: col('Retransmissions(C)'),
  };
}
