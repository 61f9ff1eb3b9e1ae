export { SipParseError } from './errors.js';
export { parseMessage, type ParseOptions } from './parse.js';
export { StreamFramer, type FramerEvent } from './framer.js';
export { DEFAULT_LIMITS, type MessageLimits } from './limits.js';
export {
  SipMessage,
  SipRequest,
  SipResponse,
  KNOWN_HEADERS,
  type HeaderField,
  type HeaderFault,
  type HeaderResult,
  type SipMessageAny,
} from './message.js';
export { ownCopy } from './wire.js';
export { StoredRequest } from './stored.js';
export { fatalFault, faultTolerated } from './needed.js';
export { SipUri, TelUri, AbsoluteUri, parseUri, uriEquals, isIPv6Reference, type Uri } from './uri.js';
export { Params, type Param } from './params.js';
export { NameAddr, parseNameAddr, parseNameAddrList, parseContact } from './headers/name-addr.js';
export { Via, parseVia, MAGIC_COOKIE } from './headers/via.js';
export { AuthHeader, parseAuth, buildAuthHeader } from './headers/auth.js';
export { quote, unquote } from './headers/params.js';
export * from './headers/simple.js';
export { headerKey, canonicalName } from './header-names.js';
export { headerIdSet } from './header-ids.js';
export {
  createRequest,
  createResponse,
  createCancel,
  createVia,
  newBranch,
  newTag,
  newCallId,
  reasonPhrase,
  REASON_PHRASES,
  type RequestInit,
  type ResponseInit,
} from './build.js';
export { parseSipfrag, buildSipfrag, type Sipfrag } from './sipfrag.js';
export {
  checkRequest,
  checkResponse,
  responseForParseError,
  parseAndCheck,
  KNOWN_METHODS,
  type CheckOptions,
  type RequiredResponse,
} from './check.js';
export {
  escape as escapeUriComponent,
  unescape as unescapeUriComponent,
  USER as USER_CHARS,
  HNV as HEADER_VALUE_CHARS,
  PARAM as PARAM_CHARS,
} from './chars.js';
