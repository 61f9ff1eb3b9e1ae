/**
 * Reception statistics of one RTP source, as RFC 3550 Appendix A computes them: sequence
 * validation with wrap, probation and resynchronisation (A.1), loss counts for reports (A.3), and
 * interarrival jitter (A.8). The RTP session keeps one per remote SSRC. And the compound report
 * made of them (§6.4).
 */
import { SDES_CNAME, ntpFromUnixMs, ntpMiddle, type ReportBlock, type RtcpPacket } from './rtcp.js';

const RTP_SEQ_MOD = 0x10000;

export interface ReceiverStatsOptions {
  /** Packets in sequence before a source counts as valid (RFC 3550 A.1 MIN_SEQUENTIAL, default 2). */
  minSequential?: number;
  /** A jump ahead of less than this is accepted as loss (A.1 MAX_DROPOUT, default 3000). */
  maxDropout?: number;
  /** A jump back of less than this is a late or duplicate packet (A.1 MAX_MISORDER, default 100). */
  maxMisorder?: number;
}

/** What update() made of a packet. */
export type SeqVerdict = 'valid' | 'probation' | 'bad';

export class ReceiverStats {
  private maxSeq = 0;
  /** Shifted count of sequence number wraps (A.1 `cycles`). */
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation: number;
  /** Packets counted valid (A.1 `received`). */
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  /** A.8: relative transit time of the previous packet, in timestamp units. */
  private transit: number | undefined;
  /** A.8: jitter estimate in timestamp units (kept as a float, reported as an integer). */
  private jitterUnits = 0;
  private lastSr: { middle: number; arrivalMs: number } | undefined;
  private readonly minSequential: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;

  constructor(
    readonly ssrc: number,
    firstSeq: number,
    readonly clockRate: number,
    opts: ReceiverStatsOptions = {},
  ) {
    this.minSequential = opts.minSequential ?? 2;
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
    // A.1: a new source starts on probation, max_seq one before its first packet
    this.initSeq(firstSeq);
    this.maxSeq = (firstSeq - 1) & 0xffff;
    this.probation = this.minSequential;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq: whether the packet counts. */
  update(seq: number): SeqVerdict {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.receivedCount++;
          return 'valid';
        }
      } else {
        this.probation = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return 'probation';
    } else if (udelta < this.maxDropout) {
      // in order, with a permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - this.maxMisorder) {
      // a very large jump: two sequential packets mean the source restarted
      if (seq === this.badSeq) this.initSeq(seq);
      else {
        this.badSeq = (seq + 1) & 0xffff;
        return 'bad';
      }
    }
    // else a duplicate or reordered packet: counted, max unchanged
    this.receivedCount++;
    return 'valid';
  }

  /** RFC 3550 A.8: fold one packet's transit time into the jitter estimate. */
  updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - rtpTimestamp;
    if (this.transit !== undefined) {
      // timestamps wrap at 2^32: take the difference modulo 2^32 as a signed number
      let d = (transit - this.transit) % 0x100000000;
      if (d > 0x80000000) d -= 0x100000000;
      else if (d < -0x80000000) d += 0x100000000;
      this.jitterUnits += (Math.abs(d) - this.jitterUnits) / 16;
    }
    this.transit = transit;
  }

  /** Remember an SR from this source for LSR/DLSR (RFC 3550 §6.4.1). */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.lastSr = { middle: ntpMiddle(ntpSeconds, ntpFraction), arrivalMs };
  }

  get valid(): boolean {
    return this.probation === 0;
  }
  get received(): number {
    return this.receivedCount;
  }
  /** A.3 extended_max. */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }
  get expected(): number {
    return this.valid ? this.extendedMax - this.baseSeq + 1 : 0;
  }
  /** Cumulative packets lost (A.3): expected minus received; negative with duplicates. */
  get lost(): number {
    return this.expected - this.receivedCount;
  }
  get jitter(): number {
    return Math.floor(this.jitterUnits);
  }
  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  /** A report block for this source; advances the "since the last report" interval (A.3). */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.lost,
      highestSeq: this.extendedMax >>> 0,
      jitter: this.jitter >>> 0,
      lsr: this.lastSr?.middle ?? 0,
      // DLSR in 1/65536 s
      dlsr: this.lastSr ? Math.floor(((nowMs - this.lastSr.arrivalMs) / 1000) * 65536) >>> 0 : 0,
    };
  }
}

/** What our SR tells of what we sent (RFC 3550 §6.4.1). */
export interface SenderInfo {
  /** Wall-clock time of the report (epoch ms), for the NTP timestamp. */
  wallMs: number;
  /** The RTP timestamp of that same instant. */
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

/**
 * A compound report (RFC 3550 §6.1, §6.4): SR when we sent since the last report (`sender`), else
 * RR, with at most 31 report blocks; then SDES with our CNAME; then `extra` (a BYE).
 */
export function compoundReport(
  ssrc: number,
  cname: string,
  blocks: ReportBlock[],
  sender: SenderInfo | undefined,
  extra: RtcpPacket[] = [],
): RtcpPacket[] {
  const reports = blocks.slice(0, 31);
  let first: RtcpPacket;
  if (sender) {
    const ntp = ntpFromUnixMs(sender.wallMs);
    first = {
      type: 'sr',
      ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: sender.rtpTimestamp >>> 0,
      packetCount: sender.packets >>> 0,
      octetCount: sender.octets >>> 0,
      reports,
    };
  } else first = { type: 'rr', ssrc, reports };
  return [first, { type: 'sdes', chunks: [{ ssrc, items: [{ type: SDES_CNAME, text: cname }] }] }, ...extra];
}
