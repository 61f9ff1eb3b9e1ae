/**
 * SDP parser (RFC 8866 §5, §9). Input is untrusted: every problem becomes an SdpParseError that
 * names the line. Line ends may be CRLF or bare LF (RFC 8866 §5: "a parser SHOULD accept LF").
 * Lines of a section may come in any order (some peers misplace c=/b=); serialize() writes them
 * in the RFC order, so a well-formed description round-trips byte for byte.
 */
import { SdpParseError } from './errors.js';
import type {
  Attribute,
  Bandwidth,
  Connection,
  EncryptionKey,
  MediaDescription,
  Origin,
  Repeat,
  SessionDescription,
  Timing,
  ZoneAdjustment,
} from './session.js';

/** RFC 8866 §9 token. */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;
const DIGITS = /^[0-9]+$/;
/** RFC 8866 §9 typed-time: seconds, or a count of days/hours/minutes/seconds. */
const TYPED_TIME = /^[0-9]+[dhms]?$/;
/** proto = token *("/" token) */
const PROTO = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+(\/[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+)*$/;

/** Which lines a section may hold (RFC 8866 §5). */
const SESSION_TYPES = letterTable('vosiuepcbtrzkam');
const MEDIA_TYPES = letterTable('icbkam');

/** a–z → whether the letter is in `letters` (a table lookup per line, not a string search). */
function letterTable(letters: string): readonly boolean[] {
  return Array.from({ length: 26 }, (_, i) => letters.includes(String.fromCharCode(97 + i)));
}

type Fail = (reason: string) => never;

/** Parse a session description. Throws only SdpParseError. */
export function parseSdp(input: string | Uint8Array): SessionDescription {
  // callers from plain JavaScript may hand us anything: that too is an SdpParseError
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new SdpParseError('a session description must be text or bytes', 1);
  const text =
    typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const lines = text.split('\n');
  // a final line end leaves an empty last element; stray blank lines at the very end are tolerated
  while (lines.length > 0 && (lines[lines.length - 1] === '' || lines[lines.length - 1] === '\r')) lines.pop();
  if (lines.length === 0) throw new SdpParseError('empty session description', 1);

  let origin: Origin | undefined;
  let sessionName: string | undefined;
  const session: Omit<SessionDescription, 'origin' | 'sessionName'> = {
    version: 0,
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    attributes: [],
    media: [],
  };
  let media: MediaDescription | undefined;
  let timing: Timing | undefined;

  // one closure for the whole parse, not one per line: it reads the line number when it throws
  let n = 0;
  const fail: Fail = (reason) => {
    throw new SdpParseError(reason, n);
  };
  for (let i = 0; i < lines.length; i++) {
    n = i + 1;
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') fail('empty line');
    if (line.includes('\r')) fail('bare CR inside a line');
    if (line.includes('\0')) fail('NUL character');
    const c0 = line.charCodeAt(0);
    if (line.length < 2 || line.charCodeAt(1) !== 61 /* = */ || c0 < 97 || c0 > 122)
      fail(`expected "<type>=<value>", got "${clip(line)}"`);
    const type = line[0]!;
    const value = line.slice(2);

    if (i === 0) {
      // RFC 8866 §5.1: the description starts with v=0
      if (type !== 'v' || value !== '0') fail('a session description must start with "v=0"');
      continue;
    }
    if (!SESSION_TYPES[c0 - 97]) fail(`unknown line type "${type}=" (RFC 8866 §5: the description must be rejected)`);

    if (type === 'm') {
      media = parseMediaLine(value, fail);
      session.media.push(media);
      continue;
    }
    if (media) {
      // inside a media description (RFC 8866 §5.14)
      if (!MEDIA_TYPES[c0 - 97]) fail(`"${type}=" is not allowed in a media description`);
      switch (type) {
        case 'i':
          if (media.title !== undefined) fail('more than one i= line in a media description');
          media.title = value;
          break;
        case 'c':
          media.connections.push(parseConnection(value, fail));
          break;
        case 'b':
          media.bandwidths.push(parseBandwidth(value, fail));
          break;
        case 'k':
          if (media.key) fail('more than one k= line in a media description');
          media.key = parseKey(value, fail);
          break;
        case 'a':
          media.attributes.push(parseAttribute(value, fail));
          break;
      }
      continue;
    }
    switch (type) {
      case 'v':
        fail('v= may appear only once, as the first line');
        break;
      case 'o':
        if (origin) fail('more than one o= line');
        origin = parseOrigin(value, fail);
        break;
      case 's':
        if (sessionName !== undefined) fail('more than one s= line');
        sessionName = value;
        break;
      case 'i':
        if (session.information !== undefined) fail('more than one session-level i= line');
        session.information = value;
        break;
      case 'u':
        if (session.uri !== undefined) fail('more than one u= line');
        session.uri = value;
        break;
      case 'e':
        session.emails.push(value);
        break;
      case 'p':
        session.phones.push(value);
        break;
      case 'c':
        if (session.connection) fail('more than one session-level c= line');
        session.connection = parseConnection(value, fail);
        break;
      case 'b':
        session.bandwidths.push(parseBandwidth(value, fail));
        break;
      case 't':
        timing = parseTiming(value, fail);
        session.timing.push(timing);
        break;
      case 'r':
        if (!timing) fail('r= must follow a t= line');
        timing.repeats.push(parseRepeat(value, fail));
        break;
      case 'z':
        if (!timing) fail('z= must follow a t= line');
        if (timing.zones) fail('more than one z= line for a t= line');
        timing.zones = parseZones(value, fail);
        break;
      case 'k':
        if (session.key) fail('more than one session-level k= line');
        session.key = parseKey(value, fail);
        break;
      case 'a':
        session.attributes.push(parseAttribute(value, fail));
        break;
    }
  }
  // RFC 8866 §5: o=, s= and at least one t= are mandatory
  if (!origin || sessionName === undefined || session.timing.length === 0) {
    const firstMedia = lines.findIndex((l) => l.startsWith('m='));
    const end = firstMedia < 0 ? lines.length + 1 : firstMedia + 1;
    if (!origin) throw new SdpParseError('missing o= line', Math.min(2, end));
    if (sessionName === undefined) throw new SdpParseError('missing s= line', Math.min(3, end));
    throw new SdpParseError('missing t= line', end);
  }
  const sd = session as SessionDescription;
  sd.origin = origin;
  sd.sessionName = sessionName;
  return sd;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Fields separated by spaces; runs of spaces are tolerated on receive. */
function fields(value: string): string[] {
  const t = value.trim();
  const out: string[] = [];
  // split on runs of spaces by hand: measured faster than split(/ +/) and than a split(' ') guarded by a search
  for (let i = 0; i < t.length;) {
    let j = t.indexOf(' ', i);
    if (j < 0) j = t.length;
    out.push(t.slice(i, j));
    i = j + 1;
    while (t.charCodeAt(i) === 32) i++;
  }
  return out;
}

function integer(s: string, what: string, min: number, max: number, fail: Fail): number {
  if (!DIGITS.test(s)) fail(`${what} "${clip(s)}" is not a number`);
  const v = Number(s);
  if (v < min || v > max) fail(`${what} ${s} is out of range ${min}–${max}`);
  return v;
}

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2) */
function parseOrigin(value: string, fail: Fail): Origin {
  const f = fields(value);
  if (f.length !== 6) fail(`o= needs 6 fields, got ${f.length}`);
  const [username, sessionId, sessionVersion, netType, addrType, address] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!DIGITS.test(sessionId)) fail(`o= session id "${clip(sessionId)}" is not a number`);
  if (!DIGITS.test(sessionVersion)) fail(`o= session version "${clip(sessionVersion)}" is not a number`);
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

/** c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7, multicast suffixes §5.7.1–2) */
function parseConnection(value: string, fail: Fail): Connection {
  const f = fields(value);
  if (f.length !== 3) fail(`c= needs 3 fields, got ${f.length}`);
  const [netType, addrType, addr] = f as [string, string, string];
  if (addrType !== 'IP4' && addrType !== 'IP6') return { netType, addrType, address: addr };
  if (addr.startsWith('[')) fail('c= IPv6 address must not be in brackets (RFC 8866 §5.7)');
  const parts = addr.split('/');
  const address = parts[0]!;
  if (address === '') fail('c= address is empty');
  const c: Connection = { netType, addrType, address };
  if (addrType === 'IP4') {
    if (address.includes(':')) fail(`c= address "${clip(address)}" is not IPv4 but the type says IP4`);
    if (parts.length > 3) fail('c= IP4 address has too many "/" parts');
    if (parts.length > 1) c.ttl = integer(parts[1]!, 'c= TTL', 0, 255, fail);
    if (parts.length > 2) c.count = integer(parts[2]!, 'c= address count', 1, 2 ** 32, fail);
  } else {
    if (parts.length > 2) fail('c= IP6 address has too many "/" parts');
    if (parts.length > 1) c.count = integer(parts[1]!, 'c= address count', 1, 2 ** 32, fail);
  }
  return c;
}

/** b=<bwtype>:<bandwidth> (RFC 8866 §5.8) */
function parseBandwidth(value: string, fail: Fail): Bandwidth {
  const i = value.indexOf(':');
  if (i < 0) fail('b= needs "<type>:<bandwidth>"');
  const type = value.slice(0, i);
  if (!TOKEN.test(type)) fail(`b= type "${clip(type)}" is not a token`);
  return { type, bandwidth: integer(value.slice(i + 1), 'b= bandwidth', 0, Number.MAX_SAFE_INTEGER, fail) };
}

/** t=<start-time> <stop-time> (RFC 8866 §5.9) */
function parseTiming(value: string, fail: Fail): Timing {
  const f = fields(value);
  if (f.length !== 2) fail(`t= needs 2 fields, got ${f.length}`);
  if (!f.every((x) => DIGITS.test(x))) fail('t= times must be numbers');
  return { start: f[0]!, stop: f[1]!, repeats: [] };
}

/** r=<repeat interval> <active duration> <offsets from start-time> (RFC 8866 §5.10) */
function parseRepeat(value: string, fail: Fail): Repeat {
  const f = fields(value);
  if (f.length < 3) fail(`r= needs at least 3 fields, got ${f.length}`);
  const bad = f.find((x) => !TYPED_TIME.test(x));
  if (bad !== undefined) fail(`r= time "${clip(bad)}" is not a typed time`);
  return { interval: f[0]!, duration: f[1]!, offsets: f.slice(2) };
}

/** z=<adjustment time> <offset> ... (RFC 8866 §5.11) */
function parseZones(value: string, fail: Fail): ZoneAdjustment[] {
  const f = fields(value);
  if (f.length === 0 || f.length % 2 !== 0) fail('z= needs pairs of "<time> <offset>"');
  const out: ZoneAdjustment[] = [];
  for (let i = 0; i < f.length; i += 2) {
    if (!DIGITS.test(f[i]!)) fail(`z= time "${clip(f[i]!)}" is not a number`);
    if (!/^-?[0-9]+[dhms]?$/.test(f[i + 1]!)) fail(`z= offset "${clip(f[i + 1]!)}" is not a typed time`);
    out.push({ time: f[i]!, offset: f[i + 1]! });
  }
  return out;
}

/** k=<method>[:<key>] (RFC 8866 §5.12) */
function parseKey(value: string, fail: Fail): EncryptionKey {
  const i = value.indexOf(':');
  const method = i < 0 ? value : value.slice(0, i);
  if (!TOKEN.test(method)) fail(`k= method "${clip(method)}" is not a token`);
  return i < 0 ? { method } : { method, key: value.slice(i + 1) };
}

/** a=<attribute-name>[:<attribute-value>] (RFC 8866 §5.13); the value is kept verbatim. */
function parseAttribute(value: string, fail: Fail): Attribute {
  const i = value.indexOf(':');
  const name = i < 0 ? value : value.slice(0, i);
  if (!TOKEN.test(name)) fail(`attribute name "${clip(name)}" is not a token`);
  return i < 0 ? { name } : { name, value: value.slice(i + 1) };
}

/** m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14) */
function parseMediaLine(value: string, fail: Fail): MediaDescription {
  const f = fields(value);
  if (f.length < 4) fail(`m= needs media, port, proto and at least one format, got ${f.length} fields`);
  const [media, portField, proto] = f as [string, string, string];
  if (!TOKEN.test(media)) fail(`m= media "${clip(media)}" is not a token`);
  const pm = /^([^/]*)(?:\/(.*))?$/.exec(portField)!;
  const port = integer(pm[1]!, 'm= port', 0, 65535, fail);
  if (!PROTO.test(proto)) fail(`m= proto "${clip(proto)}" is malformed`);
  const formats = f.slice(3);
  const bad = formats.find((x) => !TOKEN.test(x));
  if (bad !== undefined) fail(`m= format "${clip(bad)}" is not a token`);
  const m: MediaDescription = { media, port, proto, formats, connections: [], bandwidths: [], attributes: [] };
  if (pm[2] !== undefined) m.portCount = integer(pm[2], 'm= number of ports', 1, 65535, fail);
  return m;
}
