/**
 * One RTP stream over a UDP port pair (RFC 3550): paced sending of frames, receiving with
 * per-source statistics, RTCP reports, optional SRTP (RFC 3711), and direction control that
 * follows the offer/answer (RFC 3264 §5.1: sendonly/recvonly/inactive). Symmetric RTP (RFC 4961):
 * we send from the ports we receive on, and optionally latch to where the peer's packets come from.
 *
 * Sequence number and timestamp start random (RFC 3550 §5.1) and run on across hold/resume and
 * remote changes: the pacer keeps ticking while sending is gated, so timestamps stay tied to time.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { receives, sends, type Direction } from '../sdp/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { Pacer } from './pacer.js';
import type { PortPair } from './ports.js';
import { parseRtcp, serializeRtcp, type RtcpPacket } from './rtcp.js';
import { ReceiverStats, compoundReport } from './rtcp-stats.js';
import { parseRtp, serializeRtp } from './rtp-packet.js';
import { SrtpContext } from './srtp.js';
import type {
  FrameSource,
  RtpRemote,
  RtpSessionEvents,
  RtpSessionOptions,
  RtpSrtpOptions,
  RtpStats,
} from './rtp-types.js';

export type { FrameSource, RtpRemote, RtpSessionEvents, RtpSessionOptions, RtpSrtpOptions, RtpStats };

export class RtpSession extends EventEmitter<RtpSessionEvents> {
  readonly ssrc = randomBytes(4).readUInt32BE();
  readonly cname: string;
  private seq = randomInt(0, 0x10000);
  /** Timestamp of the next audio frame. */
  private nextTs = randomBytes(4).readUInt32BE();
  private samplesPerFrame: number;
  /** RTP clock rate of the codec sent (RFC 3550 §5.1); 48000 for Opus whatever its sample rate (RFC 7587 §4.1). */
  private clockRate: number;
  private readonly clock: Clock;
  private readonly pacer: Pacer;
  private source: FrameSource | undefined;
  private tsBase = 0;
  /** Timestamp of the latest frame slot and when it was (clock ms; NaN before any), to resume in step with time. */
  private lastFrameAt = NaN;
  private lastFrameTs = 0;
  /** The previous frame was not sent: the next one starts a talkspurt (RFC 3551 §4.1 marker). */
  private gap = true;
  private remote: RtpRemote | undefined;
  private rtcpRemote: { address: string; port: number } | undefined;
  private directionValue: Direction;
  private tx: SrtpContext | undefined;
  private rx: SrtpContext | undefined;
  private readonly sources = new Map<number, ReceiverStats>();
  private lastSource: ReceiverStats | undefined;
  private rtcpTimer: TimerHandle | undefined;
  private sentSinceReport = false;
  /** When the latest packet left (clock ms; NaN before any) and its timestamp, for the SR (RFC 3550 §6.4.1). */
  private lastSentAt = NaN;
  private lastSentTs = 0;
  private closing: Promise<void> | undefined;
  private readonly counters = { sent: 0, received: 0, octetsSent: 0, octetsReceived: 0, discarded: 0, srtp: 0 };
  private receivePts: Set<number>;
  private payloadType: number;
  private dtmfPayloadType: number | undefined;
  /** The options without the SRTP keys, which live only inside the SRTP contexts. */
  private readonly opts: Omit<RtpSessionOptions, 'srtp' | 'allocator'>;

  private constructor(
    private readonly ports: PortPair,
    options: RtpSessionOptions,
  ) {
    super();
    const { srtp, allocator: _allocator, ...opts } = options;
    this.opts = opts;
    this.payloadType = opts.payloadType;
    this.dtmfPayloadType = opts.dtmfPayloadType;
    this.clock = opts.clock ?? systemClock;
    this.cname = opts.cname ?? `${randomBytes(8).toString('hex')}@switchboard`;
    this.clockRate = opts.clockRate ?? 8000;
    const ptime = opts.ptimeMs ?? 20;
    this.samplesPerFrame = Math.round((this.clockRate * ptime) / 1000);
    this.directionValue = opts.direction ?? 'sendrecv';
    this.receivePts = new Set(opts.receivePayloadTypes ?? [opts.payloadType]);
    if (opts.remote) this.setRemote(opts.remote);
    if (srtp) this.setSrtp(srtp);
    this.pacer = new Pacer(
      { clock: this.clock, intervalMs: ptime, ...(opts.ticker ? { ticker: opts.ticker } : {}) },
      (tick) => this.onTick(tick),
    );
    ports.rtp.on('message', (buf, rinfo) => this.onRtp(buf, rinfo));
    ports.rtcp.on('message', (buf, rinfo) => this.onRtcp(buf, rinfo));
    ports.rtp.on('error', (e) => this.fail(e));
    ports.rtcp.on('error', (e) => this.fail(e));
    // RFC 3550 §6.3.2: the first report after half the interval
    this.scheduleRtcp(0.5);
  }

  /** Bind a port pair from the allocator and start the session (RTCP runs; sending waits for frames). */
  static async open(opts: RtpSessionOptions): Promise<RtpSession> {
    const ports = await opts.allocator.allocate(opts.address);
    return new RtpSession(ports, opts);
  }

  get localPort(): number {
    return this.ports.rtpPort;
  }
  get localRtcpPort(): number {
    return this.ports.rtcpPort;
  }
  get direction(): Direction {
    return this.directionValue;
  }
  get remoteAddress(): RtpRemote | undefined {
    return this.remote && { ...this.remote };
  }
  get closed(): boolean {
    return this.closing !== undefined;
  }
  /** Timestamp the next audio frame will carry (an RFC 4733 event starts here). */
  get timestamp(): number {
    return this.nextTs;
  }
  get srtp(): boolean {
    return this.tx !== undefined;
  }

  /** Where to send (re-INVITE moving the stream); sequence and timestamp carry on. */
  setRemote(remote: RtpRemote): void {
    this.remote = { ...remote };
    this.rtcpRemote = { address: remote.address, port: remote.rtcpPort ?? remote.port + 1 };
  }

  /** Direction from the offer/answer: gates sending and delivery (RTCP continues, RFC 3264 §5.1). */
  setDirection(direction: Direction): void {
    this.directionValue = direction;
  }

  /**
   * The negotiated codec's RTP clock rate: timestamps, SR timestamps and jitter count in it. Sending
   * carries on from the current timestamp; receiver statistics start afresh in the new units.
   */
  setClockRate(rate: number): void {
    if (rate === this.clockRate) return;
    const ptime = this.opts.ptimeMs ?? 20;
    this.clockRate = rate;
    this.samplesPerFrame = Math.round((rate * ptime) / 1000);
    if (this.pacer.running) {
      // rebase the running pacer so the next frame keeps the timestamp it was due
      this.pacer.stop();
      this.lastFrameAt = NaN;
      this.tsBase = this.nextTs;
      this.pacer.start();
    }
    this.sources.clear();
    this.lastSource = undefined;
  }

  /** Change the negotiated payload types (re-INVITE). */
  setPayloadTypes(send: number, receive: readonly number[] = [send], dtmf?: number): void {
    this.payloadType = send;
    this.dtmfPayloadType = dtmf;
    this.receivePts = new Set(receive);
  }

  /** Switch SRTP on with new keys, or off (undefined). The keys are not kept outside the contexts. */
  setSrtp(srtp: RtpSrtpOptions | undefined): void {
    if (!srtp) {
      this.tx = this.rx = undefined;
      return;
    }
    // the same keys keep the same cryptographic contexts: ROC and replay state carry on (RFC 3711 §3.2)
    if (this.tx?.usesKey(srtp.suite, srtp.localKey) && this.rx?.usesKey(srtp.suite, srtp.remoteKey)) return;
    const { suite, replayWindow } = srtp;
    this.tx = new SrtpContext({ suite, keyAndSalt: srtp.localKey, ...(replayWindow ? { replayWindow } : {}) });
    this.rx = new SrtpContext({ suite, keyAndSalt: srtp.remoteKey, ...(replayWindow ? { replayWindow } : {}) });
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Send one frame every ptime from `source`, scheduled by absolute time (no drift). */
  startPacing(source: FrameSource): void {
    this.source = source;
    if (this.pacer.running) return;
    // after a pause the timestamp moves on by the time that passed (RFC 3550 §5.1: sampling instant)
    const ptime = this.opts.ptimeMs ?? 20;
    const resumed = !Number.isNaN(this.lastFrameAt);
    const frames = resumed ? Math.max(1, Math.round((this.clock.now() - this.lastFrameAt) / ptime)) : 0;
    this.tsBase = resumed ? (this.lastFrameTs + frames * this.samplesPerFrame) >>> 0 : this.nextTs;
    this.pacer.start();
  }

  stopPacing(): void {
    this.pacer.stop();
    this.source = undefined;
    this.gap = true;
  }

  private onTick(tick: number): void {
    const ts = (this.tsBase + tick * this.samplesPerFrame) >>> 0;
    this.nextTs = (ts + this.samplesPerFrame) >>> 0;
    this.lastFrameAt = this.clock.now();
    this.lastFrameTs = ts;
    const payload = this.source?.(tick);
    const sent = payload !== undefined && this.send(this.payloadType, payload, this.gap, ts);
    this.gap = !sent;
  }

  /** Send one audio frame now (without the pacer); the timestamp advances by `samples` (default one ptime). */
  sendFrame(payload: Uint8Array, opts: { marker?: boolean; samples?: number } = {}): boolean {
    const ts = this.nextTs;
    this.nextTs = (ts + (opts.samples ?? this.samplesPerFrame)) >>> 0;
    this.lastFrameAt = this.clock.now();
    this.lastFrameTs = ts;
    return this.send(this.payloadType, payload, opts.marker ?? false, ts);
  }

  /** Send one RFC 4733 telephone-event packet with the event's timestamp. */
  sendDtmf(payload: Uint8Array, opts: { marker: boolean; timestamp: number }): boolean {
    if (this.dtmfPayloadType === undefined) throw new RangeError('no telephone-event payload type negotiated');
    return this.send(this.dtmfPayloadType, payload, opts.marker, opts.timestamp);
  }

  private send(payloadType: number, payload: Uint8Array, marker: boolean, timestamp: number): boolean {
    const remote = this.remote;
    if (this.closing || !remote || !sends(this.directionValue)) return false;
    const sequenceNumber = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    let buf = serializeRtp({ payloadType, marker, sequenceNumber, timestamp, ssrc: this.ssrc, payload });
    if (this.tx) buf = this.tx.protectRtp(buf);
    // no callback: dgram would queue one on the next tick for every packet; a send error is a lost
    // datagram, which RTCP reports like any other loss (RFC 3550 §6.4.1)
    this.ports.rtp.send(buf, remote.port, remote.address);
    this.opts.tap?.({
      bytes: buf,
      local: { host: this.ports.address, port: this.ports.rtpPort },
      remote: { host: remote.address, port: remote.port },
    });
    this.counters.sent++;
    this.counters.octetsSent += payload.length;
    this.lastSentAt = this.clock.now();
    this.lastSentTs = timestamp;
    this.sentSinceReport = true;
    return true;
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onRtp(buf: Buffer, rinfo: { address: string; port: number }): void {
    if (this.closing || buf.length > (this.opts.maxPacketSize ?? 4096)) return this.discard();
    let data: Uint8Array = buf;
    if (this.rx) {
      const r = this.rx.unprotectRtp(buf);
      if (!r.ok) return this.discard(true);
      data = r.packet;
    }
    const parsed = parseRtp(data);
    if (!parsed.ok) return this.discard();
    const p = parsed.packet;
    const isDtmf = p.payloadType === this.dtmfPayloadType;
    if (!isDtmf && !this.receivePts.has(p.payloadType)) return this.discard();
    const stats = this.statsFor(p.ssrc, p.sequenceNumber);
    if (stats.update(p.sequenceNumber) === 'bad') return this.discard();
    this.lastSource = stats;
    // jitter from audio only: the packets of one DTMF event share a timestamp
    if (!isDtmf) stats.updateJitter(p.timestamp, this.clock.now());
    this.counters.received++;
    this.counters.octetsReceived += p.payload.length;
    this.maybeLatch(rinfo);
    if (!receives(this.directionValue)) return;
    if (isDtmf) this.emit('dtmf', p);
    else this.emit('audio', p);
  }

  private statsFor(ssrc: number, seq: number): ReceiverStats {
    let s = this.sources.get(ssrc);
    if (!s) {
      const max = this.opts.maxSources ?? 8;
      // forget the oldest source (Map keeps insertion order)
      if (this.sources.size >= max) this.sources.delete(this.sources.keys().next().value!);
      s = new ReceiverStats(ssrc, seq, this.clockRate);
      this.sources.set(ssrc, s);
    }
    return s;
  }

  private maybeLatch(rinfo: { address: string; port: number }): void {
    if (!this.opts.latch) return;
    const r = this.remote;
    if (r && r.address === rinfo.address && r.port === rinfo.port) return;
    this.remote = { address: rinfo.address, port: rinfo.port, rtcpPort: rinfo.port + 1 };
    this.rtcpRemote = { address: rinfo.address, port: rinfo.port + 1 };
    this.emit('latched', { ...this.remote });
  }

  private onRtcp(buf: Buffer, rinfo: { address: string; port: number }): void {
    if (this.closing || buf.length > (this.opts.maxPacketSize ?? 4096)) return;
    let data: Uint8Array = buf;
    if (this.rx) {
      const r = this.rx.unprotectRtcp(buf);
      if (!r.ok) return void this.counters.srtp++;
      data = r.packet;
    }
    const parsed = parseRtcp(data);
    if (!parsed.ok) return;
    if (this.opts.latch) this.rtcpRemote = { address: rinfo.address, port: rinfo.port };
    const now = this.clock.now();
    for (const p of parsed.packets) {
      if (p.type === 'sr') this.sources.get(p.ssrc)?.onSenderReport(p.ntpSeconds, p.ntpFraction, now);
      if (p.type === 'bye') this.emit('bye', p.ssrcs, p.reason);
    }
    this.emit('rtcp', parsed.packets);
  }

  private discard(srtp = false): void {
    this.counters.discarded++;
    if (srtp) this.counters.srtp++;
  }

  // ---- RTCP -----------------------------------------------------------------------------------

  private scheduleRtcp(scale = 1): void {
    const mean = this.opts.rtcpIntervalMs ?? 5000;
    const r = (this.opts.random ?? Math.random)();
    this.rtcpTimer = this.clock.setTimeout(
      () => {
        this.sendRtcp();
        this.scheduleRtcp();
      },
      mean * scale * (0.5 + r),
    );
  }

  /** The compound report: SR if we sent since the last report, else RR (RFC 3550 §6.4), then SDES CNAME. */
  private report(extra: RtcpPacket[] = []): RtcpPacket[] {
    const now = this.clock.now();
    const blocks = [...this.sources.values()].filter((s) => s.valid).map((s) => s.reportBlock(now));
    const sent = this.sentSinceReport && !Number.isNaN(this.lastSentAt);
    this.sentSinceReport = false;
    const sender = sent
      ? {
          wallMs: (this.opts.wallClock ?? Date.now)(),
          rtpTimestamp: this.lastSentTs + Math.round(((now - this.lastSentAt) * this.clockRate) / 1000),
          packets: this.counters.sent,
          octets: this.counters.octetsSent,
        }
      : undefined;
    return compoundReport(this.ssrc, this.cname, blocks, sender, extra);
  }

  private sendRtcp(extra: RtcpPacket[] = [], done?: () => void): void {
    const to = this.rtcpRemote;
    if (!to) return done?.();
    let buf = serializeRtcp(this.report(extra));
    if (this.tx) buf = this.tx.protectRtcp(buf);
    this.opts.tap?.({
      bytes: buf,
      local: { host: this.ports.address, port: this.ports.rtcpPort },
      remote: { host: to.address, port: to.port },
    });
    this.ports.rtcp.send(buf, to.port, to.address, (e) => {
      if (e) this.fail(e);
      done?.();
    });
  }

  stats(): RtpStats {
    let lost = 0;
    for (const s of this.sources.values()) lost += Math.max(0, s.lost);
    const c = this.counters;
    return {
      sent: c.sent,
      received: c.received,
      lost,
      jitterMs: this.lastSource?.jitterMs ?? 0,
      octetsSent: c.octetsSent,
      octetsReceived: c.octetsReceived,
      discarded: c.discarded,
      srtpFailures: c.srtp,
      skippedFrames: this.pacer.skipped,
    };
  }

  /** Stop, send RTCP BYE (RFC 3550 §6.6) and free the ports. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.pacer.stop();
      this.clock.clearTimeout(this.rtcpTimer);
      await new Promise<void>((resolve) => this.sendRtcp([{ type: 'bye', ssrcs: [this.ssrc] }], resolve));
      await this.ports.close();
      this.emit('close');
    })();
    return this.closing;
  }

  private fail(e: Error): void {
    // an 'error' event without a listener would throw
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
