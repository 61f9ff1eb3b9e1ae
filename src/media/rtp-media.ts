/**
 * Real audio behind the media seam: a MediaSession that binds an RTP port pair, negotiates with the
 * offer/answer engine (codecs, direction, SDES keys), and makes the RTP stream follow every answer:
 * - the codec agreed first is sent (PCMU/PCMA, RFC 3551), telephone-event carries DTMF (RFC 4733);
 * - direction gates the stream (RFC 3264 §5.1, §6.1): when we hold with sendonly we keep sending
 *   (hold music if configured), when the peer holds us we stop, inactive stops both;
 * - a new remote address or port moves the stream, sequence and timestamp run on (RFC 3550 §5.1);
 * - SRTP (RFC 3711) when SDES keys were agreed (RFC 4568);
 * - received audio goes through a jitter buffer to the sink, played out every ptime.
 * The call layer knows nothing of this: it calls the seam (session.ts).
 */
import { EventEmitter } from 'node:events';
import { OfferAnswer, receives, sends, type Codec } from '../sdp/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { findAudioCodec, loadOpus, type AudioCodec, type OpusCodec } from './codecs/index.js';
import { DtmfReceiver, encodeDigit, eventToDigit } from './dtmf.js';
import { JitterBuffer } from './jitter-buffer.js';
import { Pacer } from './pacer.js';
import { FrameTicker } from './ticker.js';
import { RtpSession } from './rtp-session.js';
import type { RtpTapEvent } from './rtp-types.js';
import type {
  MediaAnswerOptions,
  MediaApplyOptions,
  MediaOfferOptions,
  MediaSession,
  MediaSessionContext,
  MediaState,
} from './session.js';
import type { FrameSink } from './sinks.js';
import type { FrameSource } from './sources.js';
import { isOpus, mediaCodecs } from './codec-choice.js';
import { SAMPLE_RATE } from './pcm.js';
import { MediaNotReadyError, type MediaStats, type RtpMediaEvents, type RtpMediaOptions } from './rtp-media-types.js';

export { MediaNotReadyError, type MediaStats, type RtpMediaEvents, type RtpMediaOptions } from './rtp-media-types.js';

export class RtpMedia extends EventEmitter<RtpMediaEvents> implements MediaSession {
  private rtp: RtpSession | undefined;
  private oa: OfferAnswer | undefined;
  private codec: AudioCodec | undefined;
  /** This call's own Opus encoder/decoder (stateful), when opus is in the codec list. */
  private opus: OpusCodec | undefined;
  private jitterScale = 1;
  private source: FrameSource | undefined;
  private holdMusic: FrameSource | undefined;
  private sink: FrameSink | undefined;
  private jitter: JitterBuffer | undefined;
  private playout: Pacer | undefined;
  private readonly dtmfIn = new DtmfReceiver();
  /** While a digit is being sent, audio frames pause (RFC 4733 §2.5.1.3). */
  private dtmfBusy: Promise<void> = Promise.resolve();
  /** Clock rate of the negotiated telephone-event (8000, or 48000 beside opus). */
  private dtmfClockRate = 8000;
  private sendingDtmf = false;
  /** We hold the peer (from the last negotiation): hold music plays. Read every frame, so cached. */
  private localHold = false;
  private readonly timers = new Set<TimerHandle>();
  private readonly clock: Clock;
  private closing: Promise<void> | undefined;
  /** The open() in flight: close() waits for it, so ports bound after close() was called are freed too. */
  private opening: Promise<void> | undefined;

  constructor(
    private readonly ctx: MediaSessionContext,
    private readonly opts: RtpMediaOptions,
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
  }

  // ---- the seam ---------------------------------------------------------------------------------

  async open(): Promise<void> {
    if (this.closing) throw new MediaNotReadyError('open');
    this.opening = this.start();
    try {
      await this.opening;
    } catch (e) {
      // nothing half-open stays behind: ports are freed
      await this.close();
      throw e;
    }
    // closed while the ports were being bound (a call ended during its answer): close() freed them
    if (this.closing) throw new MediaNotReadyError('open');
  }

