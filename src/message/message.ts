// The SIP message model. The class is built in layers, one module each: message-lines (state and
// in-place line reads), header-access (untyped reads, edits, body), typed-access (the typed cache),
// sip-message (typed getters, serialisation), request-response; parsed-head and header-specs hold
// the line scans and the per-header parse tables.
export { SipMessage } from './sip-message.js';
export { SipRequest, SipResponse, type SipMessageAny } from './request-response.js';
export { KNOWN_HEADERS, type HeaderFault, type HeaderResult } from './header-specs.js';
export { unfold, type HeaderField, type ParsedHead } from './parsed-head.js';
export { Via } from './headers/via.js';
export { NameAddr } from './headers/name-addr.js';
export { AuthHeader } from './headers/auth.js';
