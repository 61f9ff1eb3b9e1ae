import { reasonPhrase } from './build.js';
import { SipParseError } from './errors.js';
import { headerKey } from './header-names.js';
import { SipRequest, SipResponse, type HeaderField } from './message.js';
import { fatalFault } from './needed.js';
import { parseMessage } from './parse.js';
import { isIPv4 } from 'node:net';

/** The response an element owes for a request, as status, reason phrase and extra headers. */
export interface RequiredResponse {
  status: number;
  reason: string;
  headers: [string, string][];
}

export interface CheckOptions {
  /** Which element is checking: rules differ by role (RFC 3261 §8.2 for UAS, §16.3 for proxies). */
  role?: 'uas' | 'proxy' | 'registrar';
  /** Methods this UAS implements (for 405/501 with Allow). */
  allow?: string[];
  /** Option tags this element supports (Require / Proxy-Require, RFC 3261 §8.2.2.3, §16.3 step 5). */
  supported?: string[];
  /** URI schemes the element accepts in the Request-URI (RFC 3261 §8.2.2.1). */
  schemes?: string[];
  /** Body types this UAS accepts (RFC 3261 §8.2.3). */
  accept?: string[];
}

/** Methods defined by RFC 3261 and the extensions the stack knows: others are "unknown" (501). */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
];

const DEFAULTS: Required<CheckOptions> = {
  role: 'uas',
  allow: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REFER', 'NOTIFY', 'INFO', 'MESSAGE', 'UPDATE'],
  supported: ['replaces', 'norefersub', 'path', 'outbound'],
  schemes: ['sip', 'sips', 'tel'],
  accept: ['application/sdp', 'message/sipfrag'],
};

function respond(status: number, detail?: string, headers: [string, string][] = []): RequiredResponse {
  const base = reasonPhrase(status);
  const reason = detail ? `${base} (${sanitize(detail)})` : base;
  return { status, reason, headers };
}

function sanitize(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 120);
}

/**
 * What an element owes a parsed request before processing it, or null to go on.
 * RFC 3261 §8.2.1–§8.2.3 (UAS), §16.3 (proxy validation), §10.3 (registrar).
 */
export function checkRequest(req: SipRequest, options: CheckOptions = {}): RequiredResponse | null {
  const o = { ...DEFAULTS, ...options };
  const method = req.method;
  if (req.version.toUpperCase() !== 'SIP/2.0') return respond(505);
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!req.has(name)) return respond(400, `missing ${name} header`);
  }
  try {
    req.parseAll();
    void req.uri;
  } catch (e) {
    if (e instanceof SipParseError) return respond(400, e.reason);
    throw e;
  }
  // a malformed header the request needs (liberal receiving: the others were kept as faults)
  const fault = fatalFault(req);
  if (fault) return respond(400, fault.error.reason);
  // RFC 4475 §3.2.1: a branch that is only the magic cookie identifies nothing
  if (req.topVia?.branch === 'z9hG4bK') return respond(400, 'Via branch is only the magic cookie');
  const cseq = req.cseq!;
  if (cseq.method !== method) {
    // RFC 4475 §3.1.2.17: an unknown method with a mismatched CSeq is better answered 501
    if (!KNOWN_METHODS.includes(method)) return respond(501);
    return respond(400, 'CSeq method does not match the Request-Line');
  }
  // §8.2.1 method inspection (UAS only: a proxy forwards methods it does not know)
  if (o.role !== 'proxy') {
    const allow = o.role === 'registrar' ? [...new Set([...o.allow, 'REGISTER'])] : o.allow;
    if (!allow.includes(method)) {
      return respond(KNOWN_METHODS.includes(method) ? 405 : 501, undefined, [['Allow', allow.join(', ')]]);
    }
  }
  // §8.2.2.1 Request-URI scheme
  const uri = req.uri;
  if (!o.schemes.includes(uri.scheme)) return respond(416);
  // §19.1.5: headers are not allowed in a Request-URI
  if (uri.kind === 'sip' && uri.headers.size > 0) return respond(400, 'headers in Request-URI');
  // §16.3 step 3: Max-Forwards
  if (o.role === 'proxy' && req.maxForwards === 0) return respond(483);
  // §8.2.2.3 / §16.3 step 5: Require and Proxy-Require
  const required = o.role === 'proxy' ? req.proxyRequire : method === 'CANCEL' || method === 'ACK' ? [] : req.require;
  const unsupported = required.filter((t) => !o.supported.includes(t.toLowerCase()));
  if (unsupported.length) return respond(420, undefined, [['Unsupported', unsupported.join(', ')]]);
  if (o.role === 'registrar' && method === 'REGISTER') {
    // §10.3 step 3: the To must be a sip/sips address-of-record
    const to = req.to!.uri;
    if (to.kind !== 'sip') return respond(400, 'To is not a SIP or SIPS URI');
  }
  if (o.role === 'uas' && method === 'INVITE') {
    // §8.2.3 content processing
    if (req.body.length > 0) {
      const ct = req.contentType;
      const type = ct ? `${ct.type}/${ct.subtype}` : 'application/sdp';
      if (!o.accept.includes(type) && !(ct?.type === 'multipart'))
        return respond(415, undefined, [['Accept', o.accept.join(', ')]]);
    }
    // the UAC must accept what we answer with (RFC 3261 §20.1; RFC 4475 §3.3.15)
    const acc = req.accept;
    if (
      acc &&
      acc.length > 0 &&
      !acc.some((m) => (m.type === '*' || m.type === 'application') && (m.subtype === '*' || m.subtype === 'sdp'))
    ) {
      return respond(406, undefined, [
        ['Warning', '399 switchboard "application/sdp is the only session description supported"'],
      ]);
    }
  }
  return null;
}

