import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../interop/ports.js';

export const bin = fileURLToPath(new URL('../../../bin/switchboard.js', import.meta.url));

/** A running CLI process with its stdout split into lines (JSON-parsed when possible). */
export class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  /** Checks run on each stderr chunk; one returns true once it has resolved. */
  private stderrWaiters: (() => boolean)[] = [];
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
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.stderrWaiters = this.stderrWaiters.filter((w) => !w());
    });
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
  /** Wait until stderr (all of it so far) matches `re`. */
  async waitStderr(re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    await this.untilStderr((all) => re.test(all), `${re}`, ms);
    return this.stderr.match(re)!;
  }
  /** Wait until `ok` holds for stderr (all of it so far), e.g. a message in the proxy's wire log. */
  untilStderr(ok: (stderr: string) => boolean, what: string, ms = 10_000): Promise<void> {
    if (ok(this.stderr)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} on stderr within ${ms} ms:\n${this.stderr}`)), ms);
      this.stderrWaiters.push(() => {
        if (!ok(this.stderr)) return false;
        clearTimeout(t);
        resolve();
        return true;
      });
    });
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** Starts CLI processes that are killed after the test file (call once, at the top of the file). */
export function cliProcs(): (args: string[], env?: NodeJS.ProcessEnv) => Proc {
  const all: Proc[] = [];
  after(() => all.forEach((p) => p.kill()));
  return (args, env) => {
    const p = new Proc(args, env);
    all.push(p);
    return p;
  };
}

/**
 * `switchboard proxy` on a free port (or `port`) of 127.0.0.1 for domain example.com (unless
 * `--domain` is in `extra`); resolves once it listens.
 */
export async function startProxy(
  start: (args: string[]) => Proc,
  extra: string[] = [],
  opts: { protocol?: 'udp' | 'tcp'; port?: number } = {},
): Promise<{ proc: Proc; port: number }> {
  const port = opts.port ?? (await freePort());
  const protocol = opts.protocol ?? 'udp';
  const domain = extra.includes('--domain') ? [] : ['--domain', 'example.com'];
  const proc = start(['proxy', '--listen', `${protocol}:127.0.0.1:${port}`, ...domain, ...extra]);
  // a loaded machine can take more than a moment to start node
  await proc.waitStderr(new RegExp(`listening on ${protocol}:`), 20_000);
  return { proc, port };
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

/** A started `switchboard phone` and where it listens. */
export interface Phone {
  proc: Proc;
  /** Its contact URI, from the `ready` event. */
  contact: string;
  port: number;
}

/**
 * `switchboard phone --aor <aor> --listen udp:127.0.0.1:0 --json` (a bare name stands for
 * `sip:<name>@127.0.0.1`), with `--auto-answer` when given and `extra`; resolves once it is ready.
 */
export async function startPhone(
  start: (args: string[], env?: NodeJS.ProcessEnv) => Proc,
  aor: string,
  opts: { autoAnswer?: number; extra?: string[]; env?: NodeJS.ProcessEnv; readyMs?: number } = {},
): Promise<Phone> {
  const proc = start(
    [
      ...['phone', '--aor', aor.includes('@') ? aor : `sip:${aor}@127.0.0.1`, '--listen', 'udp:127.0.0.1:0'],
      ...(opts.autoAnswer !== undefined ? ['--auto-answer', String(opts.autoAnswer)] : []),
      '--json',
      ...(opts.extra ?? []),
    ],
    opts.env,
  );
  const ready = await proc.event('ready', undefined, opts.readyMs ?? 20_000);
  const contact = String(ready.contact);
  const port = Number(/:(\d+)(?:[;>]|$)/.exec(contact)?.[1]);
  if (!(port > 0)) throw new Error(`the phone's ready event names no port: ${JSON.stringify(ready)}`);
  return { proc, contact, port };
}
