/**
 * Proxy throughput (issue 15 §6): SIPp uac → proxy (record-routing, location lookup) → SIPp uas, over
 * UDP on loopback, first through `switchboard proxy --record-route`, then through Kamailio (tm, rr, sl,
 * maxfwd, usrloc/registrar; one UDP worker; a config written here), in the same run. Prints the calls/s
 * each sustains with 0 failed calls, their ratio, the CPU time each spends per call at a fixed rate (the
 * figure that survives a loaded machine), and the proxy's memory (PSS of the process tree) per concurrent dialog.
 *
 * Every rate starts a fresh proxy, warmed up first by WARM_CALLS calls at WARM_RATE (both proxies
 * alike): a Node process compiles its hot path in its first few hundred calls, and a proxy in
 * service is warm; without this the first second of each run measured the JIT, not the proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dgram from 'node:dgram';
import {
  NODE_SERVER_FLAGS,
  freePort,
  maxRate,
  ratio,
  pssOfTree,
  sippUac,
  stopProcess,
  waitForSip,
  type RatePoint,
} from './lib.js';

export type Kind = 'switchboard' | 'kamailio';
const scenarios = fileURLToPath(new URL('../../bench/scenarios/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

const KAMAILIO_CFG = `#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:KPORT
alias="127.0.0.1:KPORT"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("usrloc", "db_mode", 0)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
  if (is_method("INVITE")) { record_route(); }
  if (is_method("REGISTER")) { save("location"); exit; }
  if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
  t_relay();
}
`;

interface Proxy {
  child: ChildProcess;
  port: number;
  cleanup: () => void;
}

async function startProxy(kind: Kind): Promise<Proxy> {
  const port = await freePort();
  if (kind === 'switchboard') {
    // BENCH_PROXY_NODE_ARGS: node flags for the proxy (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
    const nodeArgs = process.env.BENCH_PROXY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(
      process.execPath,
      [
        ...NODE_SERVER_FLAGS,
        ...nodeArgs,
        bin,
        'proxy',
        '--listen',
        `udp:127.0.0.1:${port}`,
        '--domain',
        '127.0.0.1',
        '--record-route',
      ],
      { stdio: 'ignore' },
    );
    await waitForSip(port, 30_000);
    return { child, port, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-kamailio-'));
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, KAMAILIO_CFG.replaceAll('KPORT', String(port)));
  const child = spawn('kamailio', ['-f', cfg, '-DD', '-E', '-m', '256', '-P', join(dir, 'pid')], {
    stdio: 'ignore',
    detached: true, // its own process group, so stopProcess ends every worker it forks
  });
  await waitForSip(port, 30_000);
  return { child, port, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** REGISTERs bob at the proxy with the uas's address as Contact; resolves on the 200. */
async function registerBob(proxyPort: number, uasPort: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const lp = s.address().port;
  try {
    const ok = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`REGISTER at 127.0.0.1:${proxyPort}: no 200`)), 5000);
      s.on('message', (m) => {
        if (/^SIP\/2\.0 200/.test(m.toString())) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    s.send(
      `REGISTER sip:127.0.0.1:${proxyPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bKbenchreg\r\n` +
        `From: <sip:bob@127.0.0.1>;tag=breg\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: benchreg@127.0.0.1\r\n` +
        `CSeq: 1 REGISTER\r\nContact: <sip:bob@127.0.0.1:${uasPort}>\r\nExpires: 3600\r\nMax-Forwards: 70\r\n` +
        `Content-Length: 0\r\n\r\n`,
      proxyPort,
      '127.0.0.1',
    );
    await ok;
  } finally {
    s.close();
  }
}

export interface Setup {
  proxy: Proxy;
  uas: ChildProcess;
}

export async function setup(kind: Kind): Promise<Setup> {
  const proxy = await startProxy(kind);
  const uasPort = await freePort();
  const uas = spawn(
    'sipp',
    ['-sf', join(scenarios, 'uas-rr.xml'), '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-nostdin'],
    { stdio: 'ignore' },
  );
  await registerBob(proxy.port, uasPort);
  return { proxy, uas };
}

export async function teardown(s: Setup): Promise<void> {
  await stopProcess(s.uas);
  await stopProcess(s.proxy.child);
  s.proxy.cleanup();
}

export function uac(
  proxyPort: number,
  rate: number,
  calls: number,
  extra: string[] = [],
  onStart?: (c: ChildProcess, statFile: string) => void,
  limit?: number,
) {
  const file = join(scenarios, 'uac-rr.xml');
  return sippUac(proxyPort, {
    scenario: { file },
    service: 'bob',
    rate,
    calls,
    extra,
    ...(onStart ? { onStart } : {}),
    ...(limit ? { limit } : {}),
  });
}

