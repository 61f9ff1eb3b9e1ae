/**
 * Offer/answer (RFC 3264) for one audio session, with the hold rules of RFC 3264 §8.4 and
 * RFC 6337 §5.3. It knows nothing of SIP transactions or dialogs: the call layer asks it for
 * offers and answers and hands it the peer's. Its state is always what was last negotiated;
 * an offer that fails (non-2xx, unusable answer) is rolled back.
 *
 * Hold model: "we hold" (localHold) means we asked not to receive the peer's media, so our
 * direction lacks recv; "the peer holds" (remoteHold) means the peer's direction lacks recv
 * (a=sendonly, a=inactive, or the legacy c=0.0.0.0).
 */
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { inspect } from 'node:util';
import { formatRtpmap, getCodec, getFmtp } from './attributes.js';
import { DEFAULT_CODECS, commonEvents, isTelephoneEvent, sameCodec, type Codec } from './codecs.js';
import {
  formatCrypto,
  redactSdpKeys,
  type CryptoAttribute,
  type CryptoSuite,
  type SdesAgreement,
  type SrtpPolicy,
} from './crypto.js';
import { directionFrom, effectiveDirection, mediaConnections, receives, sends } from './direction.js';
import { OfferAnswerError } from './errors.js';
import { parseSdp } from './parse.js';
import { SdesNegotiation } from './sdes.js';
import { serializeSdp } from './serialize.js';
import type { Attribute, Direction, MediaDescription, SessionDescription } from './session.js';

/** Our side of the session. */
export interface LocalMedia {
  /** RTP address (IPv4 or IPv6, no brackets) for c= and o=. */
  address: string;
  port: number;
  /** In preference order; default PCMU, PCMA, telephone-event/101. */
  codecs?: readonly Codec[];
  /** o= username (default `-`). */
  username?: string;
  /** o= sess-id (digits); default random. */
  sessionId?: string;
  /** o= sess-version of the first SDP we send (digits); default equal to the session id. */
  sessionVersion?: string;
  /** s= (default `-`). */
  sessionName?: string;
  /** a=ptime in ms (default 20); 0 leaves it out. */
  ptime?: number;
  /**
   * SRTP with SDES keys (RFC 4568): 'off' (default); 'offer': RTP/AVP with a=crypto, a plain answer
   * accepted; 'require': RTP/SAVP, and offers without a usable a=crypto are refused.
   */
  srtp?: SrtpPolicy;
  /** SDES suites in preference order (default AES_CM_128_HMAC_SHA1_80, then _32). */
  srtpSuites?: readonly CryptoSuite[];
}

export interface NegotiatedState {
  /** Whether an offer/answer exchange has completed. */
  negotiated: boolean;
  /** Our direction on the audio stream as negotiated (what we do), undefined before negotiation. */
  direction: Direction | undefined;
  /** We hold the peer: we asked not to receive its media. */
  localHold: boolean;
  /** The peer holds us: it asked not to receive ours. */
  remoteHold: boolean;
  /** Agreed codecs with the payload types used on the wire, in the answer's order. */
  codecs: Codec[];
  /** Where the peer receives RTP (0.0.0.0 with legacy hold). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** SRTP suite and keys agreed with SDES; undefined for plain RTP. */
  srtp: SdesAgreement | undefined;
}

export interface OfferOptions {
  /** Hold (true) or resume (false) with the RFC 6337 §5.3 rules; default: keep the current hold state. */
  hold?: boolean;
  /** Offer exactly this direction instead (hold is then read from it: no recv = hold). */
  direction?: Direction;
}

export interface AnswerOptions {
  /** Whether we hold the peer; default: keep the current hold state. */
  localHold?: boolean;
  /** Same as localHold (older name). */
  hold?: boolean;
}

/** The m= line layout of the session: RFC 3264 §8 keeps the count and order of m= lines. */
interface Slot {
  media: string;
  proto: string;
  formats: string[];
}

interface PendingOffer {
  direction: Direction;
  localHold: boolean;
  codecs: Codec[];
  slots: Slot[];
  audioIndex: number;
  /** Our a=crypto lines, to match the answer's (RFC 4568 §7.1.3). */
  crypto: CryptoAttribute[];
}

const INITIAL: NegotiatedState = {
  negotiated: false,
  direction: undefined,
  localHold: false,
  remoteHold: false,
  codecs: [],
  remoteAddress: undefined,
  remotePort: undefined,
  srtp: undefined,
};

