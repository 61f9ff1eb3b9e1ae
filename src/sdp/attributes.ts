/** Attribute access and the RTP payload attributes a=rtpmap / a=fmtp (RFC 8866 §6.6, §6.15). */
import type { Attribute, MediaDescription } from './session.js';

/** The first attribute called `name`, if any. */
export function getAttribute(attrs: readonly Attribute[], name: string): Attribute | undefined {
  return attrs.find((a) => a.name === name);
}

/** Values of every `a=name:value` (a property attribute `a=name` gives ''). */
export function getAttributeValues(attrs: readonly Attribute[], name: string): string[] {
  return attrs.filter((a) => a.name === name).map((a) => a.value ?? '');
}

export function hasAttribute(attrs: readonly Attribute[], name: string): boolean {
  return attrs.some((a) => a.name === name);
}

/** `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` */
export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  /** Audio channels (the encoding parameters); absent means 1 (RFC 8866 §6.6). */
  channels?: number;
}

/** Parse an rtpmap value; undefined when it does not follow RFC 8866 §6.6. */
export function parseRtpmap(value: string): RtpMap | undefined {
  const m = /^([0-9]{1,3}) +([^\s/]+)\/([0-9]{1,10})(?:\/([0-9]{1,3}))?\s*$/.exec(value);
  if (!m) return undefined;
  const payloadType = Number(m[1]);
  if (payloadType > 127) return undefined;
  const map: RtpMap = { payloadType, encoding: m[2]!, clockRate: Number(m[3]) };
  if (m[4] !== undefined) map.channels = Number(m[4]);
  return map;
}

export function formatRtpmap(r: RtpMap): string {
  return `${r.payloadType} ${r.encoding}/${r.clockRate}${r.channels !== undefined ? `/${r.channels}` : ''}`;
}

/** Static audio payload types (RFC 3551 §6, Table 4), used when a format has no a=rtpmap. */
export const STATIC_AUDIO_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map(
  (
    [
      [0, 'PCMU', 8000],
      [3, 'GSM', 8000],
      [4, 'G723', 8000],
      [5, 'DVI4', 8000],
      [6, 'DVI4', 16000],
      [7, 'LPC', 8000],
      [8, 'PCMA', 8000],
      [9, 'G722', 8000],
      [10, 'L16', 44100, 2],
      [11, 'L16', 44100],
      [12, 'QCELP', 8000],
      [13, 'CN', 8000],
      [14, 'MPA', 90000],
      [15, 'G728', 8000],
      [16, 'DVI4', 11025],
      [17, 'DVI4', 22050],
      [18, 'G729', 8000],
    ] as [number, string, number, number?][]
  ).map(([payloadType, encoding, clockRate, channels]) => [
    payloadType,
    channels ? { payloadType, encoding, clockRate, channels } : { payloadType, encoding, clockRate },
  ]),
);

/** Every well-formed a=rtpmap of a media description, by payload type (first one wins). */
export function getRtpmaps(m: MediaDescription): Map<number, RtpMap> {
  const out = new Map<number, RtpMap>();
  for (const v of getAttributeValues(m.attributes, 'rtpmap')) {
    const r = parseRtpmap(v);
    if (r && !out.has(r.payloadType)) out.set(r.payloadType, r);
  }
  return out;
}

/**
 * The codec of one format of an RTP media description: its a=rtpmap, else the static
 * assignment (RFC 3264 §5.1: rtpmap may be omitted for static payload types).
 */
export function getCodec(m: MediaDescription, format: string | number): RtpMap | undefined {
  const pt = Number(format);
  if (!/^[0-9]{1,3}$/.test(String(format)) || pt > 127) return undefined;
  return getRtpmaps(m).get(pt) ?? STATIC_AUDIO_PAYLOAD_TYPES.get(pt);
}

/** Format parameters of `a=fmtp:<format> <parameters>` (RFC 8866 §6.15), verbatim. */
export function getFmtp(m: MediaDescription, format: string | number): string | undefined {
  const f = String(format);
  for (const v of getAttributeValues(m.attributes, 'fmtp')) {
    const sp = v.indexOf(' ');
    if (sp > 0 ? v.slice(0, sp) === f : v === f) return sp > 0 ? v.slice(sp + 1).trim() : '';
  }
  return undefined;
}
