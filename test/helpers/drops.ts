/** Drop plans for the "no call lost after drops" tests (issue 16 item 2): lose chosen datagrams by kind. */
import type { SipMessage, SipRequest, SipResponse } from '../../src/message/index.js';
import type { DropRule } from '../../src/transport/index.js';

/** What a datagram is: "INVITE", "ACK", "BYE", "180/INVITE", "200/INVITE", "200/BYE", ... */
export function kind(m: SipMessage): string {
  if (m.isRequest) return (m as SipRequest).method;
  const cseq = m.get('CSeq') ?? '';
  return `${(m as SipResponse).status}/${cseq.trim().split(/\s+/)[1] ?? ''}`;
}

/** The current plan: lose the first `count` copies of each kind in `what`, in one direction. */
export interface DropPlan {
  what: string[];
  direction: 'in' | 'out';
  count: number;
  /** Datagrams lost so far under this plan. */
  dropped: number;
}

export function dropPlan(): DropPlan {
  return { what: [], direction: 'in', count: 1, dropped: 0 };
}

/** A DropRule for one direction of a LossyTransport that follows `plan` (changed between calls). */
export function ruleFor(plan: DropPlan, direction: 'in' | 'out'): DropRule {
  const seen = new Map<string, number>();
  let current: string[] | undefined;
  return (m) => {
    if (current !== plan.what) {
      current = plan.what;
      seen.clear();
    }
    const k = kind(m);
    if (plan.direction !== direction || !plan.what.includes(k)) return false;
    const n = seen.get(k) ?? 0;
    if (n >= plan.count) return false;
    seen.set(k, n + 1);
    plan.dropped++;
    return true;
  };
}
