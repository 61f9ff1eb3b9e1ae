/** Options, statistics and events of an RTP session (see rtp-session.ts). */
import type { Direction } from '../sdp/index.js';
import type { Clock } from '../util/clock.js';
import type { FrameTicker } from './ticker.js';
import type { PortAllocator } from './ports.js';
import type { RtcpPacket } from './rtcp.js';
import type { RtpPacket } from './rtp-packet.js';
import type { SrtpSuite } from './srtp.js';

export interface RtpRemote {
  address: string;
  port: number;
  /** Default port + 1 (RFC 3550 §11). */
  rtcpPort?: number;
}

/** SRTP keys for one session: ours protect what we send, the peer's unprotect what we receive. */
export interface RtpSrtpOptions {
  suite: SrtpSuite;
  /** Our master key and salt (30 octets). */
  localKey: Uint8Array;
  /** The peer's master key and salt (30 octets). */
  remoteKey: Uint8Array;
  replayWindow?: number;
}

export interface RtpSessionOptions {
  allocator: PortAllocator;
  /** Local address to bind (loopback in tests). */
  address: string;
  /** Payload type of the audio we send. */
  payloadType: number;
  /** Payload types delivered as audio (default: payloadType). */
  receivePayloadTypes?: readonly number[];
  /** telephone-event payload type (RFC 4733), if negotiated. */
  dtmfPayloadType?: number;
  clockRate?: number;
  /** Frame duration (a=ptime), default 20 ms. */
  ptimeMs?: number;
  remote?: RtpRemote;
  direction?: Direction;
  /** Send to where the peer's packets come from (NAT), default false. */
  latch?: boolean;
  srtp?: RtpSrtpOptions;
  /** Mean RTCP report interval, default 5000 ms (RFC 3550 §6.2), randomised ×[0.5, 1.5] (§6.3.1). */
  rtcpIntervalMs?: number;
  /** SDES CNAME (default random). */
  cname?: string;
  clock?: Clock;
  /** Pace sending on this shared grid (one timer for many streams) instead of a timer of our own. */
  ticker?: FrameTicker;
  /** Wall clock for RTCP NTP timestamps (ms since 1970), default Date.now. */
  wallClock?: () => number;
  /** Uniform [0, 1) for the RTCP interval, default Math.random. */
  random?: () => number;
  /** Datagrams longer than this are dropped unread (default 4096). */
  maxPacketSize?: number;
  /** Sees every datagram we send (RTP and RTCP as sent, SRTP-protected when on), for traces and pcaps. */
  tap?: (d: RtpTapEvent) => void;
  /** Remote SSRCs tracked for statistics (default 8; the oldest is forgotten). */
  maxSources?: number;
}

export interface RtpTapEvent {
  bytes: Uint8Array;
  local: { host: string; port: number };
  remote: { host: string; port: number };
}

export interface RtpStats {
  sent: number;
  received: number;
  lost: number;
  jitterMs: number;
  octetsSent: number;
  octetsReceived: number;
  /** Incoming datagrams dropped: malformed, failed SRTP, unknown payload type, invalid sequence. */
  discarded: number;
  /** Incoming SRTP/SRTCP that failed authentication or replay checks. */
  srtpFailures: number;
  /** Frames skipped because the process fell behind the pacing schedule. */
  skippedFrames: number;
}

export interface RtpSessionEvents {
  /** An audio packet (receiving direction only). The payload is a view of the datagram. */
  audio: [packet: RtpPacket];
  /** A telephone-event packet (RFC 4733), receiving direction only. */
  dtmf: [packet: RtpPacket];
  rtcp: [packets: RtcpPacket[]];
  /** The peer sent RTCP BYE. */
  bye: [ssrcs: number[], reason: string | undefined];
  /** We latched to a new source address. */
  latched: [remote: RtpRemote];
  error: [error: Error];
  close: [];
}

/** Gives the payload of frame `tick` (each ptime), or undefined for silence (nothing sent). */
export type FrameSource = (tick: number) => Uint8Array | undefined;
