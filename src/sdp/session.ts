/**
 * The SDP session description model (RFC 8866 §5, which obsoletes RFC 4566). Every field of the
 * grammar has a typed home, so that parse → serialize of a well-formed description is
 * byte-identical. Numbers that may exceed 2^53 (o= session id/version, t= NTP times) are strings.
 */

/** Media direction attributes (RFC 8866 §6.7, RFC 3264 §5.1). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** o= (RFC 8866 §5.2). */
export interface Origin {
  username: string;
  /** 1*DIGIT, kept as text: it may exceed Number.MAX_SAFE_INTEGER. */
  sessionId: string;
  /** 1*DIGIT, kept as text (use BigInt() to do arithmetic). */
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** c= (RFC 8866 §5.7). IPv6 addresses are written without brackets. */
export interface Connection {
  netType: string;
  addrType: string;
  address: string;
  /** IP4 multicast TTL (`224.2.1.1/127`). */
  ttl?: number;
  /** Number of multicast addresses (`/3` after the TTL for IP4, directly after the address for IP6). */
  count?: number;
}

/** b= (RFC 8866 §5.8): `<bwtype>:<bandwidth>`, e.g. AS (kbit/s) or TIAS (bit/s, RFC 3890). */
export interface Bandwidth {
  type: string;
  bandwidth: number;
}

/** r= (RFC 8866 §5.10): typed times such as `7d`, `1h`, `3600`. */
export interface Repeat {
  interval: string;
  duration: string;
  offsets: string[];
}

/** One pair of a z= line (RFC 8866 §5.11): adjustment time (NTP) and offset such as `-1h`. */
export interface ZoneAdjustment {
  time: string;
  offset: string;
}

/** t= with its r= lines and optional z= line (RFC 8866 §5.9–§5.11, time description). */
export interface Timing {
  /** NTP seconds, or 0 (unbounded); text, as NTP times can be large. */
  start: string;
  stop: string;
  repeats: Repeat[];
  zones?: ZoneAdjustment[];
}

/** k= (RFC 8866 §5.12, obsolete but still parsed): `prompt`, `clear:<key>`, `base64:<key>`, `uri:<uri>`. */
export interface EncryptionKey {
  method: string;
  key?: string;
}

/**
 * a= (RFC 8866 §5.13): `a=<name>` (property, value undefined) or `a=<name>:<value>` (value kept
 * verbatim, possibly empty). Unknown attributes stay as they were, in order.
 */
export interface Attribute {
  name: string;
  value?: string;
}

/** A media description (RFC 8866 §5.14): the m= line and what follows it. */
export interface MediaDescription {
  /** audio, video, text, application, message, or anything else (kept). */
  media: string;
  port: number;
  /** `m=video 49170/2 ...`: number of ports. */
  portCount?: number;
  /** RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, udp, TCP/MSRP, ... */
  proto: string;
  /** Payload type numbers for RTP, otherwise protocol-specific tokens. */
  formats: string[];
  /** i= media title. */
  title?: string;
  /** c= lines of this media (several are allowed for layered multicast, RFC 8866 §5.7). */
  connections: Connection[];
  bandwidths: Bandwidth[];
  key?: EncryptionKey;
  attributes: Attribute[];
}

/** A whole session description. */
export interface SessionDescription {
  /** v= is always 0 (RFC 8866 §5.1). */
  version: 0;
  origin: Origin;
  /** s= (may be `-` or a single space when there is no name). */
  sessionName: string;
  /** i= */
  information?: string;
  /** u= */
  uri?: string;
  /** e= lines */
  emails: string[];
  /** p= lines */
  phones: string[];
  connection?: Connection;
  bandwidths: Bandwidth[];
  /** One or more time descriptions (SIP uses a single `t=0 0`, RFC 3264 §5). */
  timing: Timing[];
  key?: EncryptionKey;
  attributes: Attribute[];
  media: MediaDescription[];
}
