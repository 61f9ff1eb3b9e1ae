/**
 * A lossy network between two network namespaces, for tests that run elements on either side
 * (issue 16 item 5). Needs root (CI runs as root), `ip` (iproute2) and socat; both are installed
 * when missing, and the test fails loudly if they cannot be.
 *
 *   left (10.201.1.2) ─veth─ middle (10.201.1.1 | 10.201.2.1) ─veth─ right (10.201.2.2)
 *
 * netem is not available on this kernel (no sch_netem, no act_gact, no modules to load), so the
 * middle namespace impairs in user space on the real L3 path: policy routing sends every packet that
 * arrives on either veth into a TUN device; socat carries each packet to test/helpers/impair-relay.ts,
 * which drops it or holds it for delay ± jitter, and back into the TUN device, from where the kernel
 * forwards it to the other side. Addresses stay honest: each side sees the other's real address.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { requireTool } from './tools.js';

export interface Impairment {
  /** Share of packets dropped, in each direction, 0..1. */
  loss: number;
  /** One-way delay added to each packet that is not dropped, ms. */
  delayMs: number;
  /** The delay varies uniformly by ± this much, ms. */
  jitterMs: number;
  /** Seed of the relay's random choices (default: random, printed by the relay). */
  seed?: number;
}

export type Side = 'left' | 'right';
export const LEFT_IP = '10.201.1.2';
export const RIGHT_IP = '10.201.2.2';
const RELAY_PORT = 47_000;
const SOCAT_PORT = 47_001;
const relayScript = fileURLToPath(new URL('./impair-relay.js', import.meta.url));

/** Runs `ip` (or another tool) and throws with its stderr when it fails. */
function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Resolves with the first line of `stream` that `pred` accepts; rejects on exit or after `ms`. */
function firstLine(
  child: ChildProcess,
  stream: NodeJS.ReadableStream,
  pred: (l: string) => boolean,
  what: string,
  ms = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stream });
    const done = (e?: Error, line?: string) => {
      clearTimeout(timer);
      rl.close();
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(line!);
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited (${code}) before it was ready`));
    const timer = setTimeout(() => done(new Error(`${what}: not ready within ${ms} ms`)), ms);
    rl.on('line', (l) => (pred(l) ? done(undefined, l) : undefined));
    child.once('exit', onExit);
  });
}

export class LossyNetwork {
  private readonly procs: ChildProcess[] = [];
  private relay!: ChildProcess;
  private closed = false;

  private constructor(
    readonly names: { left: string; middle: string; right: string },
    readonly impairment: Impairment,
  ) {}

  /** Builds the three namespaces, the veths, the TUN detour and the relay; tear down with close(). */
  static async create(impairment: Impairment): Promise<LossyNetwork> {
    requireTool('ip', 'iproute2');
    requireTool('socat', 'socat');
    if (process.getuid?.() !== 0) throw new Error('the lossy-network test needs root (ip netns); CI runs as root');
    LossyNetwork.removeStale();
    // the pid keeps names apart from other test processes; namespaces are private, so addresses can repeat
    const id = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    const net = new LossyNetwork({ left: `sbl-${id}`, middle: `sbm-${id}`, right: `sbr-${id}` }, impairment);
    try {
      await net.build();
    } catch (e) {
      await net.close();
      throw e;
    }
    return net;
  }

  /** Namespaces of earlier runs whose process died without closing them. */
  private static removeStale(): void {
    const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of r.stdout.split('\n')) {
      const m = /^(sb[lmr]-(\d+)-\d+)/.exec(line);
      if (!m) continue;
      try {
        process.kill(Number(m[2]), 0);
      } catch {
        spawnSync('ip', ['netns', 'del', m[1]!]);
      }
    }
  }

  private async build(): Promise<void> {
    const { left, middle, right } = this.names;
    for (const ns of [left, middle, right]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', 'veth0', 'netns', left, 'type', 'veth', 'peer', 'name', 'toleft', 'netns', middle]);
    sh('ip', ['link', 'add', 'veth0', 'netns', right, 'type', 'veth', 'peer', 'name', 'toright', 'netns', middle]);
    const ends: [string, string, string, string][] = [
      [left, 'veth0', `${LEFT_IP}/24`, '10.201.1.1'],
      [right, 'veth0', `${RIGHT_IP}/24`, '10.201.2.1'],
    ];
    for (const [ns, dev, addr, gw] of ends) {
      sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', gw]);
    }
    sh('ip', ['-n', middle, 'addr', 'add', '10.201.1.1/24', 'dev', 'toleft']);
    sh('ip', ['-n', middle, 'addr', 'add', '10.201.2.1/24', 'dev', 'toright']);
    sh('ip', ['-n', middle, 'link', 'set', 'toleft', 'up']);
    sh('ip', ['-n', middle, 'link', 'set', 'toright', 'up']);
    // a packet re-enters from the TUN device with a source reached through a veth: no reverse-path check
    sh('ip', [
      'netns',
      'exec',
      middle,
      'sysctl',
      '-qw',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
    ]);
    sh('ip', ['-n', middle, 'tuntap', 'add', 'dev', 'impair0', 'mode', 'tun']);
    sh('ip', ['netns', 'exec', middle, 'sysctl', '-qw', 'net.ipv4.conf.impair0.rp_filter=0']);
    sh('ip', ['-n', middle, 'link', 'set', 'impair0', 'up']);
    // what arrives on a veth goes to the TUN device; what comes back out of it takes the main table
    sh('ip', ['-n', middle, 'route', 'add', 'default', 'dev', 'impair0', 'table', '100']);
    sh('ip', ['-n', middle, 'rule', 'add', 'iif', 'toleft', 'table', '100']);
    sh('ip', ['-n', middle, 'rule', 'add', 'iif', 'toright', 'table', '100']);

    const { loss, delayMs, jitterMs } = this.impairment;
    const seed = this.impairment.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.relay = this.spawnIn(middle, process.execPath, [
      relayScript,
      String(RELAY_PORT),
      String(loss),
      String(delayMs),
      String(jitterMs),
      String(seed),
    ]);
    const ready = await firstLine(this.relay, this.relay.stdout!, (l) => l.includes('"ready"'), 'impair-relay');
    process.stdout.write(`# lossy network: ${ready}\n`);
    const socat = this.spawnIn(middle, 'socat', [
      '-d',
      '-d',
      'TUN,tun-name=impair0,tun-type=tun,iff-no-pi',
      `UDP:127.0.0.1:${RELAY_PORT},sourceport=${SOCAT_PORT}`,
    ]);
    await firstLine(socat, socat.stderr!, (l) => l.includes('starting data transfer loop'), 'socat');
  }

  /** Starts `cmd` inside a namespace (`ip netns exec` execs it, so the pid is the command's own). */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.procs.push(child);
    return child;
  }

  /** The `ip netns exec` prefix for a side, for helpers that spawn on their own. */
  prefix(side: Side): string[] {
    return ['ip', 'netns', 'exec', this.names[side]];
  }

  /** Packets the relay saw, dropped and delivered so far. */
  async stats(): Promise<{ packets: number; dropped: number; delivered: number }> {
    const line = firstLine(this.relay, this.relay.stdout!, (l) => l.includes('"packets"'), 'impair-relay stats');
    this.relay.stdin!.write('stats\n');
    return JSON.parse(await line) as { packets: number; dropped: number; delivered: number };
  }

  /** Kills what runs in the namespaces (by pid) and deletes them; the veths and the TUN go with them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    for (const ns of Object.values(this.names)) spawnSync('ip', ['netns', 'del', ns]);
  }
}
