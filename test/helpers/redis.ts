import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';
import { freePort } from '../interop/ports.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** SIGKILL the server and wait for it to be gone (data kept in `dir` when appendonly). */
  kill(): Promise<void>;
  /** Start it again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Kill it and delete its data directory. */
  stop(): Promise<void>;
}

/**
 * A real redis-server (Debian package) on a free loopback port, in a fresh directory. Without
 * `appendonly` nothing is written to disk (`--save '' --appendonly no`). Fails loudly if the
 * tool is missing; resolves when the server logs that it accepts connections (no sleeps).
 */
export async function startRedis(opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const bin = requireTool('redis-server', 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ];
  let child: ChildProcess = await launch(bin, args);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child.pid!;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGKILL');
      await gone;
    },
    async restart() {
      await server.kill();
      child = await launch(bin, args);
    },
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function launch(bin: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 10 s: ${out.slice(-500)}`));
    }, 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready: ${out.slice(-500)}`));
    });
  });
}
