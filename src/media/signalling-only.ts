/**
 * The default media: offer/answer only, no RTP. SDP carries an address and a port that nothing
 * binds (what Switchboard has always done: signalling-level calls, hold and transfer). An RTP
 * engine replaces it through UserAgentOptions.mediaFactory.
 */
import { OfferAnswer, type Codec } from '../sdp/index.js';
import type {
  MediaAnswerOptions,
  MediaApplyOptions,
  MediaOfferOptions,
  MediaSession,
  MediaSessionContext,
  MediaSessionFactory,
  MediaState,
} from './session.js';

export class SignallingOnlyMedia implements MediaSession {
  private readonly oa: OfferAnswer;
  private closed = false;

  constructor(address: string, port: number, codecs?: readonly Codec[]) {
    this.oa = new OfferAnswer({ address, port, ...(codecs ? { codecs } : {}) });
  }

  get state(): MediaState {
    return { ...this.oa.state, srtp: false };
  }
  get hasPendingOffer(): boolean {
    return this.oa.hasPendingOffer;
  }
  get localSdp(): string | undefined {
    return this.oa.localSdp;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  createOffer(opts: MediaOfferOptions = {}): string {
    return this.oa.createOffer(opts);
  }
  applyAnswer(sdp: string | Uint8Array, opts: MediaApplyOptions = {}): MediaState {
    this.oa.setRemoteAnswer(sdp, { keepOffer: opts.early === true });
    return this.state;
  }
  answerOffer(sdp: string | Uint8Array, opts: MediaAnswerOptions = {}): string {
    return this.oa.createAnswer(sdp, opts.hold === undefined ? {} : { hold: opts.hold });
  }
  rollback(): void {
    this.oa.rollback();
  }
  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/**
 * A factory of signalling-only sessions with ports counted per factory (one factory per user
 * agent: no state shared between agents). Ports are even, as RTP ports should be (RFC 3550 §11).
 */
export function signallingOnlyFactory(
  opts: { firstPort?: number; codecs?: readonly Codec[] } = {},
): MediaSessionFactory {
  let next = opts.firstPort ?? 40000 + 2 * Math.floor(Math.random() * 5000);
  return (ctx: MediaSessionContext) => {
    const port = next;
    next = next >= 65534 ? 40000 : next + 2;
    return new SignallingOnlyMedia(ctx.address, port, opts.codecs);
  };
}
