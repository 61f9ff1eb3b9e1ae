// URIs, one module per job: uri-types (the values and their serialisation), uri-parse, host
// (host syntax), uri-equals (comparison).
export { SipUri, TelUri, AbsoluteUri, type Uri } from './uri-types.js';
export { parseUri, parseSipUri, sipScheme, sipUriOnePass, sipUriGeneral } from './uri-parse.js';
export { hostNameEnd, ipv6ReferenceEnd, isHostName, isIPv6Address, isIPv6Reference, parseHostPort } from './host.js';
export { uriEquals } from './uri-equals.js';
