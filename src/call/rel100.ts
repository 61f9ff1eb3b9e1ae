/**
 * 100rel negotiation and the RSeq / RAck headers (RFC 3262 §3, §4, §7). Pure functions: the
 * retransmitting machines that use them are in reliable-1xx.ts.
 */
import type { SipRequest, SipResponse } from '../message/index.js';

/** How much we want reliable provisional responses: not at all, when the peer asks, or always. */
export type ExtensionMode = 'off' | 'supported' | 'required';

/** RFC 3262 §7.1: RSeq is 1..2^32-1; the first one is chosen below 2^31 so that it never wraps. */
export const RSEQ_MAX = 2 ** 32 - 1;

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RFC 3262 §7.2 `RAck: response-num CSeq-num Method`; undefined when malformed. */
export function parseRAck(value: string | undefined): RAck | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z!%*_+`'~.-]+)\s*$/.exec(value ?? '');
  if (!m) return undefined;
  const rseq = Number(m[1]);
  const cseq = Number(m[2]);
  if (rseq < 1 || rseq > RSEQ_MAX || cseq > RSEQ_MAX) return undefined;
  return { rseq, cseq, method: m[3]!.toUpperCase() };
}

export function formatRAck(r: RAck): string {
  return `${r.rseq} ${r.cseq} ${r.method}`;
}

/** RFC 3262 §7.1 `RSeq: 1*DIGIT`; undefined when absent or malformed. */
export function parseRSeq(value: string | undefined): number | undefined {
  const m = /^\s*(\d{1,10})\s*$/.exec(value ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= RSEQ_MAX ? n : undefined;
}

/** A first RSeq uniformly in 1..2^31-1 (RFC 3262 §3). */
export function initialRSeq(random: () => number = Math.random): number {
  return 1 + Math.floor(random() * (2 ** 31 - 1));
}

function hasTag(values: readonly string[], tag: string): boolean {
  return values.some((v) => v.toLowerCase() === tag);
}

/** Whether a response is a reliable provisional one (RFC 3262 §4: 101–199 with Require: 100rel). */
export function isReliableProvisional(res: SipResponse): boolean {
  return res.status > 100 && res.status < 200 && hasTag(res.require, '100rel');
}

export type UasReliability =
  { kind: 'reliable' } | { kind: 'unreliable' } | { kind: 'reject'; status: 420 | 421; headers: [string, string][] };

/**
 * UAS: whether the provisional responses to this INVITE go reliably (RFC 3262 §3).
 * - The INVITE requires 100rel: reliable, or 420 with Unsupported when we have it off.
 * - We require it: reliable if the UAC supports it, else 421 Extension Required.
 * - We merely support it: reliable only when the UAC requires it (peers that list 100rel
 *   as supported keep getting plain 180s, as before).
 */
export function uasReliability(invite: SipRequest, mode: ExtensionMode): UasReliability {
  const required = hasTag(invite.require, '100rel');
  const supported = required || hasTag(invite.supported, '100rel');
  if (required) {
    return mode === 'off'
      ? { kind: 'reject', status: 420, headers: [['Unsupported', '100rel']] }
      : { kind: 'reliable' };
  }
  if (mode === 'required') {
    return supported ? { kind: 'reliable' } : { kind: 'reject', status: 421, headers: [['Require', '100rel']] };
  }
  return { kind: 'unreliable' };
}

/** UAC: the headers our INVITE carries for 100rel (RFC 3262 §4). Supported is listed by the caller's capabilities. */
export function uacRel100Headers(mode: ExtensionMode): [string, string][] {
  return mode === 'required' ? [['Require', '100rel']] : [];
}
