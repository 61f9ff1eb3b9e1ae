/**
 * SDP serializer: writes the model in the order of RFC 8866 §5, always with CRLF line ends.
 * Refuses values that would break the line framing (CR, LF, NUL), so text supplied by an
 * application cannot inject lines.
 */
import type {
  Attribute,
  Bandwidth,
  Connection,
  EncryptionKey,
  MediaDescription,
  SessionDescription,
  Timing,
} from './session.js';

export function serializeSdp(sd: SessionDescription): string {
  // one string built by concatenation (V8 ropes), flattened once by the caller's Buffer write
  let out = '';
  const put = (type: string, value: string): void => {
    if (/[\r\n\0]/.test(value)) throw new RangeError(`SDP ${type}= value contains CR, LF or NUL`);
    out += type + '=' + value + '\r\n';
  };
  const o = sd.origin;
  put('v', String(sd.version));
  put('o', `${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  put('s', sd.sessionName);
  if (sd.information !== undefined) put('i', sd.information);
  if (sd.uri !== undefined) put('u', sd.uri);
  for (const e of sd.emails) put('e', e);
  for (const p of sd.phones) put('p', p);
  if (sd.connection) put('c', formatConnection(sd.connection));
  for (const b of sd.bandwidths) put('b', formatBandwidth(b));
  for (const t of sd.timing) writeTiming(t, put);
  if (sd.key) put('k', formatKey(sd.key));
  for (const a of sd.attributes) put('a', formatAttribute(a));
  for (const m of sd.media) writeMedia(m, put);
  return out;
}

function writeTiming(t: Timing, put: (type: string, value: string) => void): void {
  put('t', `${t.start} ${t.stop}`);
  for (const r of t.repeats) put('r', [r.interval, r.duration, ...r.offsets].join(' '));
  if (t.zones) put('z', t.zones.map((z) => `${z.time} ${z.offset}`).join(' '));
}

function writeMedia(m: MediaDescription, put: (type: string, value: string) => void): void {
  const port = m.portCount === undefined ? String(m.port) : `${m.port}/${m.portCount}`;
  put('m', `${m.media} ${port} ${m.proto} ${m.formats.join(' ')}`);
  if (m.title !== undefined) put('i', m.title);
  for (const c of m.connections) put('c', formatConnection(c));
  for (const b of m.bandwidths) put('b', formatBandwidth(b));
  if (m.key) put('k', formatKey(m.key));
  for (const a of m.attributes) put('a', formatAttribute(a));
}

/** `IN IP4 224.2.1.1/127/3`, `IN IP6 FF15::101/3`, `IN IP6 2001:db8::1` (never bracketed). */
export function formatConnection(c: Connection): string {
  let addr = c.address;
  if (c.ttl !== undefined) addr += `/${c.ttl}`;
  if (c.count !== undefined) addr += `/${c.count}`;
  return `${c.netType} ${c.addrType} ${addr}`;
}

function formatBandwidth(b: Bandwidth): string {
  return `${b.type}:${b.bandwidth}`;
}

function formatKey(k: EncryptionKey): string {
  return k.key === undefined ? k.method : `${k.method}:${k.key}`;
}

/** `name` for a property attribute, `name:value` otherwise (an empty value keeps its colon). */
export function formatAttribute(a: Attribute): string {
  return a.value === undefined ? a.name : `${a.name}:${a.value}`;
}
