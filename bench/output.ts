/**
 * CLI event output: CPU per event written to a pipe, one write per event (as the phone did) vs
 * the LineWriter flushing every event-loop turn or every 10 ms, its default (issue 16 §1).
 * `node dist/bench/output.js [events]`.
 * A child process writes the phone's JSON events in turns of a few events (as they come, a few
 * per received datagram) into a pipe the parent drains; the child reports its own CPU time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineWriter, formatEvent } from '../src/cli/output.js';

const PER_TURN = 4;

async function child(mode: string, n: number): Promise<void> {
  // batched: a write per event-loop turn; timed: the default, a write per 10 ms
  const out = new LineWriter(process.stdout, mode === 'batched' ? { delayMs: 0 } : {});
  // 'none' formats the events and writes nothing: the cost the two others share
  const write =
    mode === 'sync'
      ? (l: string) => void process.stdout.write(l)
      : mode === 'none'
        ? (l: string) => void l
        : (l: string) => out.write(l);
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < n; i += PER_TURN) {
    for (let k = 0; k < PER_TURN; k++) write(formatEvent(true, 'established', { call: `c${i + k}`, status: 200 }));
    // the next datagram's events come in a later turn
    await new Promise((r) => setImmediate(r));
  }
  await out.end();
  const cpu = process.cpuUsage(t0);
  process.stderr.write(
    JSON.stringify({
      mode,
      n,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - w0,
      writes: out.writes,
    }),
  );
}

function runChild(mode: string, n: number): Promise<{ mode: string; cpuMs: number; wallMs: number; writes: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', mode, String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    p.stdout.resume();
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(err) as never) : reject(new Error(err))));
  });
}

if (process.argv[2] === 'child') await child(process.argv[3]!, Number(process.argv[4]));
else {
  const n = Number(process.argv[2] ?? 200_000);
  const modes = ['none', 'sync', 'batched', 'timed'];
  const rows: Record<string, number[]> = { none: [], sync: [], batched: [], timed: [] };
  // alternate the three, five rounds each: the machine is shared
  for (let round = 0; round < 5; round++) for (const mode of modes) rows[mode]!.push((await runChild(mode, n)).cpuMs);
  const best = (m: string) => Math.min(...rows[m]!);
  const us = (ms: number) => ((ms * 1000) / n).toFixed(2);
  console.log(
    `CLI event output, ${n} JSON events in turns of ${PER_TURN}, into a pipe (best of 5, CPU of the writer):`,
  );
  for (const m of modes) console.log(`  ${m.padEnd(8)} ${best(m).toFixed(0)} ms CPU, ${us(best(m))} µs per event`);
  const cost = (m: string) => best(m) - best('none');
  console.log(
    `  output cost per event: sync ${us(cost('sync'))} µs, batched ${us(cost('batched'))} µs, timed ${us(cost('timed'))} µs`,
  );
}
