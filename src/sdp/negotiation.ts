import { isIPv6 } from 'node:net';
import { OfferAnswerError } from './errors.js';
import { MediaSection, SessionDescription, parseSdp, type Direction, type SdpLine } from './sdp.js';

/** A codec we can offer: RTP/AVP static payload types and telephone-event (RFC 4733). */
export interface Codec {
  name: string;
  rate: number;
  pt: number;
  fmtp?: string;
}

export const PCMU: Codec = { name: 'PCMU', rate: 8000, pt: 0 };
export const PCMA: Codec = { name: 'PCMA', rate: 8000, pt: 8 };
export const TELEPHONE_EVENT: Codec = { name: 'telephone-event', rate: 8000, pt: 101, fmtp: '0-16' };

// the same error class as the typed engine in offer-answer.ts
export { OfferAnswerError };

/** What we want from the peer's perspective flipped: see RFC 3264 §6.1 direction table. */
function reverse(d: Direction): Direction {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}
function allowsSend(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}
function allowsRecv(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}
function combine(send: boolean, recv: boolean): Direction {
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

export interface NegotiatedState {
  /** Direction of our stream as last negotiated (our view). */
  direction: Direction;
  /** We hold the peer (we do not want to receive). */
  localHold: boolean;
  /** The peer holds us (it does not want to receive). */
  remoteHold: boolean;
  /** Codecs agreed on, in preference order. */
  codecs: string[];
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

/**
 * Offer/answer (RFC 3264) for one audio session, with hold rules per RFC 6337 §5.3 and
 * RFC 3264 §8.4. Independent of signalling: the call layer asks for offers/answers and feeds
 * the peer's. State always reflects what was last negotiated (a rejected offer is rolled back).
 */
export class OfferAnswer {
  private readonly sessionId = String(Math.floor(Math.random() * 1e9) + 1);
  private version = Math.floor(Math.random() * 1e6);
  private lastSdp: string | undefined;
  private pendingOffer: { direction: Direction; localHold: boolean; sdp: string } | undefined;
  state: NegotiatedState = { direction: 'sendrecv', localHold: false, remoteHold: false, codecs: [], remoteAddress: undefined, remotePort: undefined };

  constructor(
    readonly local: { address: string; port: number; codecs?: Codec[]; username?: string },
  ) {}

  get codecs(): Codec[] {
    return this.local.codecs ?? [PCMU, PCMA, TELEPHONE_EVENT];
  }

  /** Direction we offer given the hold wishes (RFC 6337 §5.3). */
  private offerDirection(localHold: boolean): Direction {
    const remoteHold = this.state.remoteHold;
    if (localHold) return remoteHold ? 'inactive' : 'sendonly';
    return remoteHold ? 'recvonly' : 'sendrecv';
  }

  private render(direction: Direction, formats: Codec[] | undefined, port = this.local.port): string {
    const addrType = isIPv6(this.local.address) ? 'IP6' : 'IP4';
    const codecs = formats ?? this.codecs;
    const lines: string[] = [
      'v=0',
      `o=${this.local.username ?? 'switchboard'} ${this.sessionId} ${this.version} IN ${addrType} ${this.local.address}`,
      's=-',
      `c=IN ${addrType} ${this.local.address}`,
      't=0 0',
      `m=audio ${port} RTP/AVP ${codecs.map((c) => c.pt).join(' ')}`,
    ];
    for (const c of codecs) {
      lines.push(`a=rtpmap:${c.pt} ${c.name}/${c.rate}`);
      if (c.fmtp) lines.push(`a=fmtp:${c.pt} ${c.fmtp}`);
    }
    lines.push('a=ptime:20', `a=${direction}`);
    return lines.join('\r\n') + '\r\n';
  }

  /** o= version goes up by one when the description changes, not on a resend (RFC 3264 §8). */
  private finish(render: () => string): string {
    let sdp = render();
    if (this.lastSdp !== undefined && sdp !== this.lastSdp) {
      this.version++;
      sdp = render();
    }
    this.lastSdp = sdp;
    return sdp;
  }

  /** An offer; `hold` defaults to the current local hold state. */
  createOffer(opts: { hold?: boolean } = {}): string {
    const localHold = opts.hold ?? this.state.localHold;
    const direction = this.offerDirection(localHold);
    const sdp = this.finish(() => this.render(direction, undefined));
    this.pendingOffer = { direction, localHold, sdp };
    return sdp;
  }

  /** The peer's answer to our pending offer. Throws OfferAnswerError if it does not fit (the offer is then rolled back). */
  setRemoteAnswer(answer: string | Buffer): NegotiatedState {
    const offer = this.pendingOffer;
    if (!offer) throw new OfferAnswerError('no offer pending');
    let sd: SessionDescription;
    try {
      sd = parseSdp(answer);
    } catch (e) {
      this.rollback();
      throw new OfferAnswerError(`unparsable answer: ${(e as Error).message}`);
    }
    if (sd.media.length !== 1) {
      this.rollback();
      throw new OfferAnswerError(`answer has ${sd.media.length} m= lines, the offer had 1 (RFC 3264 §6)`);
    }
    const m = sd.media[0]!;
    const theirs = sd.isLegacyHold(0) ? 'sendonly' : sd.direction(0);
    // our effective direction: what we offered, narrowed by what they accepted
    const direction = combine(allowsSend(offer.direction) && allowsRecv(theirs), allowsRecv(offer.direction) && allowsSend(theirs));
    this.pendingOffer = undefined;
    this.state = {
      direction,
      localHold: offer.localHold,
      // an answer can only confirm the peer's hold if it had us on hold already
      remoteHold: this.state.remoteHold && !allowsRecv(theirs),
      codecs: this.agreed(m),
      remoteAddress: (m.connection ?? sd.connection)?.address,
      remotePort: m.port,
    };
    return this.state;
  }

  /** Forget a pending offer (the re-INVITE failed): the last negotiated state stays (RFC 3261 §14.1). */
  rollback(): void {
    this.pendingOffer = undefined;
  }

  get hasPendingOffer(): boolean {
    return this.pendingOffer !== undefined;
  }

  /**
   * Answer the peer's offer (RFC 3264 §6, RFC 6337 §5.3): `sendonly` (or c=0.0.0.0) → `recvonly`,
   * `inactive` → `inactive`, `recvonly` → `sendonly`, `sendrecv` → `sendrecv`; when we hold,
   * we never accept receiving. Streams we cannot use are rejected with port 0.
   */
  createAnswer(offerText: string | Buffer, opts: { hold?: boolean } = {}): string {
    const offer = parseSdp(offerText); // SdpParseError for the caller to turn into 488/400
    const localHold = opts.hold ?? this.state.localHold;
    let chosen: Codec[] = [];
    let direction: Direction = 'inactive';
    let audioIndex = -1;
    offer.media.forEach((m, i) => {
      if (audioIndex >= 0 || m.media !== 'audio' || m.port === 0 || !/RTP\/S?AVP/.test(m.m.proto)) return;
      const c = this.match(m);
      if (c.length === 0) return;
      audioIndex = i;
      chosen = c;
      const theirs = offer.isLegacyHold(i) ? 'sendonly' : offer.direction(i);
      // we send if the peer receives; we receive if the peer sends and we do not hold
      direction = combine(allowsRecv(theirs), allowsSend(theirs) && !localHold);
      // the peer wants to receive from us unless it offers sendonly/inactive
      this.state = {
        direction,
        localHold,
        remoteHold: !allowsRecv(theirs),
        codecs: c.map((x) => x.name),
        remoteAddress: (m.connection ?? offer.connection)?.address,
        remotePort: m.port,
      };
    });
    if (audioIndex < 0) throw new OfferAnswerError('no acceptable audio stream in the offer (488)');
    this.pendingOffer = undefined;
    // same number and order of m= lines as the offer; the others rejected with port 0
    return this.finish(() => {
      const fresh = this.render(direction, chosen).split('\r\n').filter(Boolean);
      const head = fresh.slice(0, fresh.findIndex((l) => l.startsWith('m=')));
      const audioLines = fresh.slice(head.length);
      const out: string[] = [...head];
      offer.media.forEach((m, i) => {
        if (i === audioIndex) out.push(...audioLines);
        else out.push(`m=${m.media} 0 ${m.m.proto} ${m.m.formats[0] ?? '0'}`);
      });
      return out.join('\r\n') + '\r\n';
    });
  }

  /** Our codecs present in a media section, in the offerer's order, with its payload types (RFC 3264 §6.1). */
  private match(m: MediaSection): Codec[] {
    const rtpmap = m.rtpmap;
    const out: Codec[] = [];
    for (const f of m.m.formats) {
      const map = rtpmap.get(f);
      const name = map ? map.split('/')[0]!.toLowerCase() : f === '0' ? 'pcmu' : f === '8' ? 'pcma' : undefined;
      const mine = this.codecs.find((c) => c.name.toLowerCase() === name);
      if (mine) out.push({ ...mine, pt: Number(f), ...(mine.fmtp ? { fmtp: m.fmtp(f) ?? mine.fmtp } : {}) });
    }
    // telephone-event alone is no audio
    return out.some((c) => c.name !== 'telephone-event') ? out : [];
  }

  private agreed(m: MediaSection): string[] {
    return this.match(m).map((c) => c.name);
  }
}

export type { SdpLine };
