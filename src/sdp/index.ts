/** SDP (RFC 8866) model, parser and serializer, and the RFC 3264 offer/answer engine. */
export type {
  Attribute,
  Bandwidth,
  Connection,
  Direction,
  EncryptionKey,
  MediaDescription,
  Origin,
  Repeat,
  SessionDescription,
  Timing,
  ZoneAdjustment,
} from './session.js';
export { DIRECTIONS } from './session.js';
export { SdpParseError, OfferAnswerError } from './errors.js';
export { parseSdp } from './parse.js';
export { serializeSdp, formatConnection, formatAttribute } from './serialize.js';
export {
  getAttribute,
  getAttributeValues,
  hasAttribute,
  parseRtpmap,
  formatRtpmap,
  getRtpmaps,
  getCodec,
  getFmtp,
  STATIC_AUDIO_PAYLOAD_TYPES,
  type RtpMap,
} from './attributes.js';
export {
  getDirection,
  setDirection,
  mediaDirection,
  mediaConnections,
  isLegacyHold,
  effectiveDirection,
  reverseDirection,
  directionFrom,
  sends,
  receives,
} from './direction.js';
export {
  PCMU,
  PCMA,
  OPUS,
  TELEPHONE_EVENT,
  TELEPHONE_EVENT_48K,
  DEFAULT_CODECS,
  sameCodec,
  commonEvents,
  parseEventList,
  formatEventList,
  type Codec,
} from './codecs.js';
export {
  CRYPTO_SUITES,
  SDES_KEY_LENGTH,
  SdesKey,
  generateSdesKey,
  parseCrypto,
  redactSdpKeys,
  formatCrypto,
  offerCrypto,
  answerCrypto,
  acceptCrypto,
  type CryptoSuite,
  type CryptoAttribute,
  type CryptoKeyParam,
  type SdesAgreement,
  type SrtpPolicy,
} from './crypto.js';
export {
  OfferAnswer,
  type LocalMedia,
  type NegotiatedState,
  type OfferOptions,
  type AnswerOptions,
} from './offer-answer.js';
