import { SdpParseError } from './errors.js';

/**
 * SDP (RFC 4566 / RFC 8866) as an ordered list of lines, so that a description we did not
 * write round-trips unchanged, with typed access to what offer/answer needs (o=, c=, m=, a=).
 */
// one error class for the whole folder (the typed parser in parse.ts throws the same)
export { SdpParseError };

export interface SdpLine {
  type: string;
  value: string;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export interface Origin {
  username: string;
  sessionId: string;
  version: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface Connection {
  netType: string;
  addrType: string;
  address: string;
}

export class MediaSection {
  constructor(public lines: SdpLine[]) {}
  /** The m= line split: media port[/count] proto fmt... */
  get m(): { media: string; port: number; portCount: number | undefined; proto: string; formats: string[] } {
    const parts = this.lines[0]!.value.split(' ');
    const [port, count] = parts[1]!.split('/');
    return { media: parts[0]!, port: Number(port), portCount: count ? Number(count) : undefined, proto: parts[2]!, formats: parts.slice(3) };
  }
  get media(): string {
    return this.m.media;
  }
  get port(): number {
    return this.m.port;
  }
  get connection(): Connection | undefined {
    const c = this.lines.find((l) => l.type === 'c');
    return c ? parseConnection(c.value) : undefined;
  }
  attributes(name: string): string[] {
    return attributeValues(this.lines, name);
  }
  hasAttribute(name: string): boolean {
    return this.lines.some((l) => l.type === 'a' && (l.value === name || l.value.startsWith(name + ':')));
  }
  /** Media-level direction attribute, if any. */
  get ownDirection(): Direction | undefined {
    return directionOf(this.lines);
  }
  /** rtpmap by payload type: `{0: 'PCMU/8000', 101: 'telephone-event/8000'}`. */
  get rtpmap(): Map<string, string> {
    const map = new Map<string, string>();
    for (const v of this.attributes('rtpmap')) {
      const sp = v.indexOf(' ');
      if (sp > 0) map.set(v.slice(0, sp), v.slice(sp + 1));
    }
    return map;
  }
  fmtp(pt: string): string | undefined {
    for (const v of this.attributes('fmtp')) if (v.startsWith(pt + ' ')) return v.slice(pt.length + 1);
    return undefined;
  }
}

export class SessionDescription {
  constructor(
    /** Session-level lines (v= through the first m=). */
    public session: SdpLine[],
    public media: MediaSection[],
  ) {}

  get origin(): Origin {
    const o = this.session.find((l) => l.type === 'o')!;
    const p = o.value.split(' ');
    return { username: p[0]!, sessionId: p[1]!, version: p[2]!, netType: p[3]!, addrType: p[4]!, address: p[5]! };
  }
  get connection(): Connection | undefined {
    const c = this.session.find((l) => l.type === 'c');
    return c ? parseConnection(c.value) : undefined;
  }
  /** Effective direction of stream `i` (media level overrides session level; default sendrecv). */
  direction(i: number): Direction {
    return this.media[i]?.ownDirection ?? directionOf(this.session) ?? 'sendrecv';
  }
  /** Legacy hold (RFC 3264 §8.4): a connection address of 0.0.0.0 for stream `i`. */
  isLegacyHold(i: number): boolean {
    const c = this.media[i]?.connection ?? this.connection;
    return c?.address === '0.0.0.0';
  }
  toString(): string {
    let s = '';
    for (const l of this.session) s += `${l.type}=${l.value}\r\n`;
    for (const m of this.media) for (const l of m.lines) s += `${l.type}=${l.value}\r\n`;
    return s;
  }
}

function parseConnection(v: string): Connection {
  const p = v.split(' ');
  return { netType: p[0]!, addrType: p[1]!, address: (p[2] ?? '').split('/')[0]! };
}

function attributeValues(lines: SdpLine[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) if (l.type === 'a' && l.value.startsWith(name + ':')) out.push(l.value.slice(name.length + 1));
  return out;
}

function directionOf(lines: SdpLine[]): Direction | undefined {
  for (const l of lines) if (l.type === 'a' && DIRECTIONS.includes(l.value)) return l.value as Direction;
  return undefined;
}

/** Parse SDP; LF-only line ends are accepted. Throws SdpParseError with the line number. */
export function parseSdp(text: string | Buffer): SessionDescription {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  const raw = s.split(/\r?\n/);
  if (raw.length && raw[raw.length - 1] === '') raw.pop();
  const session: SdpLine[] = [];
  const media: MediaSection[] = [];
  raw.forEach((line, i) => {
    const n = i + 1;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]!)) throw new SdpParseError(`malformed line "${line.slice(0, 40)}"`, n);
    const l = { type: line[0]!, value: line.slice(2) };
    if (i === 0 && (l.type !== 'v' || l.value !== '0')) throw new SdpParseError('SDP must start with v=0', n);
    if (l.type === 'm') {
      if (!/^\S+ \d+(\/\d+)? \S+( \S+)*$/.test(l.value)) throw new SdpParseError('malformed m= line', n);
      media.push(new MediaSection([l]));
    } else if (media.length) media[media.length - 1]!.lines.push(l);
    else session.push(l);
    if (l.type === 'o' && l.value.split(' ').length !== 6) throw new SdpParseError('o= needs 6 fields', n);
    if (l.type === 'c' && l.value.split(' ').length < 3) throw new SdpParseError('c= needs 3 fields', n);
  });
  if (raw.length === 0) throw new SdpParseError('empty SDP', 1);
  if (!session.some((l) => l.type === 'o')) throw new SdpParseError('missing o= line', 1);
  if (!session.some((l) => l.type === 's')) throw new SdpParseError('missing s= line', 1);
  return new SessionDescription(session, media);
}
