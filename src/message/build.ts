import { randomUUID } from 'node:crypto';
import { headerKey } from './header-names.js';
import { NameAddr, parseNameAddr } from './headers/name-addr.js';
import { MAGIC_COOKIE, Via } from './headers/via.js';
import { SipRequest, SipResponse, type HeaderField, type SipMessage } from './message.js';
import { Params } from './params.js';
import { parseUri, type Uri } from './uri.js';
import { toWire } from './wire.js';

/** RFC 3261 §21 reason phrases (and a few from later RFCs). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : 'Error');
}

// RFC 3261 §19.3 wants tags, branches and Call-IDs random. Node's randomUUID draws on a CSPRNG
// buffer that Node itself refills for 128 UUIDs at a time, about 30x cheaper than randomBytes per
// identifier; its first 8 and last 12 hex digits are all random (the version and variant bits are
// in between).
function random80(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(24);
}
/** A branch with the RFC 3261 magic cookie (§8.1.1.7), unique in space and time. */
export function newBranch(): string {
  return MAGIC_COOKIE + random80();
}
/** A tag with at least 32 bits of randomness (§19.3): 80 here. */
export function newTag(): string {
  return random80();
}
/** A globally unique Call-ID (§8.1.1.4): 122 random bits. */
export function newCallId(host?: string): string {
  return host ? `${randomUUID()}@${host}` : randomUUID();
}

function field(name: string, value: string): HeaderField {
  return { name, key: headerKey(name), value: toWire(value), offset: -1 };
}

export interface RequestInit {
  method: string;
  uri: Uri | string;
  from: NameAddr | string;
  to: NameAddr | string;
  callId?: string;
  cseq?: number;
  /** Top Via. A branch is generated when it has none. */
  via?: Via;
  contact?: NameAddr | string | undefined;
  maxForwards?: number;
  route?: (NameAddr | string)[];
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

function asNameAddr(v: NameAddr | string): NameAddr {
  if (typeof v !== 'string') return v;
  // a bare URI or a full name-addr
  return v.includes('<') ? parseNameAddr(toWire(v)) : new NameAddr(parseUri(v));
}

/** A new out-of-dialog request per RFC 3261 §8.1.1; Content-Length is always right. */
export function createRequest(init: RequestInit): SipRequest {
  const uri = typeof init.uri === 'string' ? parseUri(init.uri) : init.uri;
  const from = asNameAddr(init.from).clone();
  if (!from.tag) from.tag = newTag(); // §8.1.1.3
  const to = asNameAddr(init.to).clone();
  const headers: HeaderField[] = [];
  if (init.via) {
    const v = init.via.clone();
    if (!v.branch) v.branch = newBranch();
    headers.push(field('Via', v.toString()));
  }
  headers.push(field('Max-Forwards', String(init.maxForwards ?? 70)));
  for (const r of init.route ?? []) headers.push(field('Route', String(r)));
  headers.push(field('From', from.toString()));
  headers.push(field('To', to.toString()));
  headers.push(field('Call-ID', init.callId ?? newCallId()));
  headers.push(field('CSeq', `${init.cseq ?? 1} ${init.method}`));
  if (init.contact !== undefined) headers.push(field('Contact', String(init.contact)));
  for (const [n, v] of init.headers ?? []) headers.push(field(n, v));
  const req = new SipRequest(init.method, uri, headers);
  setBody(req, init.body, init.contentType);
  return req;
}

export interface ResponseInit {
  reason?: string;
  /** To-tag to add when the request's To has none (§8.2.6.2). Generated for status > 100 if omitted. */
  toTag?: string;
  contact?: NameAddr | string;
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

/** A response to `req` per RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied; To-tag added. */
export function createResponse(req: SipRequest, status: number, init: ResponseInit = {}): SipResponse {
  const headers: HeaderField[] = [];
  // read in place (wireValues), in the RFC's order; lines of one header keep theirs (§7.3.1)
  const copy = (name: string, key: string, edit?: (v: string) => string) => {
    for (const value of req.wireValues(key)) headers.push({ name, key, value: edit ? edit(value) : value, offset: -1 });
  };
  copy('Via', 'via');
  copy('From', 'from');
  // §8.2.6.2: a To-tag on every response but 100 when the request had none. Appended to the text as
  // it came: after a name-addr's ">" or an addr-spec (which has no URI parameters, §20), ";tag=" is
  // a header parameter either way; no clone, no re-serialising.
  const to = status > 100 ? req.to : undefined;
  copy('To', 'to', to && !to.tag ? (v) => `${v.trimEnd()};tag=${toWire(init.toTag ?? newTag())}` : undefined);
  copy('Call-ID', 'call-id');
  copy('CSeq', 'cseq');
  // §12.1.1: the UAS copies Record-Route into dialog-creating responses
  if (status > 100 && status < 300) copy('Record-Route', 'record-route');
  if (status === 100) copy('Timestamp', 'timestamp'); // §8.2.6.1
  if (init.contact !== undefined) headers.push(field('Contact', String(init.contact)));
  for (const [n, v] of init.headers ?? []) headers.push(field(n, v));
  const res = new SipResponse(status, toWire(init.reason ?? reasonPhrase(status)), headers);
  setBody(res, init.body, init.contentType);
  return res;
}

function setBody(msg: SipMessage, body: Buffer | string | undefined, contentType: string | undefined): void {
  if (body !== undefined && (typeof body === 'string' ? body.length : body.length) > 0) msg.setBody(body, contentType);
  else msg.set('Content-Length', '0');
}

/** A Via for a request we send from `host:port` over `transport`, with a fresh branch and rport (RFC 3581). */
export function createVia(transport: string, host: string, port?: number, rport = true): Via {
  const params = new Params([{ name: 'branch', value: newBranch() }]);
  if (rport) params.list.push({ name: 'rport', value: null });
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new Via({ transport, host: h, port, params });
}

/**
 * CANCEL for a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq number
 * and the single top Via of the INVITE, its Route headers, method CANCEL.
 */
export function createCancel(invite: SipRequest): SipRequest {
  const headers: HeaderField[] = [field('Via', invite.topVia!.toString())];
  for (const h of invite.headers)
    if (h.key === 'route') headers.push({ name: h.name, key: h.key, value: h.value, offset: -1 });
  headers.push(field('Max-Forwards', '70'));
  for (const k of ['from', 'to', 'call-id']) {
    const h = invite.headers.find((f) => f.key === k);
    if (h) headers.push({ name: h.name, key: h.key, value: h.value, offset: -1 });
  }
  headers.push(field('CSeq', `${invite.cseq!.seq} CANCEL`));
  headers.push(field('Content-Length', '0'));
  return new SipRequest('CANCEL', invite.uri.clone(), headers);
}
