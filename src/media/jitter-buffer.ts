/**
 * Jitter buffer for received audio. Packets are placed by RTP timestamp and played out at a fixed
 * delay behind the first one (the target depth); each pull() returns the next frame of samples,
 * assembled from whatever packets cover it, so senders with any ptime play into 20 ms ticks.
 * Sequence numbers (16-bit, wrapping) count losses and spot duplicates. What arrives after its
 * playout point is dropped and counted; gaps are concealed (repeat of the last audio, fading, or
 * silence). No timers inside: the owner calls pull() once per frame, from a Pacer on the
 * injectable clock or by hand in tests.
 */
import { allocFrame, FRAME_MS, SAMPLE_RATE } from './pcm.js';

export type Concealment = 'silence' | 'repeat';

export interface JitterBufferOptions {
  /** Playout delay after the first packet (and after an underrun); default 60 ms. */
  depthMs?: number;
  /** Duration of one pull; default 20 ms. */
  frameMs?: number;
  /** RTP clock rate = sample rate of the decoded audio; default 8000. */
  clockRate?: number;
  /**
   * RTP timestamp ticks per decoded sample; default 1. Opus counts 48 kHz (RFC 7587 §4.1) while we
   * decode at 8 kHz: 6. The buffer works in samples; timestamps are mapped on push.
   */
  ticksPerSample?: number;
  /** Buffered audio beyond which the oldest is dropped (sender clock faster than ours, bursts); default depth + 200 ms. */
  maxDepthMs?: number;
  /** Packets held at most (a peer controls how many it sends); default 100. */
  maxPackets?: number;
  /** Gap filling; default 'repeat' (last frame again, halving each time, silence after 3). */
  concealment?: Concealment;
  /** A packet this far from the playout point means the sender restarted its timeline; default 2000 ms. */
  resyncMs?: number;
}

export interface JitterPacket {
  /** RTP sequence number, 16-bit. */
  sequence: number;
  /** RTP timestamp, 32-bit, in clockRate units. */
  timestamp: number;
  /** Decoded samples (clockRate Hz, mono). */
  samples: Int16Array;
}

/**
 * - `audio`: every sample came from received packets;
 * - `lost`: part or all of the frame was concealed while later packets are waiting;
 * - `underrun`: the buffer ran dry (silence or concealment); playout restarts after the next packet;
 * - `buffering`: before the target depth is reached (silence).
 */
export type PullStatus = 'audio' | 'lost' | 'underrun' | 'buffering';

export interface PullResult {
  samples: Int16Array;
  status: PullStatus;
  /** RTP timestamp of the frame's first sample (undefined while buffering). */
  timestamp: number | undefined;
}

export interface JitterStats {
  received: number;
  /** Packets played (all or partly). */
  played: number;
  /** Arrived after their playout point. */
  late: number;
  duplicates: number;
  /** Sequence numbers skipped at playout: never arrived, arrived late or dropped for overflow. */
  lost: number;
  /** Dropped because the buffer exceeded maxDepthMs or maxPackets. */
  overflow: number;
  resyncs: number;
  underruns: number;
  /** Frames that held concealment samples. */
  concealedFrames: number;
  /** Audio buffered ahead of the playout point, in ms. */
  depthMs: number;
}

interface Entry {
  seq: number;
  ts: number;
  samples: Int16Array;
}

/** a − b for 32-bit RTP timestamps (RFC 3550 §5.1: they wrap). */
function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}
/** a − b for 16-bit sequence numbers, in −32768 … 32767. */
function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

const RECENT_PLAYED = 64;
const MAX_REPEATS = 3;