export class OfferAnswer {
  /** o= sess-id: fixed for the session (RFC 3264 §5). */
  readonly sessionId: string;
  private version: bigint;
  private readonly local: Required<Omit<LocalMedia, 'sessionId' | 'sessionVersion' | 'srtp' | 'srtpSuites'>>;
  /** The last SDP we sent, and the same with its version blanked (to tell whether anything changed). */
  private lastSent: { content: string; sdp: string } | undefined;
  private pending: PendingOffer | undefined;
  private current: NegotiatedState = { ...INITIAL };
  /** m= lines of the session so far, and which one carries our audio. */
  private slots: Slot[] = [];
  private audioIndex = 0;
  /** Payload types agreed for our codecs, reused in later offers (RFC 3264 §8.3.2). */
  private agreedPayloadTypes = new Map<Codec, number>();
  private readonly sdes: SdesNegotiation;

  constructor(local: LocalMedia) {
    if (local.sessionId !== undefined && !/^[0-9]+$/.test(local.sessionId))
      throw new RangeError('sessionId must be digits');
    if (local.sessionVersion !== undefined && !/^[0-9]+$/.test(local.sessionVersion))
      throw new RangeError('sessionVersion must be digits');
    this.sessionId = local.sessionId ?? String(randomInt(1, 2 ** 40));
    this.version = BigInt(local.sessionVersion ?? this.sessionId);
    this.local = {
      address: local.address,
      port: local.port,
      codecs: local.codecs ?? DEFAULT_CODECS,
      username: local.username ?? '-',
      sessionName: local.sessionName ?? '-',
      ptime: local.ptime ?? 20,
    };
    this.sdes = new SdesNegotiation(local.srtp, local.srtpSuites);
  }

  /** A snapshot of the negotiated state. */
  get state(): NegotiatedState {
    return { ...this.current, codecs: [...this.current.codecs] };
  }
  get localHold(): boolean {
    return this.current.localHold;
  }
  get remoteHold(): boolean {
    return this.current.remoteHold;
  }
  /** Our negotiated direction on the audio stream (undefined before the first exchange). */
  get direction(): Direction | undefined {
    return this.current.direction;
  }
  get hasPendingOffer(): boolean {
    return this.pending !== undefined;
  }
  /** The last SDP we produced (offer or answer). */
  get localSdp(): string | undefined {
    return this.lastSent?.sdp;
  }

  /** The last SDP with SDES keys redacted (the SDP itself carries them), for logs. */
  [inspect.custom](): string {
    const sdp = this.localSdp;
    return `OfferAnswer ${inspect({ state: this.current, localSdp: sdp && redactSdpKeys(sdp) })}`;
  }

  // ---- offers -------------------------------------------------------------------------------

  /**
   * An offer. Hold (RFC 6337 §5.3, RFC 3264 §8.4): sendonly, or inactive when the peer holds us
   * (our stream is already recvonly); resume: sendrecv, or recvonly while the peer holds us.
   * Calling it again before the answer replaces the pending offer (same SDP, same version).
   */
  createOffer(opts: OfferOptions = {}): string {
    let direction: Direction;
    let localHold: boolean;
    if (opts.direction) {
      direction = opts.direction;
      localHold = !receives(direction);
    } else {
      localHold = opts.hold ?? this.current.localHold;
      const peerHolds = this.current.remoteHold;
      direction = localHold ? (peerHolds ? 'inactive' : 'sendonly') : peerHolds ? 'recvonly' : 'sendrecv';
    }
    const codecs = this.local.codecs.map((c) => ({
      ...c,
      payloadType: this.agreedPayloadTypes.get(c) ?? c.payloadType,
    }));
    // RFC 3264 §8: keep every m= line of the session, in order; the ones we do not use stay rejected
    const slots = this.slots.length > 0 ? this.slots : [{ media: 'audio', proto: this.sdes.offerProto, formats: [] }];
    const audioIndex = this.slots.length > 0 ? this.audioIndex : 0;
    const crypto = this.sdes.offerLines();
    const media = slots.map((s, i) =>
      i === audioIndex ? this.audioMedia(codecs, direction, s.proto, crypto) : rejected(s),
    );
    const sdp = this.stamp(media);
    this.pending = { direction, localHold, codecs, slots: media.map(slotOf), audioIndex, crypto };
    return sdp;
  }

  /**
   * The peer's answer to our pending offer. Throws SdpParseError (unparsable) or OfferAnswerError
   * (does not fit the offer); either way the offer is rolled back and the state stays as it was.
   * `keepOffer`: an early copy of the answer (SDP in an unreliable 1xx, RFC 3261 §13.2.1): the
   * state follows it but the offer stays pending for the answer proper (in the 2xx).
   */
  setRemoteAnswer(answer: string | Uint8Array, opts: { keepOffer?: boolean } = {}): NegotiatedState {
    const offer = this.pending;
    if (!offer) throw new OfferAnswerError('no offer is pending');
    try {
      this.applyAnswer(offer, parseSdp(answer));
    } catch (e) {
      // an unusable early copy leaves the offer open for the 2xx's answer
      if (!opts.keepOffer) this.pending = undefined;
      throw e;
    }
    if (!opts.keepOffer) this.pending = undefined;
    return this.state;
  }

