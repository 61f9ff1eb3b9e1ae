/**
 * `npm run soak` (issue 16 §6): SIPp's uac drives 100,000 calls at a steady rate through
 * `switchboard proxy --record-route` to a `switchboard phone --auto-answer 0`, over UDP on loopback.
 * Every SOAK_SAMPLE_S seconds both elements report, over the CLI's IPC stats hook, their heap after a
 * full collection, RSS and table sizes (proxy: transactions, open forwarding contexts; phone: calls,
 * dialogs, transactions); open fds come from /proc/PID/fd. After the load, the tables are watched
 * until they drain. Verdicts, with the bounds printed: heap flat (slope over the run and drained heap
 * against the idle heap), tables back to zero, fds back to their idle count, 0 failed calls.
 * Settings (environment): SOAK_CALLS (100000), SOAK_RATE (100 calls/s: leaks, not speed, are the
 * point), SOAK_SAMPLE_S (30: each sample forces full collections), SOAK_MEDIA (on: the phone opens RTP
 * for every call; off), SOAK_JSON (write the samples there).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort, haveTool, sipp, sippProgress, stopProcess } from './lib.js';
import { Element, mb, slope, type Sample } from './soak-probe.js';

const CALLS = Number(process.env.SOAK_CALLS ?? 100_000);
const RATE = Number(process.env.SOAK_RATE ?? 100);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 30);
const MEDIA = process.env.SOAK_MEDIA === 'off' ? 'off' : 'on';
/** Heap is flat when its growth over the loaded run stays under this many bytes per call… */
const SLOPE_BOUND = 8;
/** …and the heap after the tables drain is within this of the heap before the load. */
const DRAIN_BOUND = 4 * 1024 * 1024;
/** How long the tables get to drain after the last call: Timer J/H/L are 64*T1 = 32 s (RFC 3261 §17). */
const DRAIN_MS = 90_000;
const scenarios = fileURLToPath(new URL('../../bench/scenarios/', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!haveTool('sipp')) {
  console.error('sipp is needed (apt-get install sip-tester)');
  process.exit(2);
}

const proxyPort = await freePort();
const uaPort = await freePort();
const proxy = new Element('proxy', [
  'proxy',
  '--listen',
  `udp:127.0.0.1:${proxyPort}`,
  '--domain',
  '127.0.0.1',
  '--record-route',
  '--quiet',
]);
const ua = new Element('phone', [
  'phone',
  '--aor',
  'sip:bob@127.0.0.1',
  '--listen',
  `udp:127.0.0.1:${uaPort}`,
  '--registrar',
  `sip:127.0.0.1:${proxyPort}`,
  '--auto-answer',
  '0',
  '--media',
  MEDIA,
  '--json',
  '--quiet',
]);

let load: ChildProcess | undefined;
async function shutdown(): Promise<void> {
  if (load && load.exitCode === null) load.kill('SIGKILL');
  ua.child.stdin!.end('quit\n');
  await Promise.race([new Promise((r) => ua.child.once('exit', r)), sleep(5000)]);
  await stopProcess(ua.child);
  await stopProcess(proxy.child);
}

// interrupted: the elements go too (they are ours, by pid)
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => void shutdown().finally(() => process.exit(130)));