  private async start(): Promise<void> {
    const ptime = this.opts.ptime ?? 20;
    const codecs = mediaCodecs(this.opts.codecs);
    // opusscript is loaded only for calls that may use it; without it: OpusUnavailableError
    if (codecs.some(isOpus)) this.opus = (await loadOpus())();
    this.rtp = await RtpSession.open({
      allocator: this.opts.allocator,
      address: this.ctx.address,
      payloadType: codecs[0]!.payloadType,
      ptimeMs: ptime,
      clock: this.clock,
      ...(this.opts.ticker ? { ticker: this.opts.ticker } : {}),
      direction: 'inactive',
      ...(this.opts.latch ? { latch: true } : {}),
      ...(this.opts.tap ? { tap: (d: RtpTapEvent) => this.opts.tap!(this.ctx, d) } : {}),
    });
    this.rtp.on('audio', (p) => this.onAudio(p.sequenceNumber, p.timestamp, p.payload));
    this.rtp.on('dtmf', (p) => this.onDtmf(p.payload, p.timestamp, p.marker));
    this.rtp.on('error', (e) => this.fail(e));
    this.oa = new OfferAnswer({
      address: this.ctx.address,
      port: this.rtp.localPort,
      codecs,
      ptime,
      srtp: this.opts.srtp ?? (this.ctx.secure ? 'offer' : 'off'),
      ...(this.opts.srtpSuites ? { srtpSuites: this.opts.srtpSuites } : {}),
    });
    this.source = this.opts.source?.(this.ctx);
    this.holdMusic = this.opts.holdMusic?.(this.ctx);
    const sink = await this.opts.sink?.(this.ctx);
    if (sink) this.record(sink);
  }

  get state(): MediaState {
    const s = this.need('state').state;
    return { ...s, srtp: s.srtp !== undefined };
  }
  get hasPendingOffer(): boolean {
    return this.oa?.hasPendingOffer ?? false;
  }
  get localSdp(): string | undefined {
    return this.oa?.localSdp;
  }
  /** Our RTP port (RTCP is the next one). */
  get localPort(): number | undefined {
    return this.rtp?.localPort;
  }