  private applyAnswer(offer: PendingOffer, sd: SessionDescription): void {
    // RFC 3264 §6: one m= line in the answer for each in the offer, same order and media type
    if (sd.media.length !== offer.slots.length)
      throw new OfferAnswerError(
        `the answer has ${sd.media.length} m= lines, the offer had ${offer.slots.length} (RFC 3264 §6)`,
      );
    sd.media.forEach((m, i) => {
      if (m.media !== offer.slots[i]!.media)
        throw new OfferAnswerError(
          `m= line ${i + 1} of the answer is ${m.media}, the offer had ${offer.slots[i]!.media} (RFC 3264 §6)`,
        );
    });
    const i = offer.audioIndex;
    const m = sd.media[i]!;
    if (m.port === 0) throw new OfferAnswerError('the answer rejected the audio stream (port 0)');
    if (m.proto !== offer.slots[i]!.proto)
      throw new OfferAnswerError(`the answer changed the transport from ${offer.slots[i]!.proto} to ${m.proto}`);
    // RFC 3264 §6.1: the answer's formats come from the offer; we send with the answer's numbers
    const codecs: Codec[] = [];
    for (const f of m.formats) {
      const r = getCodec(m, f);
      const mine = r && offer.codecs.find((c) => sameCodec(c, r));
      if (mine && !codecs.some((c) => c.name === mine.name))
        codecs.push({ ...mine, payloadType: r.payloadType, ...fmtpOf(mine, getFmtp(m, f)) });
    }
    if (!codecs.some((c) => !isTelephoneEvent(c)))
      throw new OfferAnswerError('the answer has no audio codec that we offered');
    const conn = mediaConnections(sd, i)[0];
    if (!conn) throw new OfferAnswerError('the answer has no c= line for the audio stream (RFC 8866 §5.7)');
    const srtp = this.sdes.acceptAnswer(offer.crypto, m);
    const theirs = effectiveDirection(sd, i);
    // we do only what both agreed to (lenient with answers that break the RFC 3264 §6.1 table)
    const direction = directionFrom(
      sends(offer.direction) && receives(theirs),
      receives(offer.direction) && sends(theirs),
    );
    this.commit({
      negotiated: true,
      direction,
      localHold: offer.localHold,
      // an answer tells whether the peer holds only if we offered to send it media
      remoteHold: sends(offer.direction) ? !receives(theirs) : this.current.remoteHold,
      codecs,
      remoteAddress: conn.address,
      remotePort: m.port,
      srtp,
    });
    this.slots = offer.slots;
    this.audioIndex = i;
  }

  /** Forget the pending offer (the re-INVITE got a non-2xx): the last negotiated state stays. */
  rollback(): void {
    this.pending = undefined;
  }

  // ---- answers ------------------------------------------------------------------------------

  /**
   * Our answer to the peer's offer (RFC 3264 §6, RFC 6337 §5.3). The first usable RTP/AVP audio
   * stream is accepted, every other m= line is rejected with port 0. Direction: sendrecv →
   * sendrecv (sendonly if we hold); sendonly → recvonly (inactive if we hold); recvonly →
   * sendonly (inactive if we hold); inactive → inactive. c=0.0.0.0 counts as the peer holding.
   * Throws SdpParseError (unparsable offer) or OfferAnswerError (nothing usable: 488; our own
   * offer pending: 491); the state is then unchanged.
   */
  createAnswer(remoteOffer: string | Uint8Array, opts: AnswerOptions = {}): string {
    if (this.pending) throw new OfferAnswerError('an offer of ours is pending (glare, RFC 3264 §4)', 491);
    const sd = parseSdp(remoteOffer);
    if (this.slots.length > 0 && sd.media.length < this.slots.length)
      throw new OfferAnswerError(
        `the offer has ${sd.media.length} m= lines, fewer than the session's ${this.slots.length} (RFC 3264 §8)`,
      );
    const localHold = opts.localHold ?? opts.hold ?? this.current.localHold;
    type Chosen = {
      index: number;
      codecs: Codec[];
      address: string;
      sdes: Exclude<ReturnType<SdesNegotiation['answer']>, false>;
    };
    let chosen: Chosen | undefined;
    for (let i = 0; i < sd.media.length && !chosen; i++) {
      const m = sd.media[i]!;
      if (m.media !== 'audio' || m.port === 0 || !this.sdes.acceptsProto(m.proto)) continue;
      const sdes = this.sdes.answer(m);
      if (sdes === false) continue;
      const conn = mediaConnections(sd, i)[0];
      const codecs = this.match(m);
      if (conn && codecs.length > 0) chosen = { index: i, codecs, address: conn.address, sdes };
    }
    if (!chosen) throw new OfferAnswerError(`no usable audio stream in the offer (${this.sdes.requirement})`);
    const theirs = effectiveDirection(sd, chosen.index);
    const direction = answerDirection(theirs, localHold);
    const media = sd.media.map((m, i) =>
      i === chosen.index
        ? this.audioMedia(chosen.codecs, direction, m.proto, chosen.sdes ? [chosen.sdes.line] : [])
        : rejected(m),
    );
    const sdp = this.stamp(media);
    const state: NegotiatedState = {
      negotiated: true,
      direction,
      localHold,
      remoteHold: !receives(theirs),
      codecs: chosen.codecs,
      remoteAddress: chosen.address,
      remotePort: sd.media[chosen.index]!.port,
      srtp: chosen.sdes?.agreement,
    };
    this.commit(state, true);
    this.slots = media.map(slotOf);
    this.audioIndex = chosen.index;
    return sdp;
  }

