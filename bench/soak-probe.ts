/**
 * What the soak reads from the elements it runs: memory and table sizes over the CLI's IPC stats
 * hook (src/cli/ipc-stats.ts), open file descriptors from /proc, and the verdicts over the samples.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IpcStats } from '../src/cli/ipc-stats.js';

const bin = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/** One element (`switchboard proxy` or `switchboard phone`) as a child with IPC and --expose-gc. */
export class Element {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';

  constructor(
    readonly name: string,
    args: string[],
  ) {
    // stdin stays open: the phone quits when its stdin ends
    this.child = fork(bin, args, { execArgv: ['--expose-gc'], stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-5000)));
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout = (this.stdout + d.toString()).slice(-5000)));
  }

  /** Resolves when `pattern` shows on stdout or stderr; rejects if the element exits first or in `ms`. */
  waitOutput(pattern: RegExp, ms = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(this.stdout) || pattern.test(this.stderr)) finish();
      };
      const onExit = (code: number | null) => fail(new Error(`${this.name} exited (${code}): ${this.stderr}`));
      const timer = setTimeout(() => fail(new Error(`${this.name}: no ${pattern} in ${ms} ms: ${this.stderr}`)), ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.stderr!.off('data', check);
        this.child.off('exit', onExit);
      };
      const finish = () => (cleanup(), resolve());
      const fail = (e: Error) => (cleanup(), reject(e));
      this.child.stdout!.on('data', check);
      this.child.stderr!.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** Heap after a full collection, RSS and table sizes, asked over IPC; plus open fds from /proc. */
  stats(ms = 20_000): Promise<IpcStats & { fds: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name}: no stats answer in ${ms} ms`));
      }, ms);
      const onMessage = (m: unknown) => {
        if ((m as { type?: string }).type !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve({ ...(m as IpcStats), fds: openFds(this.child.pid!) });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats' });
    });
  }
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  /** Calls SIPp counted as successful so far. */
  calls: number;
  failed: number;
  proxy: IpcStats & { fds: number };
  ua: IpcStats & { fds: number };
}

/** Least-squares slope of y over x (bytes per call when x is calls and y is heap bytes). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MB`;
