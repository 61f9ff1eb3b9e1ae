import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../../bin/switchboard.js', import.meta.url));

/** A running CLI process with its stdout split into lines (JSON-parsed when possible). */
export class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  readonly exited: Promise<number | null>;

  /** `prefix` runs it through another command, e.g. `ip netns exec NS` (which execs, keeping the pid). */
  constructor(args: string[], env?: NodeJS.ProcessEnv, prefix: string[] = []) {
    const [cmd, ...pre] = prefix.length ? prefix : [process.execPath];
    this.child = spawn(cmd!, [...pre, ...(prefix.length ? [process.execPath] : []), bin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    let buf = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }
  send(line: string): void {
    this.child.stdin.write(line + '\n');
  }
  /** Wait for a line matching `pred` (already seen lines count). */
  waitFor(pred: (l: string) => boolean, ms = 10_000): Promise<string> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timeout waiting; got:\n${this.lines.join('\n')}\n${this.stderr}`)),
        ms,
      );
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }
  event(
    name: string,
    extra: (o: Record<string, unknown>) => boolean = () => true,
    ms?: number,
  ): Promise<Record<string, unknown>> {
    return this.waitFor((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return o.event === name && extra(o);
      } catch {
        return false;
      }
    }, ms).then((l) => JSON.parse(l) as Record<string, unknown>);
  }
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}
