/**
 * The SDES side of offer/answer (RFC 4568 §7.1) for one session: which transport to offer, our
 * crypto lines, the answerer's choice and the offerer's reading of the answer. Our master key per
 * suite is made once, so later offers keep the SRTP context.
 */
import { inspect } from 'node:util';
import { getAttributeValues } from './attributes.js';
import {
  CRYPTO_SUITES,
  acceptCrypto,
  answerCrypto,
  generateSdesKey,
  offerCrypto,
  type CryptoAttribute,
  type CryptoSuite,
  type SdesAgreement,
  type SdesKey,
  type SrtpPolicy,
} from './crypto.js';
import { OfferAnswerError } from './errors.js';
import type { MediaDescription } from './session.js';

export class SdesNegotiation {
  /** Our key per suite, made with the first one (most sessions have no SRTP: no map per call). */
  private keys: Map<CryptoSuite, SdesKey> | undefined;

  constructor(
    readonly policy: SrtpPolicy = 'off',
    readonly suites: readonly CryptoSuite[] = CRYPTO_SUITES,
  ) {}

  /** Transport of a new audio stream: RTP/SAVP only when SRTP is required (RFC 4568 §3.1.4). */
  get offerProto(): string {
    return this.policy === 'require' ? 'RTP/SAVP' : 'RTP/AVP';
  }

  /** Our a=crypto lines for an offer (none when SRTP is off). */
  offerLines(): CryptoAttribute[] {
    return this.policy === 'off' ? [] : offerCrypto(this.suites, (s) => this.key(s));
  }

  /** RTP/AVP always; RTP/SAVP when SRTP is on. */
  acceptsProto(proto: string): boolean {
    return proto === 'RTP/AVP' || (proto === 'RTP/SAVP' && this.policy !== 'off');
  }

  /**
   * Our crypto answer for an offered stream: undefined for plain RTP, false when the stream cannot
   * be used (RTP/SAVP, or SRTP required, without a crypto line we can use).
   */
  answer(m: MediaDescription): ReturnType<typeof answerCrypto> | false {
    if (this.policy === 'off') return undefined;
    const sdes = answerCrypto(getAttributeValues(m.attributes, 'crypto'), this.suites, (s) => this.key(s));
    if (!sdes && (m.proto === 'RTP/SAVP' || this.policy === 'require')) return false;
    return sdes;
  }

  /** RFC 4568 §7.1.3: SRTP only with a crypto line answering one of ours; throws when SRTP was a must. */
  acceptAnswer(offered: readonly CryptoAttribute[], m: MediaDescription): SdesAgreement | undefined {
    const srtp = offered.length > 0 ? acceptCrypto(offered, getAttributeValues(m.attributes, 'crypto')) : undefined;
    if (!srtp && (m.proto === 'RTP/SAVP' || this.policy === 'require'))
      throw new OfferAnswerError('the answer has no a=crypto matching our SRTP offer (RFC 4568 §7.1.3)');
    return srtp;
  }

  /** Why no offered stream was usable, for the 488. */
  get requirement(): string {
    if (this.policy === 'off') return 'RTP/AVP with PCMU or PCMA';
    return this.policy === 'require' ? 'PCMU or PCMA with a usable a=crypto' : 'PCMU or PCMA';
  }

  private key(suite: CryptoSuite): SdesKey {
    let k = this.keys?.get(suite);
    if (!k) {
      k = generateSdesKey();
      (this.keys ??= new Map()).set(suite, k);
    }
    return k;
  }

  [inspect.custom](): string {
    return `SdesNegotiation { policy: '${this.policy}', suites: ${this.suites.join(',')} }`;
  }
}
