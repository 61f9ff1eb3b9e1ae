/**
 * DTMF as RTP telephone-events (RFC 4733): the 4-byte payload, the packet sequence that sends one
 * digit, and a receiver that turns a lossy, duplicated, reordered packet stream into exactly one
 * event per key press. Payload only: the RTP header (sequence number, SSRC, payload type) is the
 * RTP layer's; this module says which packets carry the marker bit and which timestamp they use.
 */
import { FRAME_MS, SAMPLE_RATE } from './pcm.js';

/** Malformed telephone-event payload or an argument no digit can be sent with. */
export class DtmfError extends Error {
  override readonly name = 'DtmfError';
}

/** The DTMF events of RFC 4733 §3.2 Table 7 (events 0 … 15). */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

const DIGITS = '0123456789*#ABCD';
/** The usual dynamic payload type for telephone-event/8000 (negotiated in SDP, so only a default). */
export const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
/** Largest duration one event segment can carry (RFC 4733 §2.5.1.3). */
const MAX_DURATION = 0xffff;

/** The event code of a DTMF digit (case-insensitive for A–D); throws DtmfError for anything else. */
export function digitToEvent(digit: string): number {
  const i = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (i < 0) throw new DtmfError(`DTMF: "${digit}" is not a DTMF digit (0-9 * # A-D)`);
  return i;
}

/** The digit of a DTMF event code, undefined for other telephone-events (e.g. 16 flash). */
export function eventToDigit(event: number): DtmfDigit | undefined {
  return event >= 0 && event < 16 ? (DIGITS[event] as DtmfDigit) : undefined;
}

/** RFC 4733 §2.3 payload fields. */
export interface TelephoneEvent {
  event: number;
  /** E bit: this is (a retransmission of) the final packet of the event. */
  end: boolean;
  /** Power level in −dBm0, 0 … 63 (RFC 4733 §2.3.4). */
  volume: number;
  /** Duration in timestamp units since the event's timestamp (RFC 4733 §2.3.5). */
  duration: number;
}

/** The 4-byte payload (RFC 4733 §2.3 Figure 1). */
export function encodeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  if (
    !(e.event >= 0 && e.event <= 255) ||
    !(e.volume >= 0 && e.volume <= 63) ||
    !(e.duration >= 0 && e.duration <= MAX_DURATION)
  )
    throw new DtmfError(`DTMF: event ${e.event}, volume ${e.volume} or duration ${e.duration} out of range`);
  return Uint8Array.of(e.event, (e.end ? 0x80 : 0) | e.volume, e.duration >> 8, e.duration & 0xff);
}

/** Parse the first event of a payload; throws DtmfError if shorter than 4 bytes. */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < 4) throw new DtmfError(`DTMF: telephone-event payload of ${payload.length} bytes (need 4)`);
  // the R bit (0x40) is reserved: ignored on receipt (RFC 4733 §2.3.3)
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

export interface DtmfSendOptions {
  /** RTP timestamp of the event's start: every packet of the event carries it (RFC 4733 §2.5.1.1). */
  timestamp: number;
  /** Tone length; default 100 ms. At most 0xFFFF timestamp units (8.19 s at 8 kHz). */
  durationMs?: number;
  /** Volume in −dBm0; default 10. */
  volume?: number;
  /** Interval between packets; default 20 ms. */
  intervalMs?: number;
  /** RTP clock rate of telephone-event; default 8000. */
  clockRate?: number;
  /** Times the end packet is sent; default 3 (RFC 4733 §2.5.1.4). */
  endPackets?: number;
}

/** One packet to send; the RTP layer gives it the next sequence number. */
export interface DtmfPacket {
  payload: Uint8Array;
  /** Set on the first packet of the event only (RFC 4733 §2.5.1.1). */
  marker: boolean;
  /** RTP timestamp (unsigned 32-bit), the same on every packet of the event. */
  timestamp: number;
  /** When to send it, in ms after the first packet. */
  offsetMs: number;
  end: boolean;
}

/**
 * The packets that send one digit: updates every `intervalMs` with the same timestamp and a
 * growing duration, the first with the marker bit; the final packet has the E bit and the full
 * duration and is sent `endPackets` times at the same interval (RFC 4733 §2.5.1.2–§2.5.1.4).
 */
