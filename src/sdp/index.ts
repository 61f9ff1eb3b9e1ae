export { parseSdp, SessionDescription, MediaSection, SdpParseError, type Direction, type Origin, type Connection, type SdpLine } from './sdp.js';
export { OfferAnswer, OfferAnswerError, PCMU, PCMA, TELEPHONE_EVENT, type Codec, type NegotiatedState } from './negotiation.js';
