import { parseMessage, parseSipfrag, type SipRequest, type SipResponse } from '../message/index.js';
import type { TraceEntry } from './recorder.js';

/** What a ladder shows of one message. */
export interface MessageSummary {
  label: string;
  /** A shorter label for narrow columns. */
  short: string;
  callId: string;
  isRequest: boolean;
  method: string;
  status: number | undefined;
  cseq: string;
  branch: string;
}

/** Label: method or status, plus the SDP direction, Refer-To, or the sipfrag status of a NOTIFY. */
export function summarize(bytes: Buffer): MessageSummary | undefined {
  let m: SipRequest | SipResponse;
  try {
    m = parseMessage(bytes, { lazy: true });
  } catch {
    return undefined;
  }
  let label: string;
  let method: string;
  let status: number | undefined;
  try {
    if (m.isRequest) {
      const r = m as SipRequest;
      method = r.method;
      label = r.method;
      if (r.method === 'REFER') label += ` Refer-To: ${r.get('Refer-To') ?? '?'}`;
      if (r.method === 'NOTIFY' && r.body.length) {
        try {
          const f = parseSipfrag(r.body);
          if (f.status) label += ` (${f.status} ${f.reason ?? ''})`.replace(/ \)$/, ')');
        } catch {
          /* not a sipfrag */
        }
      }
      if (r.has('Replaces')) label += ' (Replaces)';
    } else {
      const s = m as SipResponse;
      status = s.status;
      method = s.cseq?.method ?? '';
      label = `${s.status} ${s.reason}`;
      if (s.cseq && s.cseq.method !== 'INVITE') label += ` (${s.cseq.method})`;
    }
    const dir = /\r?\na=(sendrecv|sendonly|recvonly|inactive)/.exec(m.body.toString('latin1'))?.[1];
    if (dir) label += ` [${dir}]`;
    let short = m.isRequest ? method : `${status}${method && method !== 'INVITE' ? ` ${method}` : ''}`;
    if (m.isRequest && method === 'NOTIFY') short = label.replace(/^NOTIFY \((\d+).*$/, 'NOTIFY ($1)');
    if (m.isRequest && method === 'REFER')
      short = `REFER ${/<?(?:sips?:)?([^@;>?]+)/.exec(m.get('Refer-To') ?? '')?.[1] ?? ''}`;
    if (m.isRequest && m.has('Replaces')) short += ' (Replaces)';
    if (dir) short += ` [${dir}]`;
    return {
      label,
      short,
      callId: m.callId ?? '',
      isRequest: m.isRequest,
      method,
      status,
      cseq: m.get('CSeq') ?? '',
      branch: m.topVia?.branch ?? '',
    };
  } catch {
    const l = m.isRequest ? (m as SipRequest).method : String((m as SipResponse).status);
    return {
      label: l,
      short: l,
      callId: '',
      isRequest: m.isRequest,
      method: '',
      status: undefined,
      cseq: '',
      branch: '',
    };
  }
}

/** One arrow: a message from one party to another (the two ends' records merged). */
export interface Arrow {
  time: number;
  from: string;
  to: string;
  summary: MessageSummary;
  bytes: Buffer;
  transport: string;
}

const addrKey = (a: { host: string; port: number }) => `${a.host.replace(/^::ffff:/, '')}:${a.port}`;

/**
 * Turn per-element records into arrows between parties: an 'out' record's remote address is
 * mapped to the element listening there; the matching 'in' record at the receiver is dropped.
 */
export function arrows(entries: TraceEntry[]): { parties: string[]; arrows: Arrow[] } {
  const owner = new Map<string, string>();
  for (const e of entries) if (e.direction === 'in' || e.transport === 'udp') owner.set(addrKey(e.local), e.element);
  // stream connections: the local side of an outgoing connection belongs to the sender too
  for (const e of entries) if (!owner.has(addrKey(e.local))) owner.set(addrKey(e.local), e.element);
  const parties: string[] = [];
  const add = (p: string) => {
    if (!parties.includes(p)) parties.push(p);
  };
  // each message seen at both ends is one arrow: drop the 'in' record that has a matching 'out'
  // (same bytes, addresses mirrored), whichever of the two was recorded first
  const outs = new Map<string, number>();
  const pairKey = (bytes: Buffer, from: { host: string; port: number }, to: { host: string; port: number }) =>
    `${addrKey(from)}>${addrKey(to)}|${bytes.toString('latin1')}`;
  for (const e of entries)
    if (e.direction === 'out') {
      const k = pairKey(e.bytes, e.local, e.remote);
      outs.set(k, (outs.get(k) ?? 0) + 1);
    }
  const out: Arrow[] = [];
  for (const e of entries) {
    if (e.direction === 'in') {
      const k = pairKey(e.bytes, e.remote, e.local);
      const n = outs.get(k) ?? 0;
      if (n > 0) {
        outs.set(k, n - 1);
        continue;
      }
      // received from someone we did not record: show it coming from its address
      const from = owner.get(addrKey(e.remote)) ?? addrKey(e.remote);
      const s = summarize(e.bytes);
      if (!s) continue;
      add(from);
      add(e.element);
      out.push({ time: e.time, from, to: e.element, summary: s, bytes: e.bytes, transport: e.transport });
      continue;
    }
    const to = owner.get(addrKey(e.remote)) ?? addrKey(e.remote);
    const s = summarize(e.bytes);
    if (!s) continue;
    add(e.element);
    add(to);
    out.push({ time: e.time, from: e.element, to, summary: s, bytes: e.bytes, transport: e.transport });
  }
  return { parties, arrows: out };
}