export function encodeDigit(digit: string, opts: DtmfSendOptions): DtmfPacket[] {
  const event = digitToEvent(digit);
  const rate = opts.clockRate ?? SAMPLE_RATE;
  const intervalMs = opts.intervalMs ?? FRAME_MS;
  const durationMs = opts.durationMs ?? 100;
  const volume = opts.volume ?? 10;
  const endPackets = opts.endPackets ?? 3;
  const step = Math.round((intervalMs * rate) / 1000);
  const total = Math.round((durationMs * rate) / 1000);
  if (!(step > 0) || !(total >= step))
    throw new DtmfError(`DTMF: duration ${durationMs} ms shorter than the interval ${intervalMs} ms`);
  if (total > MAX_DURATION)
    throw new DtmfError(`DTMF: duration ${durationMs} ms exceeds one event segment (${MAX_DURATION} units)`);
  if (!(endPackets >= 1 && endPackets <= 10)) throw new DtmfError(`DTMF: ${endPackets} end packets (1 … 10)`);
  const timestamp = opts.timestamp >>> 0;
  const packets: DtmfPacket[] = [];
  let offsetMs = 0;
  for (let d = step; d < total; d += step, offsetMs += intervalMs) {
    const payload = encodeTelephoneEvent({ event, end: false, volume, duration: d });
    packets.push({ payload, marker: packets.length === 0, timestamp, offsetMs, end: false });
  }
  for (let i = 0; i < endPackets; i++, offsetMs += intervalMs) {
    const payload = encodeTelephoneEvent({ event, end: true, volume, duration: total });
    packets.push({ payload, marker: packets.length === 0, timestamp, offsetMs, end: true });
  }
  return packets;
}

/** A received telephone-event packet (the RTP layer's view of it). */
export interface DtmfInput {
  payload: Uint8Array;
  timestamp: number;
  marker?: boolean;
}

/** One key press, reported once. */
export interface DtmfPress {
  digit: DtmfDigit;
  event: number;
  /** The event's RTP timestamp. */
  timestamp: number;
  volume: number;
}

export interface DtmfReceiverStats {
  packets: number;
  presses: number;
  /** Packets of a press already reported (updates, end retransmissions, duplicates). */
  repeats: number;
  /** Packets of an older press that was never seen, arriving after a newer one: ignored. */
  stale: number;
  malformed: number;
  /** Telephone-events that are not DTMF digits (e.g. 16 flash). */
  ignored: number;
}

interface PressState {
  event: number;
  ended: boolean;
  /** Largest duration seen. */
  duration: number;
}

/** Signed distance a − b between two 32-bit RTP timestamps (RFC 3550 §5.1 wrap-around). */
function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Turns telephone-event packets into key presses. A press is identified by its RTP timestamp
 * (RFC 4733 §2.5.2.1: packets with the same timestamp belong to the same event), so duplicates,
 * updates, lost start packets and end packets reordered after the next press all collapse into
 * the one report made when its first packet arrives. An event longer than one segment
 * (RFC 4733 §2.5.1.3) continues under a new timestamp without the marker and is not a new press.
 */
export class DtmfReceiver {
  private readonly history = new Map<number, PressState>();
  private readonly historySize: number;
  private newest: number | undefined;
  private readonly counters: DtmfReceiverStats = {
    packets: 0,
    presses: 0,
    repeats: 0,
    stale: 0,
    malformed: 0,
    ignored: 0,
  };

  /** @param historySize presses remembered for de-duplication (default 32). */
  constructor(opts: { historySize?: number } = {}) {
    this.historySize = opts.historySize ?? 32;
  }

  get stats(): Readonly<DtmfReceiverStats> {
    return { ...this.counters };
  }

  /** Feed one packet; returns the press when this packet is the first seen of a new one. */
  push(packet: DtmfInput): DtmfPress | undefined {
    this.counters.packets++;
    let e: TelephoneEvent;
    try {
      e = decodeTelephoneEvent(packet.payload);
    } catch {
      this.counters.malformed++;
      return undefined;
    }
    const ts = packet.timestamp >>> 0;
    const known = this.history.get(ts);
    if (known) {
      this.counters.repeats++;
      known.ended ||= e.end;
      known.duration = Math.max(known.duration, e.duration);
      return undefined;
    }
    const digit = eventToDigit(e.event);
    if (digit === undefined) {
      this.counters.ignored++;
      return undefined;
    }
    if (this.newest !== undefined) {
      if (tsDiff(ts, this.newest) < 0) {
        this.counters.stale++;
        return undefined;
      }
      const prev = this.history.get(this.newest)!;
      if (this.isNextSegment(prev, e, ts, packet.marker === true)) {
        this.counters.repeats++;
        this.remember(ts, { event: e.event, ended: e.end, duration: e.duration });
        return undefined;
      }
    }
    this.remember(ts, { event: e.event, ended: e.end, duration: e.duration });
    this.counters.presses++;
    return { digit, event: e.event, timestamp: ts, volume: e.volume };
  }

  /** A long event's next segment starts where the previous one reached 0xFFFF (RFC 4733 §2.5.1.3). */
  private isNextSegment(prev: PressState, e: TelephoneEvent, ts: number, marker: boolean): boolean {
    if (marker || prev.ended || prev.event !== e.event) return false;
    // tolerate a few lost updates at the end of the previous segment
    const slack = 3 * 160;
    const gap = tsDiff(ts, this.newest!);
    return prev.duration >= MAX_DURATION - slack && gap >= MAX_DURATION - slack && gap <= MAX_DURATION + slack;
  }

  private remember(ts: number, state: PressState): void {
    this.history.set(ts, state);
    this.newest = ts;
    if (this.history.size > this.historySize) this.history.delete(this.history.keys().next().value!);
  }
}
