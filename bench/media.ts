/**
 * Media capacity (issue 14 §7): how many concurrent G.711 legs one process carries. A leg is one
 * RtpMedia session (one end of a call: offer/answer, PCMU encode of a tone, RTP over UDP on
 * loopback, jitter buffer, decode, playout to a sink), sending 50 packets/s and receiving 50
 * packets/s. Legs run in pairs that call each other inside this process, so the process does both
 * ends' work: a conservative figure for a process whose peers are elsewhere.
 *
 * For each level the legs run `MEDIA_BENCH_SECONDS` (default 4 s, after 1 s of warm-up), then stop
 * sending and drain. A packet counts as bad when it is
 * - lost: sent by one leg, not received by its peer (including frames the pacer skipped);
 * - late: its frame was pulled more than 20 ms after its due time (the event loop was behind, so
 *   it left late), or the receiver's jitter buffer dropped it as too late.
 * The level holds when bad ≤ 1 % of packets. CPU per leg = process CPU time / legs / wall time.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PortAllocator } from '../src/media/ports.js';
import { RtpMedia } from '../src/media/rtp-media.js';
import { FrameTicker } from '../src/media/ticker.js';
import { systemClock } from '../src/util/clock.js';
import { ToneSource, type FrameSource } from '../src/media/sources.js';
import type { FrameSink } from '../src/media/sinks.js';

const LEVELS = (process.env.MEDIA_BENCH_LEGS ?? '100,200,300,500,700,1000').split(',').map(Number);
const SECONDS = Number(process.env.MEDIA_BENCH_SECONDS ?? 4);
const PTIME = 20;
const LATE_MS = 20;
/** The pacer skips ahead when more than 5 ticks behind (src/media/pacer.ts maxLagTicks). */
const SKIP_AFTER_MS = 5 * PTIME;

export interface MediaRow {
  legs: number;
  packetsSent: number;
  lost: number;
  late: number;
  badPct: number;
  /** CPU time per leg, as a percentage of one core. */
  cpuPctPerLeg: number;
  /** Process CPU, percentage of one core (200 % = both cores of this machine). */
  cpuPct: number;
  /** CPU time per packet sent (its sending, receiving and playout), µs: steady under load, where skipped frames lower CPU per leg. */
  cpuUsPerPacket: number;
  loopDelayP99Ms: number;
  ok: boolean;
}

/**
 * Pulls a tone and counts frames pulled more than LATE_MS behind the pacer's schedule. The
 * reference is the earliest (least delayed) pull seen since counting began, as RFC 3550 §6.4.1
 * does with relative transit times; a skipped tick makes every later frame count as late.
 */
class TimedSource implements FrameSource {
  private readonly tone = new ToneSource({ frequency: 440, amplitude: 0.25 });
  private n = 0;
  private minOffset = Infinity;
  private countingNow = false;
  private lastPull = -Infinity;
  late = 0;
  get ended(): boolean {
    return this.tone.ended;
  }
  get done(): Promise<void> {
    return this.tone.done;
  }
  set counting(on: boolean) {
    this.countingNow = on;
    this.n = 0;
    this.minOffset = Infinity;
    this.lastPull = -Infinity;
  }
  next(): Int16Array | undefined {
    if (this.countingNow) {
      const now = performance.now();
      // more than 5 ticks behind, the pacer skips ahead (counted as skippedFrames, i.e. lost): this
      // frame is late, and the schedule is measured afresh from here
      if (this.lastPull > -Infinity && now - this.lastPull > SKIP_AFTER_MS) {
        this.late++;
        this.n = 0;
        this.minOffset = Infinity;
      }
      this.lastPull = now;
      const offset = now - this.n++ * PTIME;
      if (offset < this.minOffset) this.minOffset = offset;
      else if (offset - this.minOffset > LATE_MS) this.late++;
    }
    return this.tone.next();
  }
  close(): void {
    this.tone.close();
  }
}