  /** Our codecs in an offered stream, in the offerer's order and with its payload types (RFC 3264 §6.1). */
  private match(m: MediaDescription): Codec[] {
    const out: Codec[] = [];
    for (const f of m.formats) {
      const r = getCodec(m, f);
      const mine = r && this.local.codecs.find((c) => sameCodec(c, r));
      if (!mine || out.some((c) => c.name === mine.name)) continue;
      if (isTelephoneEvent(mine)) {
        const events = commonEvents(getFmtp(m, f), mine.fmtp);
        if (events !== undefined) out.push({ ...mine, payloadType: r.payloadType, fmtp: events });
      } else out.push({ ...mine, payloadType: r.payloadType, ...fmtpOf(mine, getFmtp(m, f)) });
    }
    // telephone-event alone carries no audio
    return out.some((c) => !isTelephoneEvent(c)) ? out : [];
  }

  // ---- building SDP ----------------------------------------------------------------------------

  private audioMedia(
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
    if (this.local.ptime > 0) attributes.push({ name: 'ptime', value: String(this.local.ptime) });
    for (const c of crypto) attributes.push({ name: 'crypto', value: formatCrypto(c) });
    // always explicit, even sendrecv: the peer need not know the default
    attributes.push({ name: direction });
    return {
      media: 'audio',
      port: this.local.port,
      proto,
      formats: codecs.map((c) => String(c.payloadType)),
      connections: [],
      bandwidths: [],
      attributes,
    };
  }

  /**
   * Serialise with the o= version: the same as last time when nothing changed, else one more
   * (RFC 3264 §8). The comparison is with the last SDP sent, so versions never repeat.
   */
  private stamp(media: MediaDescription[]): string {
    const addrType = isIPv6(this.local.address) ? 'IP6' : 'IP4';
    const build = (version: string): SessionDescription => ({
      version: 0,
      origin: {
        username: this.local.username,
        sessionId: this.sessionId,
        sessionVersion: version,
        netType: 'IN',
        addrType,
        address: this.local.address,
      },
      sessionName: this.local.sessionName,
      emails: [],
      phones: [],
      connection: { netType: 'IN', addrType, address: this.local.address },
      bandwidths: [],
      timing: [{ start: '0', stop: '0', repeats: [] }],
      attributes: [],
      media,
    });
    const content = serializeSdp(build('0'));
    if (this.lastSent?.content === content) return this.lastSent.sdp;
    if (this.lastSent) this.version += 1n;
    const sdp = serializeSdp(build(this.version.toString()));
    this.lastSent = { content, sdp };
    return sdp;
  }

  private commit(state: NegotiatedState, adoptPayloadTypes = false): void {
    this.current = state;
    // After answering, our later offers keep the offerer's numbers (RFC 3264 §8.3.2). After an
    // answer to our offer they keep ours: our offer's numbers are what we receive with.
    if (!adoptPayloadTypes) return;
    for (const c of state.codecs) {
      const mine = this.local.codecs.find((l) => l.name === c.name && l.clockRate === c.clockRate);
      // keep a dynamic number only if no other codec of ours uses it
      if (mine && !this.local.codecs.some((l) => l !== mine && l.payloadType === c.payloadType))
        this.agreedPayloadTypes.set(mine, c.payloadType);
    }
  }
}

/** RFC 6337 §5.3 answer directions, given the offer's direction and whether we hold. */
function answerDirection(offered: Direction, localHold: boolean): Direction {
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
function rejected(s: Slot): MediaDescription {
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

function slotOf(m: MediaDescription): Slot {
  return { media: m.media, proto: m.proto, formats: [...m.formats] };
}

/** Our fmtp for a codec, with the peer's where it gave one. */
function fmtpOf(mine: Codec, theirs: string | undefined): { fmtp?: string } {
  const f = theirs ?? mine.fmtp;
  return f !== undefined ? { fmtp: f } : {};
}
