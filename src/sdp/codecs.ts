/** The codecs the offer/answer engine can negotiate, and how they are matched (RFC 3264 §6.1). */
import type { RtpMap } from './attributes.js';

export interface Codec {
  /** Encoding name as in a=rtpmap (compared case-insensitively, RFC 4855 §3). */
  name: string;
  clockRate: number;
  channels?: number;
  /** The payload type we offer it with (static, or our choice of dynamic number). */
  payloadType: number;
  /** a=fmtp parameters we offer. */
  fmtp?: string;
}

/** G.711 µ-law, static payload type 0 (RFC 3551 §6). */
export const PCMU: Codec = Object.freeze({ name: 'PCMU', clockRate: 8000, payloadType: 0 });
/** G.711 A-law, static payload type 8 (RFC 3551 §6). */
export const PCMA: Codec = Object.freeze({ name: 'PCMA', clockRate: 8000, payloadType: 8 });
/**
 * Opus (RFC 7587 §7): always `opus/48000/2` in SDP whatever is really sent; we send mono. A
 * dynamic payload type; minptime and in-band FEC as RFC 7587 §6.1 describes.
 */
export const OPUS: Codec = Object.freeze({
  name: 'opus',
  clockRate: 48000,
  channels: 2,
  payloadType: 111,
  fmtp: 'minptime=10;useinbandfec=1',
});
/** DTMF events (RFC 4733), dynamic payload type; events 0-9, *, #, A-D and flash. */
export const TELEPHONE_EVENT: Codec = Object.freeze({
  name: 'telephone-event',
  clockRate: 8000,
  payloadType: 101,
  fmtp: '0-16',
});

/**
 * DTMF events at Opus's 48 kHz clock: RFC 4733 §7.1.1 wants the event clock to match the audio's,
 * so a peer that sends opus may offer only this one. Offered beside opus, with its own payload type.
 */
export const TELEPHONE_EVENT_48K: Codec = Object.freeze({
  name: 'telephone-event',
  clockRate: 48000,
  payloadType: 110,
  fmtp: '0-16',
});

export const DEFAULT_CODECS: readonly Codec[] = Object.freeze([PCMU, PCMA, TELEPHONE_EVENT]);

/** Same codec: name (case-insensitive), clock rate and channel count (absent = 1). */
export function sameCodec(c: Codec, r: RtpMap): boolean {
  return (
    c.name.toLowerCase() === r.encoding.toLowerCase() &&
    c.clockRate === r.clockRate &&
    (c.channels ?? 1) === (r.channels ?? 1)
  );
}

export function isTelephoneEvent(c: Codec): boolean {
  return c.name.toLowerCase() === 'telephone-event';
}

/** Parse an RFC 4733 §2.4.1 event list (`0-15,66,70`); undefined when malformed. */
export function parseEventList(s: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*([0-9]{1,3})(?:-([0-9]{1,3}))?\s*$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 255) return undefined;
    for (let e = lo; e <= hi; e++) out.add(e);
  }
  return out;
}

export function formatEventList(events: Set<number>): string {
  const sorted = [...events].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Events both sides support, for the answer's a=fmtp. Without an fmtp the offerer supports
 * 0-15 (RFC 4733 §2.4.1); a malformed list is read the same way. Undefined when none is common.
 */
export function commonEvents(offered: string | undefined, ours: string | undefined): string | undefined {
  const theirs = (offered !== undefined ? parseEventList(offered) : undefined) ?? parseEventList('0-15')!;
  const mine = (ours !== undefined ? parseEventList(ours) : undefined) ?? parseEventList('0-15')!;
  const both = new Set([...theirs].filter((e) => mine.has(e)));
  return both.size > 0 ? formatEventList(both) : undefined;
}