export class JitterBuffer {
  readonly frameSamples: number;
  private readonly depthTicks: number;
  private readonly maxDepthSamples: number;
  private readonly maxPackets: number;
  private readonly resyncSamples: number;
  private readonly concealment: Concealment;
  /** Buffered packets in timestamp order, all at or after the playout point. */
  private entries: Entry[] = [];
  /** RTP timestamp of the next sample to play; undefined before the first packet ever. */
  private playout: number | undefined;
  private playing = false;
  /** Something was played since the last reset: from then on nothing older than the playout point is taken. */
  private started = false;
  /** The latest pushed RTP timestamp and its place in sample units (when ticksPerSample > 1). */
  private tickRef: { ticks: number; samples: number } | undefined;
  /** Pulls since the packet that started the current prefill; undefined when there is none. */
  private prefillTicks: number | undefined;
  private lastSeq: number | undefined;
  private readonly recentSeqs: number[] = [];
  private readonly lastAudio: Int16Array;
  private repeats = 0;
  private readonly counters = {
    received: 0,
    played: 0,
    late: 0,
    duplicates: 0,
    lost: 0,
    overflow: 0,
    resyncs: 0,
    underruns: 0,
    concealedFrames: 0,
  };

  constructor(private readonly opts: JitterBufferOptions = {}) {
    const rate = opts.clockRate ?? SAMPLE_RATE;
    const frameMs = opts.frameMs ?? FRAME_MS;
    const depthMs = opts.depthMs ?? 60;
    if (!(frameMs > 0) || !(depthMs >= 0))
      throw new RangeError(`JitterBuffer: frame ${frameMs} ms, depth ${depthMs} ms`);
    this.frameSamples = Math.round((frameMs * rate) / 1000);
    this.depthTicks = Math.ceil(depthMs / frameMs);
    this.maxDepthSamples = Math.round(((opts.maxDepthMs ?? depthMs + 200) * rate) / 1000);
    this.maxPackets = opts.maxPackets ?? 100;
    this.resyncSamples = Math.round(((opts.resyncMs ?? 2000) * rate) / 1000);
    this.concealment = opts.concealment ?? 'repeat';
    this.lastAudio = new Int16Array(this.frameSamples);
  }

  get stats(): JitterStats {
    const rate = this.opts.clockRate ?? SAMPLE_RATE;
    return { ...this.counters, depthMs: (this.bufferedSamples() * 1000) / rate };
  }

  /** Offer a received packet. Returns false when it was dropped (late, duplicate, empty). */
  push(p: JitterPacket): boolean {
    this.counters.received++;
    const ts = this.toSamples(p.timestamp >>> 0);
    const seq = p.sequence & 0xffff;
    if (p.samples.length === 0) return false;
    if (this.playout !== undefined && Math.abs(tsDiff(ts, this.playout)) > this.resyncSamples) this.resync();
    if (this.started && tsDiff(ts + p.samples.length, this.playout!) <= 0) {
      // wholly before the playout point: already played (duplicate) or too late
      if (this.recentSeqs.includes(seq)) this.counters.duplicates++;
      else this.counters.late++;
      return false;
    }
    // insertion point by timestamp (packets mostly arrive in order: search from the end)
    let i = this.entries.length;
    while (i > 0 && tsDiff(this.entries[i - 1]!.ts, ts) > 0) i--;
    if ((i > 0 && this.entries[i - 1]!.ts === ts) || this.recentSeqs.includes(seq)) {
      this.counters.duplicates++;
      return false;
    }
    this.entries.splice(i, 0, { seq, ts, samples: p.samples });
    // before the first playout, a reordered earlier packet moves the start back
    if (!this.started) this.playout = this.entries[0]!.ts;
    this.prefillTicks ??= 0;
    this.trim();
    return true;
  }

  /**
   * An RTP timestamp in sample units. Mapped relative to the latest packet (a signed 32-bit
   * difference), so the mapping carries on across the 32-bit wrap of either count.
   */
  private toSamples(ticks: number): number {
    const scale = this.opts.ticksPerSample ?? 1;
    if (scale === 1) return ticks;
    if (!this.tickRef) this.tickRef = { ticks, samples: ticks };
    const samples = (this.tickRef.samples + Math.round(tsDiff(ticks, this.tickRef.ticks) / scale)) >>> 0;
    if (tsDiff(ticks, this.tickRef.ticks) > 0) this.tickRef = { ticks, samples };
    return samples;
  }