/** memory (PSS of the process tree) per concurrent dialog: the slope between two levels of held calls through the proxy. */
export async function rssPerDialog(kind: Kind, low = 1000, high = 3000): Promise<number> {
  const level = async (n: number) => {
    const s = await setup(kind);
    let load: ChildProcess | undefined;
    // limit n: SIPp's default cap (2,000 at once) would hold only 2,000 of the 3,000 calls
    const run = uac(s.proxy.port, 500, n, ['-d', '60000'], (c) => (load = c), n);
    await new Promise((r) => setTimeout(r, (n / 500) * 1000 + 2500));
    const rss = pssOfTree(s.proxy.child.pid!);
    load?.kill('SIGKILL');
    await run;
    await teardown(s);
    return rss;
  };
  const a = await level(low);
  const b = await level(high);
  return (b - a) / (high - low);
}

/** CPU time (user+system) of a process and its descendants so far, in ms, from /proc (Linux). */
function cpuOfTree(pid: number): number {
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (100 per second)
      total += (Number(fields[11]) + Number(fields[12])) * 10;
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

const WARM_RATE = 200;
const WARM_CALLS = 600;

/** A fresh proxy with bob registered, after WARM_CALLS calls (see the header). */
async function warmSetup(kind: Kind): Promise<Setup> {
  const s = await setup(kind);
  await uac(s.proxy.port, WARM_RATE, WARM_CALLS);
  return s;
}

/** CPU ms the proxy (its whole process tree) spends per successful call at a fixed rate, after the warm-up. */
export async function cpuPerCall(kind: Kind, rate = 300, calls = 3000): Promise<number> {
  const s = await warmSetup(kind);
  try {
    const c0 = cpuOfTree(s.proxy.child.pid!);
    const r = await uac(s.proxy.port, rate, calls);
    return r.successful ? (cpuOfTree(s.proxy.child.pid!) - c0) / r.successful : 0;
  } finally {
    await teardown(s);
  }
}

export interface ProxyReport {
  rows: Record<Kind, { best: RatePoint | undefined; rssPerDialog: number; cpuPerCallMs: number }>;
  text: string;
}

const RATES = process.env.BENCH_RATES
  ? process.env.BENCH_RATES.split(',').map(Number)
  : [250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 3500, 4000];

export async function runProxyBench(kinds: Kind[] = ['switchboard', 'kamailio']): Promise<ProxyReport> {
  const rows = {} as ProxyReport['rows'];
  for (const kind of kinds) {
    const { best } = await maxRate(async (rate, calls) => {
      const s = await warmSetup(kind);
      try {
        return await uac(s.proxy.port, rate, calls);
      } finally {
        await teardown(s);
      }
    }, RATES);
    rows[kind] = { best, rssPerDialog: await rssPerDialog(kind), cpuPerCallMs: await cpuPerCall(kind) };
  }
  const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
  const cpu = (k: Kind) => `${(rows[k]?.cpuPerCallMs ?? 0).toFixed(3)} ms CPU/call`;
  const lines = [
    'Proxy — SIPp uac → proxy (Record-Route, location lookup) → SIPp uas, UDP; max rate with 0 failed calls',
    `(fresh proxy per rate, warmed up by ${WARM_CALLS} calls at ${WARM_RATE}/s); CPU of the proxy's processes per call at 300 calls/s;`,
    'memory (PSS of the process tree) per concurrent dialog = slope between 1,000 and 3,000 held calls',
    `  switchboard proxy --record-route: ${(rows.switchboard?.best?.cps ?? 0).toFixed(0)} calls/s, ${cpu('switchboard')}, ${kb(rows.switchboard?.rssPerDialog ?? 0)}/dialog`,
    `  kamailio (tm+rr+sl+maxfwd, 1 worker): ${(rows.kamailio?.best?.cps ?? 0).toFixed(0)} calls/s, ${cpu('kamailio')}, ${kb(rows.kamailio?.rssPerDialog ?? 0)}/dialog`,
    `  Switchboard / Kamailio: ${ratio(rows.switchboard?.best?.cps, rows.kamailio?.best?.cps)} calls/s; ` +
      `${ratio(rows.kamailio?.cpuPerCallMs, rows.switchboard?.cpuPerCallMs)} CPU efficiency (Kamailio's CPU per call / ours)`,
  ];
  return { rows, text: lines.join('\n') };
}
