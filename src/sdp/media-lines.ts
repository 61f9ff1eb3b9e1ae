// The m= lines of our offers and answers: the audio stream we build, the codecs both sides
// share, rejected streams and the RFC 6337 §5.3 answer directions.
import { formatRtpmap, getCodec, getFmtp } from './attributes.js';
import { commonEvents, isTelephoneEvent, sameCodec, type Codec } from './codecs.js';
import { formatCrypto, type CryptoAttribute } from './crypto.js';
import type { Slot } from './offer-answer-types.js';
import type { Attribute, Direction, MediaDescription } from './session.js';

/** Our audio m= line: rtpmap (and fmtp) for every codec, ptime, a=crypto, the direction. */
export function audioMedia(
  local: { port: number; ptime: number },
  codecs: Codec[],
  direction: Direction,
  proto: string,
  crypto: readonly CryptoAttribute[],
): MediaDescription {
  const attributes: Attribute[] = [];
  for (const c of codecs) {
    // rtpmap for static types too, as RFC 3264 §5.1 recommends
    attributes.push({
      name: 'rtpmap',
      value: formatRtpmap({
        payloadType: c.payloadType,
        encoding: c.name,
        clockRate: c.clockRate,
        ...(c.channels !== undefined ? { channels: c.channels } : {}),
      }),
    });
    if (c.fmtp !== undefined) attributes.push({ name: 'fmtp', value: `${c.payloadType} ${c.fmtp}` });
  }
  if (local.ptime > 0) attributes.push({ name: 'ptime', value: String(local.ptime) });
  for (const c of crypto) attributes.push({ name: 'crypto', value: formatCrypto(c) });
  // always explicit, even sendrecv: the peer need not know the default
  attributes.push({ name: direction });
  return {
    media: 'audio',
    port: local.port,
    proto,
    formats: codecs.map((c) => String(c.payloadType)),
    connections: [],
    bandwidths: [],
    attributes,
  };
}

/** Our codecs in an offered stream, in the offerer's order and with its payload types (RFC 3264 §6.1). */
export function matchOffered(m: MediaDescription, local: readonly Codec[]): Codec[] {
  const out: Codec[] = [];
  for (const f of m.formats) {
    const r = getCodec(m, f);
    const mine = r && local.find((c) => sameCodec(c, r));
    // one of each codec; telephone-event once per clock rate (RFC 4733 §7.1.1: 8 kHz beside G.711,
    // 48 kHz beside opus), so the stream can use the one of its audio codec's rate
    if (!mine || out.some((c) => c.name === mine.name && c.clockRate === mine.clockRate)) continue;
    if (isTelephoneEvent(mine)) {
      const events = commonEvents(getFmtp(m, f), mine.fmtp);
      if (events !== undefined) out.push({ ...mine, payloadType: r.payloadType, fmtp: events });
    } else out.push({ ...mine, payloadType: r.payloadType, ...fmtpOf(mine, getFmtp(m, f)) });
  }
  // telephone-event alone carries no audio; an exact-size copy: the result is kept for the call's
  // life, and the pushes left room for 16
  return out.some((c) => !isTelephoneEvent(c)) ? out.slice() : [];
}

/** RFC 6337 §5.3 answer directions, given the offer's direction and whether we hold. */
export function answerDirection(offered: Direction, localHold: boolean): Direction {
  switch (offered) {
    case 'sendrecv':
      return localHold ? 'sendonly' : 'sendrecv';
    case 'sendonly':
      return localHold ? 'inactive' : 'recvonly';
    case 'recvonly':
      // RFC 3264 §6.1, RFC 6337 §5.3: they only receive, so we send, held or not (a holder keeps
      // sending, e.g. music); our hold only stops what we receive
      return 'sendonly';
    case 'inactive':
      return 'inactive';
  }
}

/** A rejected stream: port 0, same media, transport and formats (RFC 3264 §6, §8.2). */
export function rejected(s: Slot): MediaDescription {
  return {
    media: s.media,
    port: 0,
    proto: s.proto,
    formats: s.formats.length > 0 ? [...s.formats] : ['0'],
    connections: [],
    bandwidths: [],
    attributes: [],
  };
}

export function slotOf(m: MediaDescription): Slot {
  return { media: m.media, proto: m.proto, formats: [...m.formats] };
}

/** Our fmtp for a codec, with the peer's where it gave one. */
export function fmtpOf(mine: Codec, theirs: string | undefined): { fmtp?: string } {
  const f = theirs ?? mine.fmtp;
  return f !== undefined ? { fmtp: f } : {};
}