  createOffer(opts: MediaOfferOptions = {}): string {
    return this.need('createOffer').createOffer(opts);
  }
  applyAnswer(sdp: string | Uint8Array, opts: MediaApplyOptions = {}): MediaState {
    this.need('applyAnswer').setRemoteAnswer(sdp, { keepOffer: opts.early === true });
    this.follow();
    return this.state;
  }
  answerOffer(sdp: string | Uint8Array, opts: MediaAnswerOptions = {}): string {
    const answer = this.need('answerOffer').createAnswer(sdp, opts.hold === undefined ? {} : { hold: opts.hold });
    this.follow();
    return answer;
  }
  rollback(): void {
    this.oa?.rollback();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // an open() in flight binds its ports later: let it finish, then free them with the rest
      await this.opening?.catch(() => undefined);
      for (const t of this.timers) this.clock.clearTimeout(t);
      this.timers.clear();
      this.playout?.stop();
      this.source?.close();
      this.holdMusic?.close();
      await this.rtp?.close();
      await this.sink?.close();
      this.opus?.close();
    })();
    return this.closing;
  }

  // ---- what applications do with the audio ------------------------------------------------------

  /** Send this source from now on (replacing the current one); resolves when it has ended. */
  play(source: FrameSource): Promise<void> {
    if (this.source && this.source !== source) this.source.close();
    this.source = source;
    this.follow();
    return source.done;
  }

  /** Received audio goes to this sink from now on (one frame per ptime, after the jitter buffer). */
  record(sink: FrameSink): void {
    const previous = this.sink;
    this.sink = sink;
    if (previous && previous !== sink) void previous.close();
    this.jitter ??= this.newJitter();
    if (!this.playout) {
      const ticker = this.opts.ticker ? { ticker: this.opts.ticker } : {};
      this.playout = new Pacer({ clock: this.clock, intervalMs: this.opts.ptime ?? 20, ...ticker }, () => {
        const frame = this.jitter!.pull();
        if (frame.status !== 'buffering') this.sink?.write(frame.samples);
      });
      this.playout.start();
    }
  }

  /**
   * Send DTMF digits (RFC 4733 telephone-event), one after another with `gapMs` between them.
   * Rejects when telephone-event was not negotiated or the stream does not send.
   */
  sendDtmf(digits: string, opts: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    const run = this.dtmfBusy.then(async () => {
      for (const digit of digits) {
        await this.sendDigit(digit, opts.durationMs ?? 100);
        await this.sleep(opts.gapMs ?? 60);
      }
    });
    this.dtmfBusy = run.catch(() => undefined);
    return run;
  }

  /** RTP ticks per decoded 8 kHz sample: 6 for Opus's 48 kHz clock (RFC 7587 §4.1), else 1. */
  private newJitter(): JitterBuffer {
    this.jitterScale = (this.codec?.clockRate ?? SAMPLE_RATE) / SAMPLE_RATE;
    const ticksPerSample = this.jitterScale;
    return new JitterBuffer({ depthMs: this.opts.jitterMs ?? 60, frameMs: this.opts.ptime ?? 20, ticksPerSample });
  }

  stats(): MediaStats {
    const rtp = this.rtp?.stats() ?? {
      sent: 0,
      received: 0,
      lost: 0,
      jitterMs: 0,
      octetsSent: 0,
      octetsReceived: 0,
      discarded: 0,
      srtpFailures: 0,
      skippedFrames: 0,
    };
    const s = this.oa?.state;
    return {
      codec: this.codec?.name,
      direction: s?.direction,
      srtp: s?.srtp !== undefined,
      rtp,
      late: this.jitter?.stats.late ?? 0,
    };
  }

  // ---- following the negotiation -----------------------------------------------------------------

  /** Make the stream match what offer/answer last agreed. */
  private follow(): void {
    const rtp = this.rtp;
    const s = this.oa?.state;
    if (!rtp || !s?.negotiated || this.closing) return;
    const audio = s.codecs.filter((c) => !/^telephone-event$/i.test(c.name));
    const chosen = audio
      .map((c) => ({ c, codec: isOpus(c) ? this.opus : findAudioCodec(c.name, c.clockRate) }))
      .find((x) => x.codec);
    // RFC 4733 §7.1.1: the telephone-event of the audio codec's clock rate when both sides have it
    const events = s.codecs.filter((c) => /^telephone-event$/i.test(c.name));
    const dtmf = events.find((c) => c.clockRate === chosen?.c.clockRate) ?? events[0];
    this.dtmfClockRate = dtmf?.clockRate ?? 8000;
    if (chosen) {
      this.codec = chosen.codec!;
      rtp.setClockRate(this.codec.clockRate);
      // buffered audio timed in another clock: start afresh in this one
      if (this.jitter && this.jitterScale !== this.codec.clockRate / SAMPLE_RATE) this.jitter = this.newJitter();
      rtp.setPayloadTypes(
        chosen.c.payloadType,
        audio.map((c: Codec) => c.payloadType),
        dtmf?.payloadType,
      );
    }
    // c=0.0.0.0 (RFC 2543 hold) or port 0: nowhere to send
    if (s.remoteAddress && s.remotePort && s.remoteAddress !== '0.0.0.0' && s.remoteAddress !== '::')
      rtp.setRemote({ address: s.remoteAddress, port: s.remotePort });
    rtp.setSrtp(
      s.srtp
        ? { suite: s.srtp.suite, localKey: s.srtp.localKey.bytes(), remoteKey: s.srtp.remoteKey.bytes() }
        : undefined,
    );
    this.localHold = s.localHold;
    const direction = chosen ? (s.direction ?? 'inactive') : 'inactive';
    rtp.setDirection(direction);
    if (sends(direction)) rtp.startPacing(() => this.nextFrame());
    else rtp.stopPacing();
    if (!receives(direction)) this.jitter?.reset();
  }

  /** One encoded frame for the pacer: hold music while we hold, else the source. */
  private nextFrame(): Uint8Array | undefined {
    if (this.sendingDtmf || !this.codec) return undefined;
    const src = this.localHold && this.holdMusic ? this.holdMusic : this.source;
    const pcm = src?.next();
    return pcm ? this.codec.encode(pcm) : undefined;
  }

  private onAudio(sequence: number, timestamp: number, payload: Uint8Array): void {
    if (!this.jitter || !this.codec) return;
    let samples: Int16Array;
    try {
      samples = this.codec.decode(payload);
    } catch {
      // a corrupt Opus packet (libopus rejects it): dropped like a lost one
      return;
    }
    this.jitter.push({ sequence, timestamp, samples });
  }

  private onDtmf(payload: Uint8Array, timestamp: number, marker: boolean): void {
    const press = this.dtmfIn.push({ payload, timestamp, marker });
    if (!press) return;
    const digit = eventToDigit(press.event);
    if (digit) this.emit('dtmf', digit);
  }

  private async sendDigit(digit: string, durationMs: number): Promise<void> {
    const rtp = this.rtp;
    if (!rtp || this.closing) throw new MediaNotReadyError('sendDtmf');
    // durations count ticks of the telephone-event clock (RFC 4733 §2.5.1.3)
    const packets = encodeDigit(digit, { timestamp: rtp.timestamp, durationMs, clockRate: this.dtmfClockRate });
    this.sendingDtmf = true;
    try {
      let at = 0;
      for (const p of packets) {
        await this.sleep(p.offsetMs - at);
        at = p.offsetMs;
        rtp.sendDtmf(p.payload, { marker: p.marker, timestamp: p.timestamp });
      }
    } finally {
      this.sendingDtmf = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private need(what: string): OfferAnswer {
    if (!this.oa) throw new MediaNotReadyError(what);
    return this.oa;
  }

  private fail(e: Error): void {
    // an 'error' event without a listener would throw (and end the process)
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

/** A media factory for UserAgentOptions.mediaFactory: every call gets its own RTP session. */
export function rtpMediaFactory(opts: RtpMediaOptions): (ctx: MediaSessionContext) => RtpMedia {
  // the calls of one factory (one user agent) share one pacing grid
  const shared = { ...opts, ticker: opts.ticker ?? new FrameTicker(opts.clock ?? systemClock) };
  return (ctx) => new RtpMedia(ctx, shared);
}