class CountSink implements FrameSink {
  frames = 0;
  write(): void {
    this.frames++;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Leg {
  media: RtpMedia;
  source: TimedSource;
}

async function pair(allocator: PortAllocator, ticker: FrameTicker | undefined, i: number): Promise<[Leg, Leg]> {
  const mk = async (side: string): Promise<Leg> => {
    const source = new TimedSource();
    const sink = new CountSink();
    const media = new RtpMedia(
      { address: '127.0.0.1', secure: false, callId: `bench-${i}-${side}` },
      {
        allocator,
        srtp: 'off',
        codecs: ['PCMU'],
        source: () => source,
        sink: () => sink,
        ...(ticker ? { ticker } : {}),
      },
    );
    await media.open();
    return { media, source };
  };
  const a = await mk('a');
  const b = await mk('b');
  const answer = b.media.answerOffer(a.media.createOffer());
  a.media.applyAnswer(answer);
  return [a, b];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runLevel(legs: number): Promise<MediaRow> {
  const allocator = new PortAllocator({ min: 20000, max: 20000 + legs * 2 + 200 });
  // every leg on one pacing grid, as rtpMediaFactory gives the calls of a user agent
  const ticker = process.env.MEDIA_BENCH_TIMERS === 'per-leg' ? undefined : new FrameTicker(systemClock);
  const all: Leg[] = [];
  for (let i = 0; i < legs / 2; i++) all.push(...(await pair(allocator, ticker, i)));
  await sleep(1000); // warm-up: every pacer started, JIT settled
  const base = all.map((l) => ({ ...l.media.stats().rtp, late: l.media.stats().late }));
  for (const l of all) l.source.counting = true;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  loop.disable();
  for (const l of all) l.source.counting = false;
  // stop sending (inactive), let what is in flight arrive, then count
  const snapshot = all.map((l) => l.media.stats());
  await Promise.all(all.map((l) => l.media.play(new ToneSource({ frequency: 440, durationMs: 0 })).catch(() => 0)));
  await sleep(300);
  let sent = 0;
  let lost = 0;
  let late = 0;
  for (let i = 0; i < all.length; i++) {
    const peer = i ^ 1; // legs 2k and 2k+1 call each other
    const mine = all[i]!.media.stats();
    const sentByPeer = all[peer]!.media.stats().rtp.sent - base[peer]!.sent;
    const received = mine.rtp.received - base[i]!.received;
    sent += snapshot[i]!.rtp.sent - base[i]!.sent;
    // packets the peer sent after the snapshot may still arrive: count against what it sent in total
    lost += Math.max(0, sentByPeer - received) + (mine.rtp.skippedFrames - base[i]!.skippedFrames);
    late += all[i]!.source.late + (mine.late - base[i]!.late);
  }
  await Promise.all(all.map((l) => l.media.close()));
  const expected = (legs * SECONDS * 1000) / PTIME;
  const bad = lost + late;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const row: MediaRow = {
    legs,
    packetsSent: sent,
    lost,
    late,
    badPct: (100 * bad) / Math.max(sent, expected),
    cpuPctPerLeg: (100 * cpuMs) / wall / legs,
    cpuPct: (100 * cpuMs) / wall,
    cpuUsPerPacket: (1000 * cpuMs) / Math.max(1, sent),
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    ok: false,
  };
  // sending fell short of the schedule: the process could not keep up
  row.ok = row.badPct <= 1 && sent >= expected * 0.99;
  return row;
}

function projection(rows: MediaRow[]): number {
  const per = rows.map((r) => r.cpuPctPerLeg).sort((a, b) => a - b);
  const median = per[Math.floor(per.length / 2)] ?? 0;
  return median > 0 ? Math.round(100 / median) : 0;
}

export async function runMediaBench(): Promise<{ text: string; rows: MediaRow[]; maxLegs: number }> {
  const rows: MediaRow[] = [];
  for (const legs of LEVELS) {
    const row = await runLevel(legs);
    rows.push(row);
    if (process.env.BENCH_DEBUG) console.error(JSON.stringify(row));
    // keep ramping past a failed level while it is close, so the knee shows (a loaded machine fails early)
    if (row.badPct > 25) break;
  }
  const maxLegs = Math.max(0, ...rows.filter((r) => r.ok).map((r) => r.legs));
  const lines = [
    `media: concurrent G.711 legs in one process (pairs on loopback, 50 pkt/s each way per leg, ${SECONDS} s per level)`,
    '  legs  sent pkts    lost    late   bad %  CPU % (process)  CPU % per leg  CPU µs/pkt  loop p99 ms  holds',
    ...rows.map(
      (r) =>
        `  ${String(r.legs).padStart(4)}  ${String(r.packetsSent).padStart(9)}  ${String(r.lost).padStart(6)}  ${String(r.late).padStart(6)}  ${r.badPct.toFixed(2).padStart(6)}  ${r.cpuPct.toFixed(0).padStart(15)}  ${r.cpuPctPerLeg.toFixed(3).padStart(13)}  ${r.cpuUsPerPacket.toFixed(1).padStart(10)}  ${r.loopDelayP99Ms.toFixed(1).padStart(11)}  ${r.ok ? 'yes' : 'no'}`,
    ),
    // the main thread does all the work: where its CPU would reach one core, whatever else runs
    `  CPU-bound projection: one core is full at ~${projection(rows)} legs (100 % / median CPU per leg)`,
    `  carried: ${maxLegs} legs with ≤ 1 % of packets late (> ${LATE_MS} ms) or lost (target 500)`,
  ];
  return { text: lines.join('\n'), rows, maxLegs };
}
