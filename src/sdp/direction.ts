/**
 * Stream direction (RFC 8866 §6.7, RFC 3264 §5.1) and the legacy hold form c=0.0.0.0
 * (RFC 3264 §8.4, RFC 6337 §5.4), which we understand on receive and never emit.
 */
import { DIRECTIONS, type Attribute, type Connection, type Direction, type SessionDescription } from './session.js';

/** The direction attribute among `attrs`, if any (the first one, should a peer send several). */
export function getDirection(attrs: readonly Attribute[]): Direction | undefined {
  for (const a of attrs)
    if (a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name)) return a.name as Direction;
  return undefined;
}

/** Replace every direction attribute of `attrs` by `d` (in place of the first one, else appended). */
export function setDirection(attrs: Attribute[], d: Direction): void {
  const i = attrs.findIndex((a) => a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name));
  const rest = attrs.filter(
    (a, j) => j <= i || a.value !== undefined || !(DIRECTIONS as readonly string[]).includes(a.name),
  );
  if (i < 0) rest.push({ name: d });
  else rest[i] = { name: d };
  attrs.splice(0, attrs.length, ...rest);
}

/** Direction of stream `index` as written: media level overrides session level; default sendrecv (RFC 8866 §6.7). */
export function mediaDirection(sd: SessionDescription, index: number): Direction {
  const m = sd.media[index];
  return (m && getDirection(m.attributes)) ?? getDirection(sd.attributes) ?? 'sendrecv';
}

/** The c= lines in force for stream `index`: its own, else the session's (RFC 8866 §5.7). */
export function mediaConnections(sd: SessionDescription, index: number): Connection[] {
  const own = sd.media[index]?.connections ?? [];
  return own.length > 0 ? own : sd.connection ? [sd.connection] : [];
}

/** RFC 2543 hold: `c=IN IP4 0.0.0.0` for stream `index` — send it neither RTP nor RTCP (RFC 3264 §8.4). */
export function isLegacyHold(sd: SessionDescription, index: number): boolean {
  return mediaConnections(sd, index).some((c) => c.addrType === 'IP4' && c.address === '0.0.0.0');
}

export function sends(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export function receives(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

export function directionFrom(send: boolean, recv: boolean): Direction {
  return send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
}

/** The same stream seen from the other end (sendonly ↔ recvonly). */
export function reverseDirection(d: Direction): Direction {
  return directionFrom(receives(d), sends(d));
}

/**
 * What the author of `sd` will really do on stream `index`: its direction attribute, except that
 * with c=0.0.0.0 it cannot receive (RFC 6337 §5.4), so sendrecv counts as sendonly (hold) and
 * recvonly as inactive.
 */
export function effectiveDirection(sd: SessionDescription, index: number): Direction {
  const d = mediaDirection(sd, index);
  return isLegacyHold(sd, index) ? directionFrom(sends(d), false) : d;
}
