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
import { inspect } from 'node:util';
import { getCodec, getFmtp } from './attributes.js';
import { DEFAULT_CODECS, isTelephoneEvent, sameCodec, type Codec } from './codecs.js';
import { redactSdpKeys } from './crypto.js';
import { directionFrom, effectiveDirection, mediaConnections, receives, sends } from './direction.js';
import { OfferAnswerError } from './errors.js';
import { audioMedia, answerDirection, fmtpOf, matchOffered, rejected, slotOf } from './media-lines.js';
import {
  INITIAL,
  type AnswerOptions,
  type LocalMedia,
  type NegotiatedState,
  type OfferOptions,
  type PendingOffer,
  type Slot,
} from './offer-answer-types.js';
import { SdpOrigin } from './origin.js';
import { parseSdp } from './parse.js';
import { SdesNegotiation } from './sdes.js';
import type { Direction, SessionDescription } from './session.js';

export type { AnswerOptions, LocalMedia, NegotiatedState, OfferOptions } from './offer-answer-types.js';

export class OfferAnswer {
  /** o= sess-id: fixed for the session (RFC 3264 §5). */
  readonly sessionId: string;
  private readonly local: Required<Omit<LocalMedia, 'sessionId' | 'sessionVersion' | 'srtp' | 'srtpSuites'>>;
  /** o= and the SDP's version (RFC 3264 §8). */
  private readonly origin: SdpOrigin;
  private pending: PendingOffer | undefined;
  private current: NegotiatedState = { ...INITIAL };
  /** m= lines of the session so far, and which one carries our audio. */
  private slots: Slot[] = [];
  private audioIndex = 0;
  /** Payload types agreed for our codecs, reused in later offers (RFC 3264 §8.3.2). */
  /** Only numbers that differ from the codec's own (most calls agree on the static ones: no map). */
  private agreedPayloadTypes: Map<Codec, number> | undefined;
  private readonly sdes: SdesNegotiation;

  constructor(local: LocalMedia) {
    if (local.sessionId !== undefined && !/^[0-9]+$/.test(local.sessionId))
      throw new RangeError('sessionId must be digits');
    if (local.sessionVersion !== undefined && !/^[0-9]+$/.test(local.sessionVersion))
      throw new RangeError('sessionVersion must be digits');
    this.sessionId = local.sessionId ?? String(randomInt(1, 2 ** 40));
    this.local = {
      address: local.address,
      port: local.port,
      codecs: local.codecs ?? DEFAULT_CODECS,
      username: local.username ?? '-',
      sessionName: local.sessionName ?? '-',
      ptime: local.ptime ?? 20,
    };
    this.origin = new SdpOrigin(this.sessionId, local.sessionVersion ?? this.sessionId, this.local);
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
    return this.origin.lastSdp;
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
      payloadType: this.agreedPayloadTypes?.get(c) ?? c.payloadType,
    }));
    // RFC 3264 §8: keep every m= line of the session, in order; the ones we do not use stay rejected
    const slots = this.slots.length > 0 ? this.slots : [{ media: 'audio', proto: this.sdes.offerProto, formats: [] }];
    const audioIndex = this.slots.length > 0 ? this.audioIndex : 0;
    const crypto = this.sdes.offerLines();
    const media = slots.map((s, i) =>
      i === audioIndex ? audioMedia(this.local, codecs, direction, s.proto, crypto) : rejected(s),
    );
    const sdp = this.origin.stamp(media);
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
      const codecs = matchOffered(m, this.local.codecs);
      if (conn && codecs.length > 0) chosen = { index: i, codecs, address: conn.address, sdes };
    }
    if (!chosen) throw new OfferAnswerError(`no usable audio stream in the offer (${this.sdes.requirement})`);
    const theirs = effectiveDirection(sd, chosen.index);
    const direction = answerDirection(theirs, localHold);
    const media = sd.media.map((m, i) =>
      i === chosen.index
        ? audioMedia(this.local, chosen.codecs, direction, m.proto, chosen.sdes ? [chosen.sdes.line] : [])
        : rejected(m),
    );
    const sdp = this.origin.stamp(media);
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

  private commit(state: NegotiatedState, adoptPayloadTypes = false): void {
    this.current = state;
    // After answering, our later offers keep the offerer's numbers (RFC 3264 §8.3.2). After an
    // answer to our offer they keep ours: our offer's numbers are what we receive with.
    if (!adoptPayloadTypes) return;
    for (const c of state.codecs) {
      const mine = this.local.codecs.find((l) => l.name === c.name && l.clockRate === c.clockRate);
      // keep a dynamic number only if no other codec of ours uses it
      if (mine && !this.local.codecs.some((l) => l !== mine && l.payloadType === c.payloadType)) {
        if (c.payloadType !== mine.payloadType) (this.agreedPayloadTypes ??= new Map()).set(mine, c.payloadType);
        else this.agreedPayloadTypes?.delete(mine);
      }
    }
  }
}
