import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';

export interface BaresipEvent {
  event: true;
  type: string;
  class?: string;
  param?: string;
  peeruri?: string;
  id?: string;
  [k: string]: unknown;
}

/** Media set-up of a baresip instance (modules in Debian's baresip 1.0). */
export interface BaresipMediaOptions {
  /** `audio_source` value, default `ausine,440` (a 440 Hz sine). */
  audioSource?: string;
  /** Load `sndfile`: every call's decoded (received) and encoded (sent) audio is written to WAV here. */
  recordDir?: string;
  /** Load `srtp` (SDES); the account chooses it with `;mediaenc=srtp` or `;mediaenc=srtp-mand`. */
  srtp?: boolean;
  /** More config lines. */
  extraConfig?: string[];
}

/**
 * A headless baresip (Debian package baresip, installed when missing) driven over its ctrl_tcp
 * module: netstring-framed JSON commands and events, one long-lived control connection.
 */
export class Baresip {
  private child: ChildProcess | undefined;
  private sock: net.Socket | undefined;
  private dir: string;
  private buf = '';
  private seq = 0;
  readonly events: BaresipEvent[] = [];
  log = '';
  private pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  private logWaiters: (() => boolean)[] = [];
  private waiters: { pred: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }[] = [];

  constructor(
    readonly name: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
    readonly account: string,
    private readonly media: BaresipMediaOptions = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `baresip-${name}-`));
  }

  async start(): Promise<void> {
    const bin = requireTool('baresip', 'baresip');
    writeFileSync(
      join(this.dir, 'config'),
      [
        `sip_listen 127.0.0.1:${this.sipPort}`,
        'net_interface 127.0.0.1',
        `audio_source ${this.media.audioSource ?? 'ausine,440'}`,
        'ausrc_srate 48000',
        'ausrc_channels 2',
        'audio_player aubridge,nullplay',
        'audio_alert aubridge,nullalert',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module ausine.so',
        'module aubridge.so',
        // media modules load before the account module, which looks up mediaenc=srtp* when it loads
        ...(this.media.recordDir ? ['module sndfile.so', `snd_path ${this.media.recordDir}`] : []),
        ...(this.media.srtp ? ['module srtp.so'] : []),
        'module account.so',
        'module menu.so',
        'module ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${this.ctrlPort}`,
        ...(this.media.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dir, 'accounts'), this.account + '\n');
    this.child = spawn('timeout', ['120', bin, '-f', this.dir, '-v'], {
      env: { ...process.env, HOME: this.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onLog = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-50000);
      this.logWaiters = this.logWaiters.filter((w) => !w());
    };
    this.child.stdout!.on('data', onLog);
    this.child.stderr!.on('data', onLog);
    // baresip logs "baresip is ready." once every module has loaded, ctrl_tcp's listening socket included
    await this.waitLog(/baresip is ready\./, 10_000);
    this.sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(this.ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', (e) => reject(new Error(`baresip ${this.name}: control socket: ${e.message}\n${this.log}`)));
    });
    this.sock.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
  }

  /**
   * Resolves once the -v log line "... 200 OK ... [1 binding]" shows, baresip's sign of a registration
   * (see peers-howto).
   */
  registered(ms = 10_000): Promise<void> {
    return this.waitLog(/200 OK[^\n]*\[1 binding\]/, ms);
  }

  /** Resolves when the log (all of it so far) matches `re`; rejects when baresip exits first or after `ms`. */
  waitLog(re: RegExp, ms = 10_000): Promise<void> {
    if (re.test(this.log)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(t);
        this.child?.off('exit', onExit);
        reject(new Error(`baresip ${this.name}: ${why} before ${re}:\n${this.log}`));
      };
      const onExit = (code: number | null) => fail(`exited (${code})`);
      const t = setTimeout(() => fail(`${ms} ms passed`), ms);
      this.child?.once('exit', onExit);
      this.logWaiters.push(() => {
        if (!re.test(this.log)) return false;
        clearTimeout(t);
        this.child?.off('exit', onExit);
        resolve();
        return true;
      });
    });
  }

  private onData(s: string): void {
    this.buf += s;
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buf.slice(0, colon));
      if (this.buf.length < colon + 1 + len + 1) return;
      const json = this.buf.slice(colon + 1, colon + 1 + len);
      this.buf = this.buf.slice(colon + 1 + len + 1);
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (o.response) {
        const cb = this.pending.get(String(o.token));
        this.pending.delete(String(o.token));
        cb?.({ ok: !!o.ok, data: String(o.data ?? '') });
      } else if (o.event) {
        const e = o as BaresipEvent;
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
      }
    }
  }

  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.seq}`;
    const json = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip ${command} timed out`)), 5000);
      this.pending.set(token, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock!.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Wait for an event of `type` (events already received count). */
  waitEvent(type: string, ms = 10_000, pred: (e: BaresipEvent) => boolean = () => true): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type && pred(e));
    if (seen) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `baresip ${this.name}: no ${type} within ${ms} ms; events: ${this.events.map((e) => e.type).join(',')}\n${this.log.slice(-3000)}`,
            ),
          ),
        ms,
      );
      this.waiters.push({
        pred: (e) => e.type === type && pred(e),
        resolve: (e) => {
          clearTimeout(t);
          this.events.splice(this.events.indexOf(e), 1);
          resolve(e);
        },
      });
    });
  }

  /**
   * Wait until baresip's once-a-second status line (`[H:MM:SS] audio=TX/RX (bit/s)`) has advanced
   * by `seconds`, and give that last line: a clock, and baresip's own view of the bitrates.
   */
  waitStatusSeconds(seconds: number, ms = 15_000): Promise<string> {
    const last = (): { t: number; line: string } | undefined => {
      const all = [...this.log.matchAll(/\[(\d+):(\d\d):(\d\d)\] (audio=\d+\/\d+)/g)];
      const m = all.at(-1);
      return m ? { t: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]), line: m[4]! } : undefined;
    };
    const start = last()?.t ?? 0;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip ${this.name}: status did not advance ${seconds} s`)), ms);
      this.logWaiters.push(() => {
        const l = last();
        if (!l || l.t - start < seconds) return false;
        clearTimeout(t);
        resolve(l.line);
        return true;
      });
    });
  }

  async stop(): Promise<void> {
    this.sock?.destroy();
    if (this.child && this.child.exitCode === null) {
      const child = this.child;
      const exited = new Promise<boolean>((r) => {
        const t = setTimeout(() => r(false), 2000);
        child.once('exit', () => (clearTimeout(t), r(true)));
      });
      child.kill('SIGTERM');
      // `timeout` passes the SIGTERM on to baresip; SIGKILL only if it has not ended within 2 s
      if (!(await exited)) child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether TCP `port` on 127.0.0.1 can be listened on right now. */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.createServer();
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
  });
}

/**
 * A started baresip `name` on free ports (SIP, and SIP + 1, where it also opens TLS; control). Its
 * account line is `account(sipPort)`, by default a local one: no registration, manual answer, PCMU and
 * PCMA, followed by `accountParams` (e.g. `;mediaenc=srtp-mand`). The caller stops it.
 */
export async function startBaresip(
  name: string,
  opts: { account?: (sipPort: number) => string; accountParams?: string; media?: BaresipMediaOptions } = {},
): Promise<Baresip> {
  const { freePort } = await import('../interop/ports.js');
  let sip = await freePort();
  while (!(await tcpFree(sip + 1))) sip = await freePort();
  const account =
    opts.account?.(sip) ??
    `<sip:${name}@127.0.0.1:${sip};transport=udp>;regint=0;answermode=manual;audio_codecs=PCMU/8000/1,PCMA/8000/1${opts.accountParams ?? ''}`;
  const b = new Baresip(name, sip, await freePort(), account, opts.media);
  await b.start();
  return b;
}
