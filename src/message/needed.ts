import type { HeaderFault, SipRequest, SipResponse } from './message.js';

/**
 * Which header faults sink a message (liberal receiving). The mandatory headers (Via, From, To,
 * Call-ID, CSeq, Max-Forwards, Content-Length) never get here: their faults fail the parse. Of
 * the rest, a fault is tolerated only in a header the stack does not act on for this method
 * (RFC 3261 §7.3.1 lets an element ignore what it need not understand; RFC 4475 §3.1.2.12 says
 * not to reject for a malformed header unless it matters to the processing). Everything else
 * still gets 400 (requests) or is dropped (responses), as before.
 */

/** Never acted on, whatever the method: informational to every element here. */
const ALWAYS_TOLERATED = new Set([
  'referred-by', // RFC 3892: the call layer copies it only when valid
  'reason',
  'warning',
  'retry-after',
  'allow',
  'allow-events',
  'unsupported',
  // a malformed credential is treated as none: the element challenges again (RFC 3261 §22)
  'authorization',
  'proxy-authorization',
]);

/** Headers that matter only to some request methods: tolerated in every other request. */
const ONLY_FOR: Record<string, readonly string[]> = {
  accept: ['INVITE', 'SUBSCRIBE', 'OPTIONS'],
  expires: ['REGISTER', 'SUBSCRIBE', 'PUBLISH'],
  'min-expires': [],
  event: ['SUBSCRIBE', 'NOTIFY', 'PUBLISH'],
  'subscription-state': ['NOTIFY'],
  'refer-to': ['REFER'],
  'refer-sub': ['REFER'],
  replaces: ['INVITE'],
  path: ['REGISTER'],
  'www-authenticate': [],
  'proxy-authenticate': [],
};

/** In responses: what a UAC or proxy never acts on (the rest: Contact, Record-Route, challenges, ...). */
const RESPONSE_TOLERATED = new Set([
  ...ALWAYS_TOLERATED,
  'date',
  'accept',
  'replaces',
  'refer-to',
  'subscription-state',
]);

/** Whether the element may go on with a fault in header `key` of this message. */
export function faultTolerated(msg: SipRequest | SipResponse, key: string): boolean {
  if (!msg.isRequest) return RESPONSE_TOLERATED.has(key);
  if (ALWAYS_TOLERATED.has(key)) return true;
  const only = ONLY_FOR[key];
  // Date stays fatal in requests: the RFC 4475 §3.1.2.12 vector's verdict here is 400
  return only !== undefined && !only.includes(msg.method);
}

/** The first fault that sinks this message, or undefined when it may be processed. */
export function fatalFault(msg: SipRequest | SipResponse): HeaderFault | undefined {
  for (const f of msg.headerFaults) if (!faultTolerated(msg, f.key)) return f;
  return undefined;
}
