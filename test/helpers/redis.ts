import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import type { Redis } from 'ioredis';
import { createSharedRedis, type SharedRedisOptions } from '../../src/util/redis.js';
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
export async function startRedis(opts: { appendonly?: boolean; port?: number } = {}): Promise<RedisServer> {
  const bin = requireTool('redis-server', 'redis-server');
  const port = opts.port ?? (await freePort());
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

export interface RedisFixture {
  /** The server (after the file's `before` hook has run). */
  readonly server: RedisServer;
  /** A connected client (createSharedRedis) to `url` (default: the server), disconnected after the file. */
  client(opts?: SharedRedisOptions & { url?: string }): Promise<Redis>;
}

/**
 * One redis-server for a test file: started before its tests, stopped after them with every
 * client made by `client()`. Call once, at the top of the file.
 */
export function useRedis(opts: { appendonly?: boolean } = {}): RedisFixture {
  let server: RedisServer | undefined;
  const clients: Redis[] = [];
  before(async () => {
    server = await startRedis(opts);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });
  const fixture: RedisFixture = {
    get server() {
      if (!server) throw new Error('useRedis: the server starts in the before hook');
      return server;
    },
    async client(o = {}) {
      const { url, ...rest } = o;
      const c = createSharedRedis(url ?? fixture.server.url, { commandTimeout: 500, ...rest });
      clients.push(c);
      await c.connect();
      return c;
    },
  };
  return fixture;
}
