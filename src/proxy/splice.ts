/**
 * Forwarding by splicing the bytes received (RFC 3261 §16.6 steps 2–8, §16.7 step 3). A proxy
 * changes only a few lines of what it forwards (the Request-URI, Max-Forwards, a Via and
 * Record-Route on top, the first Route or the top Via taken off), so the copy it sends is the
 * message's own bytes with those lines cut and inserted: every other header travels byte for
 * byte, without being parsed, copied into fields or serialised again.
 *
 * The input is a message that parsed (its header section is well framed); the scan here only
 * finds line boundaries and the few names it edits.
 */

/** A header line (with its continuation lines) in the message's bytes. */
interface Line {
  /** First octet of the name. */
  start: number;
  /** After the colon. */
  value: number;
  /** After the last LF of the line (and of its continuations). */
  end: number;
}

/** Case-insensitive: does the header name at buf[start] equal `name` (lower-case), then LWS and a colon? Returns the offset after the colon, or -1. */
function nameIs(buf: Buffer, start: number, end: number, name: string): number {
  let p = start;
  for (let i = 0; i < name.length; i++, p++) {
    if (p >= end || (buf[p]! | 0x20) !== name.charCodeAt(i)) return -1;
  }
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  return p < end && buf[p] === 58 ? p + 1 : -1;
}

/** End of the line that starts at `from`, continuation lines included (after the LF), and the header end. */
function lineEnd(buf: Buffer, from: number, headEnd: number): number {
  let p = from;
  for (;;) {
    const lf = buf.indexOf(10, p);
    if (lf < 0 || lf + 1 >= headEnd) return headEnd;
    const next = buf[lf + 1];
    // RFC 3261 §7.3.1: a line starting with SP or HT continues the previous one
    if (next !== 32 && next !== 9) return lf + 1;
    p = lf + 1;
  }
}

/** The header section's bounds: after the start line, and the start of the empty line. */
function headBounds(buf: Buffer): { first: number; headEnd: number } | undefined {
  const sl = buf.indexOf(10);
  if (sl < 0) return undefined;
  let headEnd = buf.indexOf('\r\n\r\n', sl - 1, 'latin1');
  if (headEnd < 0) {
    const lf = buf.indexOf('\n\n', sl - 1, 'latin1');
    if (lf < 0) return undefined;
    headEnd = lf + 1;
  } else headEnd += 2;
  return { first: sl + 1, headEnd: Math.max(headEnd, sl + 1) };
}

/**
 * Offset just after the first value of a comma-separated list that starts at `from` (the comma
 * itself), or -1 when the line holds one value. Commas inside quoted strings and <...> do not count.
 */
function firstComma(buf: Buffer, from: number, end: number): number {
  let quoted = false;
  let angle = false;
  for (let p = from; p < end; p++) {
    const c = buf[p]!;
    if (quoted) {
      if (c === 92) p++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (angle) {
      if (c === 62) angle = false;
    } else if (c === 60) angle = true;
    else if (c === 44) return p;
  }
  return -1;
}

/** Where a message is cut: [from, to) of the input is left out, `insert` goes at `from`. */
interface Cut {
  from: number;
  to: number;
  insert: string;
}

/**
 * The cut that takes the first value off a list header line: the whole line when it holds one
 * value, else the value and its comma (and the LWS after it), keeping the name.
 */
function popFirstValue(buf: Buffer, line: Line): Cut {
  const comma = firstComma(buf, line.value, line.end);
  if (comma < 0) return { from: line.start, to: line.end, insert: '' };
  let rest = comma + 1;
  let c: number;
  while (rest < line.end && ((c = buf[rest]!) === 32 || c === 9 || c === 13 || c === 10)) rest++;
  return { from: line.value, to: rest, insert: ' ' };
}

/** Copy the input with the cuts applied (cuts in increasing order, not overlapping). */
function apply(buf: Buffer, cuts: Cut[]): Buffer {
  let size = buf.length;
  for (const c of cuts) size += c.insert.length - (c.to - c.from);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  let i = 0;
  for (const c of cuts) {
    o += buf.copy(out, o, i, c.from);
    if (c.insert.length) o += out.write(c.insert, o, 'latin1');
    i = c.to;
  }
  buf.copy(out, o, i);
  return out;
}

export interface RequestSplice {
  /** Request line to use instead of the received one (without CRLF), when the Request-URI changes. */
  startLine?: string | undefined;
  /** Header lines to put on top of the header section (our Via, Record-Route), each ending in CRLF. */
  top: string;
  /** Max-Forwards of the copy (§16.6 step 3); the line is added when the request had none. */
  maxForwards: number;
  /** Take off the first Route value (§16.4: the Route naming us). */
  popRoute?: boolean;
}

/** A request to forward, from the bytes of the one received (§16.6). */
export function spliceRequest(buf: Buffer, ops: RequestSplice): Buffer {
  const b = headBounds(buf);
  if (!b) throw new Error('splice: no header section');
  const { first, headEnd } = b;
  const cuts: Cut[] = [];
  const mf = String(ops.maxForwards);
  let top = ops.top;
  if (ops.startLine !== undefined) cuts.push({ from: 0, to: first, insert: ops.startLine + '\r\n' });
  let sawMf = false;
  let sawRoute = !ops.popRoute;
  const edits: Cut[] = [];
  for (let p = first; p < headEnd && !(sawMf && sawRoute);) {
    const end = lineEnd(buf, p, headEnd);
    const c = buf[p]! | 0x20;
    if (!sawMf && c === 109) {
      const v = nameIs(buf, p, end, 'max-forwards');
      if (v > 0) {
        sawMf = true;
        // the value only; the line keeps its name as written
        let ve = end;
        while (ve > v && (buf[ve - 1] === 10 || buf[ve - 1] === 13 || buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
        edits.push({ from: v, to: ve, insert: ' ' + mf });
      }
    } else if (!sawRoute && c === 114) {
      const v = nameIs(buf, p, end, 'route');
      if (v > 0) {
        sawRoute = true;
        edits.push(popFirstValue(buf, { start: p, value: v, end }));
      }
    }
    p = end;
  }
  if (!sawMf) top += `Max-Forwards: ${mf}\r\n`;
  cuts.push({ from: first, to: first, insert: top });
  for (const e of edits) cuts.push(e);
  return apply(buf, cuts);
}

/** A response without its top Via (§16.7 step 3), from the bytes received. */
export function spliceResponse(buf: Buffer): Buffer {
  const b = headBounds(buf);
  if (!b) throw new Error('splice: no header section');
  for (let p = b.first; p < b.headEnd;) {
    const end = lineEnd(buf, p, b.headEnd);
    const c = buf[p]! | 0x20;
    if (c === 118) {
      const v = nameIs(buf, p, end, 'via');
      const w = v > 0 ? v : nameIs(buf, p, end, 'v');
      if (w > 0) return apply(buf, [popFirstValue(buf, { start: p, value: w, end })]);
    }
    p = end;
  }
  return buf;
}
