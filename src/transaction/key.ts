import { MAGIC_COOKIE, type SipRequest, type SipResponse } from '../message/index.js';

/** §17.1.3: a response matches a client transaction by top Via branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

export function clientKeyOfResponse(res: SipResponse): string | undefined {
  const b = res.topVia?.branch;
  const m = res.cseq?.method;
  return b && m ? clientKey(b, m) : undefined;
}

/**
 * §17.2.3: a request matches a server transaction by branch, sent-by and method (ACK matches the
 * INVITE it acknowledges); for RFC 2543 requests (no magic cookie), by Request-URI, tags,
 * Call-ID, CSeq and top Via.
 */
export function serverKey(req: SipRequest, methodOverride?: string): string | undefined {
  const via = req.topVia;
  if (!via) return undefined;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.branch;
  if (branch && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) {
    return `3261\u0000${branch}\u0000${via.sentBy.toLowerCase()}\u0000${method}`;
  }
  // RFC 2543 fallback: the ACK's To tag is the one of our response, so the To tag is left out
  // for all requests (the From tag, Call-ID and CSeq number identify the transaction well enough)
  const cseq = req.cseq;
  return `2543\u0000${req.uri.toString()}\u0000${req.from?.tag ?? ''}\u0000${req.callId ?? ''}\u0000${cseq?.seq ?? ''}\u0000${method}\u0000${via.toString()}`;
}