/** What to do with a parsed response: RFC 3261 §8.1.3.3 (UAC) and §16.7 (proxy). */
export function checkResponse(
  res: SipResponse,
  role: 'uac' | 'proxy' = 'uac',
): { accept: true } | { accept: false; why: string } {
  try {
    res.parseAll();
  } catch (e) {
    if (e instanceof SipParseError) return { accept: false, why: e.reason };
    throw e;
  }
  const fault = fatalFault(res);
  if (fault) return { accept: false, why: fault.error.reason };
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq'])
    if (!res.has(name)) return { accept: false, why: `missing ${name}` };
  const via = res.via;
  if (role === 'uac' && via.length !== 1)
    return { accept: false, why: 'more than one Via in a response at the UAC (RFC 3261 §8.1.3.3)' };
  if (role === 'proxy') {
    const next = via[1];
    if (!next) return { accept: false, why: 'no Via left to forward to' };
    const host = next.received ?? next.hostname;
    if (isIPv4(host) && (host === '255.255.255.255' || host.endsWith('.255')))
      return { accept: false, why: 'next hop is a broadcast address' };
  }
  return { accept: true };
}

/**
 * The response owed for bytes that failed to parse (RFC 3261 §16.3 step 1, §21.4.1, RFC 4475):
 * null when nothing can be sent (it was a response, or too broken to route a response back).
 * The mandatory headers are copied byte for byte, so even a broken From can be answered.
 */
export function responseForParseError(bytes: Buffer, err: SipParseError): SipResponse | null {
  let text: string;
  try {
    const end = bytes.indexOf('\r\n\r\n');
    text = bytes.toString('latin1', 0, end < 0 ? Math.min(bytes.length, 65536) : end);
  } catch {
    return null;
  }
  const lines = text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const first = lines[0]!;
  if (/^SIP\//i.test(first)) return null; // a response: discard silently
  const parts = first.trim().split(/[ \t]+/);
  if (parts.length < 3 || !/^[!-~]+$/.test(parts[0]!)) return null;
  const version = parts[parts.length - 1]!;
  // RFC 3261 §21.5.14: a message over our size limits is 513 Message Too Large
  const tooLarge = /header section exceeds \d+ bytes|exceeds the limit|more than \d+ header lines/.test(err.reason);
  const status = tooLarge ? 513 : /^SIP\/2\.0$/i.test(version) ? 400 : /^SIP\/\d+\.\d+$/i.test(version) ? 505 : 400;
  const headers: HeaderField[] = [];
  const seen = new Set<string>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim();
    const key = headerKey(name);
    if (!['via', 'from', 'to', 'call-id', 'cseq'].includes(key)) continue;
    if (key !== 'via' && seen.has(key)) continue;
    seen.add(key);
    headers.push({ name, key, value: line.slice(c + 1).trim(), offset: -1 });
  }
  if (!seen.has('via')) return null; // nowhere to send it (RFC 3261 §18.2.2)
  const phrase =
    status === 505
      ? 'Version Not Supported'
      : status === 513
        ? 'Message Too Large'
        : `Bad Request (${sanitize(err.reason)})`;
  const res = new SipResponse(status, phrase, headers);
  res.append('Warning', `399 switchboard "${sanitize(err.message).replace(/["\\]/g, "'")}"`);
  res.set('Content-Length', '0');
  return res;
}

/** Parse a request and apply the element check in one go: the usual entry point for a UA or proxy. */
export function parseAndCheck(
  bytes: Buffer,
  options: CheckOptions = {},
):
  | { message: SipRequest | SipResponse; response: RequiredResponse | null }
  | { error: SipParseError; response: SipResponse | null } {
  try {
    const message = parseMessage(bytes);
    return { message, response: message instanceof SipRequest ? checkRequest(message, options) : null };
  } catch (e) {
    const error = e instanceof SipParseError ? e : new SipParseError(String(e), 0);
    return { error, response: responseForParseError(bytes, error) };
  }
}