try {
  await proxy.waitOutput(/listening on udp/);
  await ua.waitOutput(/"event":"registered"/);
  const idle = { proxy: await proxy.stats(), ua: await ua.stats() };
  console.log(
    `Soak: ${CALLS} calls at ${RATE}/s, SIPp uac → switchboard proxy --record-route → switchboard phone ` +
      `--auto-answer 0 --media ${MEDIA}, UDP on loopback; sample every ${SAMPLE_S} s`,
  );
  console.log(
    `idle: proxy heap ${mb(idle.proxy.heapUsed)} rss ${mb(idle.proxy.rss)} fds ${idle.proxy.fds}; ` +
      `phone heap ${mb(idle.ua.heapUsed)} rss ${mb(idle.ua.rss)} fds ${idle.ua.fds}`,
  );
  console.log('    t  calls  failed | proxy heap    rss  fds    tx | phone heap    rss  fds calls dlgs    tx');
  const samples: Sample[] = [];
  const t0 = performance.now();
  let statFile = '';
  let done = false;
  let finished: { successful: number; failed: number } | undefined = undefined;
  const sample = async (): Promise<Sample> => {
    // after SIPp ends its stat file is gone: its final counts stand
    const p = finished ?? (statFile ? sippProgress(statFile) : { successful: 0, failed: 0 });
    const s: Sample = {
      t: (performance.now() - t0) / 1000,
      calls: p.successful,
      failed: p.failed,
      proxy: await proxy.stats(),
      ua: await ua.stats(),
    };
    const m = (n: number) => (n / 1024 / 1024).toFixed(1).padStart(6);
    console.log(
      `${s.t.toFixed(0).padStart(5)} ${String(s.calls).padStart(6)} ${String(s.failed).padStart(7)} |` +
        `     ${m(s.proxy.heapUsed)} ${m(s.proxy.rss)} ${String(s.proxy.fds).padStart(4)} ${String(s.proxy.tables.transactions).padStart(5)} |` +
        `     ${m(s.ua.heapUsed)} ${m(s.ua.rss)} ${String(s.ua.fds).padStart(4)} ${String(s.ua.tables.calls).padStart(5)} ` +
        `${String(s.ua.tables.dialogs).padStart(4)} ${String(s.ua.tables.transactions).padStart(5)}`,
    );
    samples.push(s);
    return s;
  };
  const local = await freePort();
  const run = sipp(
    [
      '-p',
      String(local),
      '-sf',
      join(scenarios, 'uac-rr.xml'),
      `127.0.0.1:${proxyPort}`,
      '-s',
      'bob',
      '-i',
      '127.0.0.1',
      '-t',
      'u1',
      '-r',
      String(RATE),
      '-m',
      String(CALLS),
      '-l',
      '5000',
      '-timeout',
      String(Math.ceil((CALLS / RATE) * 2 + 120)),
    ],
    Math.ceil((CALLS / RATE) * 2 + 180) * 1000,
    (child, stf) => {
      statFile = stf;
      load = child;
    },
  ).finally(() => (done = true));
  // the sampler: a fixed period, so the samples are evenly spread over the calls
  while (!done) {
    await Promise.race([sleep(SAMPLE_S * 1000), run]);
    if (!done) await sample();
  }
  const result = await run;
  finished = result;
  const loadS = (performance.now() - t0) / 1000;
  console.log(
    `load done in ${loadS.toFixed(0)} s: ${result.successful} successful, ${result.failed} failed, ` +
      `${result.retransmissions} retransmissions (SIPp exit ${result.code}); waiting for the tables to drain`,
  );
  const empty = (s: Sample) =>
    s.proxy.tables.transactions === 0 &&
    s.proxy.tables.pending === 0 &&
    s.ua.tables.calls === 0 &&
    s.ua.tables.dialogs === 0 &&
    s.ua.tables.transactions === 0;
  let last = await sample();
  for (const deadline = performance.now() + DRAIN_MS; !empty(last) && performance.now() < deadline;) {
    await sleep(5000);
    last = await sample();
  }
  const loaded = samples.filter((s) => s.calls >= CALLS * 0.1 && s.t <= loadS);
  const verdicts: [string, boolean][] = [];
  for (const side of ['proxy', 'ua'] as const) {
    const name = side === 'ua' ? 'phone' : 'proxy';
    const heaps = loaded.map((s) => s[side].heapUsed);
    const k = slope(
      loaded.map((s) => s.calls),
      heaps,
    );
    const grown = last[side].heapUsed - idle[side].heapUsed;
    console.log(
      `${name}: heap under load ${mb(Math.min(...heaps))}..${mb(Math.max(...heaps))}, slope ${k.toFixed(2)} B/call ` +
        `(${mb(k * CALLS)} over ${CALLS} calls); drained ${mb(last[side].heapUsed)} vs idle ${mb(idle[side].heapUsed)} ` +
        `(${grown >= 0 ? '+' : ''}${mb(grown)}); rss ${mb(idle[side].rss)} → ${mb(last[side].rss)}; ` +
        `fds ${idle[side].fds} → ${last[side].fds}; tables at the end ${JSON.stringify(last[side].tables)}`,
    );
    verdicts.push([`${name} heap slope ${k.toFixed(2)} B/call ≤ ${SLOPE_BOUND} B/call`, k <= SLOPE_BOUND]);
    verdicts.push([`${name} drained heap within ${mb(DRAIN_BOUND)} of idle (${mb(grown)})`, grown <= DRAIN_BOUND]);
    verdicts.push([
      `${name} fds back to idle (${idle[side].fds} → ${last[side].fds})`,
      last[side].fds <= idle[side].fds,
    ]);
    verdicts.push([`${name} tables back to zero`, Object.values(last[side].tables).every((n) => n === 0)]);
  }
  verdicts.push([
    `${result.successful}/${CALLS} calls successful, ${result.failed} failed`,
    result.failed === 0 && result.successful === CALLS,
  ]);
  for (const [what, ok] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, JSON.stringify({ idle, samples, result }, null, 2));
  await shutdown();
  process.exit(verdicts.every(([, ok]) => ok) ? 0 : 1);
} catch (e) {
  console.error(`soak failed: ${(e as Error).message}`);
  await shutdown();
  process.exit(1);
}