  /** The next frame of playout (call once per frame interval). */
  pull(): PullResult {
    if (!this.playing) {
      if (this.prefillTicks === undefined || this.prefillTicks < this.depthTicks) {
        if (this.prefillTicks !== undefined) this.prefillTicks++;
        return { samples: allocFrame(this.frameSamples).fill(0), status: 'buffering', timestamp: undefined };
      }
      this.playing = true;
      this.started = true;
      // start at the oldest packet; nothing older is accepted from here on
      if (this.entries.length > 0 && tsDiff(this.entries[0]!.ts, this.playout!) > 0) this.playout = this.entries[0]!.ts;
    }
    const n = this.frameSamples;
    const start = this.playout!;
    const first = this.entries[0];
    if (first && first.ts === start && first.samples.length === n) {
      // the usual case, one whole packet per frame: its samples go out as they are (no copy)
      this.entries.shift();
      this.notePlayed(first.seq);
      this.playout = (start + n) >>> 0;
      this.lastAudio.set(first.samples);
      this.repeats = 0;
      return { samples: first.samples, status: 'audio', timestamp: start };
    }
    // every sample is written: copied from packets or by conceal()
    const out = allocFrame(n);
    let pos = 0;
    let gap = false;
    while (pos < n) {
      const head = this.entries[0];
      const cursor = (start + pos) >>> 0;
      const d = head ? tsDiff(head.ts, cursor) : n - pos;
      if (d > 0) {
        const len = Math.min(d, n - pos);
        this.conceal(out, pos, len);
        gap = true;
        pos += len;
        continue;
      }
      const offset = -d;
      if (offset >= head!.samples.length) {
        this.entries.shift();
        continue;
      }
      this.notePlayed(head!.seq);
      const len = Math.min(head!.samples.length - offset, n - pos);
      out.set(head!.samples.subarray(offset, offset + len), pos);
      pos += len;
      if (offset + len >= head!.samples.length) this.entries.shift();
    }
    this.playout = (start + n) >>> 0;
    if (!gap) {
      this.lastAudio.set(out);
      this.repeats = 0;
      return { samples: out, status: 'audio', timestamp: start };
    }
    this.counters.concealedFrames++;
    this.repeats++;
    if (this.entries.length > 0) return { samples: out, status: 'lost', timestamp: start };
    // dry: wait for the next packet and buffer again, so a late burst is not dropped wholesale
    this.counters.underruns++;
    this.playing = false;
    this.prefillTicks = undefined;
    return { samples: out, status: 'underrun', timestamp: start };
  }

  /** Drop everything and start again with the next packet (e.g. the stream moved to another source). */
  reset(): void {
    this.entries = [];
    this.playout = undefined;
    this.playing = false;
    this.started = false;
    this.prefillTicks = undefined;
    this.lastSeq = undefined;
    this.recentSeqs.length = 0;
    this.lastAudio.fill(0);
    this.repeats = 0;
  }

  private resync(): void {
    this.counters.resyncs++;
    this.reset();
  }

  private notePlayed(seq: number): void {
    if (this.recentSeqs.includes(seq)) return;
    this.counters.played++;
    if (this.lastSeq !== undefined) {
      const skipped = seqDiff(seq, this.lastSeq) - 1;
      if (skipped > 0) this.counters.lost += skipped;
    }
    this.lastSeq = seq;
    this.recentSeqs.push(seq);
    if (this.recentSeqs.length > RECENT_PLAYED) this.recentSeqs.shift();
  }

  private conceal(out: Int16Array, pos: number, len: number): void {
    if (this.concealment === 'silence' || this.repeats >= MAX_REPEATS) return void out.fill(0, pos, pos + len);
    // the frame before again, at half the level per repetition, so a long gap fades out
    const shift = this.repeats + 1;
    for (let i = 0; i < len; i++) out[pos + i] = this.lastAudio[(pos + i) % this.frameSamples]! >> shift;
  }

  private bufferedSamples(): number {
    const last = this.entries[this.entries.length - 1];
    if (!last || this.playout === undefined) return 0;
    return Math.max(0, tsDiff(last.ts + last.samples.length, this.playout));
  }

  /** Keep the buffer within its limits by dropping the oldest packets. */
  private trim(): void {
    while (
      this.entries.length > 1 &&
      (this.entries.length > this.maxPackets || this.bufferedSamples() > this.maxDepthSamples)
    ) {
      this.entries.shift();
      this.counters.overflow++;
      this.playout = this.entries[0]!.ts;
    }
  }
}
