/** The options, events, statistics and errors of RtpMedia (rtp-media.ts), apart from the class. */
import type { CryptoSuite, SrtpPolicy } from '../sdp/index.js';
import type { Clock } from '../util/clock.js';
import type { PortAllocator } from './ports.js';
import type { RtpStats } from './rtp-session.js';
import type { RtpTapEvent } from './rtp-types.js';
import type { MediaSessionContext } from './session.js';
import type { FrameSink } from './sinks.js';
import type { FrameSource } from './sources.js';
import type { FrameTicker } from './ticker.js';

export interface RtpMediaOptions {
  /** RTP/RTCP port pairs (one allocator per user agent). */
  allocator: PortAllocator;
  /** Codec names in preference order (default PCMU, PCMA); telephone-event is always offered. */
  codecs?: readonly string[];
  /** a=ptime and the frame size we send (default 20 ms). */
  ptime?: number;
  /**
   * SRTP with SDES: 'off', 'offer' (RTP/AVP with a=crypto), 'require' (RTP/SAVP only). Default:
   * 'offer' on sips:/TLS calls, 'off' otherwise.
   */
  srtp?: SrtpPolicy;
  srtpSuites?: readonly CryptoSuite[];
  /** What this call sends (default: nothing until play()). */
  source?: (ctx: MediaSessionContext) => FrameSource | undefined;
  /** What we send while we hold the peer (RFC 3264 §8.4 sendonly: hold music). */
  holdMusic?: (ctx: MediaSessionContext) => FrameSource | undefined;
  /** Where received audio goes (a recorder, an application stream). */
  sink?: (ctx: MediaSessionContext) => FrameSink | Promise<FrameSink> | undefined;
  /** Jitter buffer depth (default 60 ms). */
  jitterMs?: number;
  /** Send to where the peer's packets come from (NAT); default false. */
  latch?: boolean;
  /** Sees every RTP/RTCP datagram sent (traces, pcaps). */
  tap?: (ctx: MediaSessionContext, d: RtpTapEvent) => void;
  clock?: Clock;
  /**
   * Pace sending and playout on this shared grid: one timer for all the legs that share it
   * (rtpMediaFactory gives its calls one). Default: timers of this session's own.
   */
  ticker?: FrameTicker;
}

export interface MediaStats {
  codec: string | undefined;
  direction: string | undefined;
  srtp: boolean;
  rtp: Pick<RtpStats, 'sent' | 'received' | 'lost' | 'jitterMs'> & RtpStats;
  /** Received packets the jitter buffer dropped as late. */
  late: number;
}

export interface RtpMediaEvents {
  /** A DTMF key press from the peer (RFC 4733). */
  dtmf: [digit: string];
  error: [error: Error];
}

export class MediaNotReadyError extends Error {
  constructor(what: string) {
    super(`media: ${what} before the session was opened or after it closed`);
    this.name = 'MediaNotReadyError';
  }
}
