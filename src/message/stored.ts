// A request kept for long, as its wire text only (a call's INVITE for the life of the call).
import { parseMessage } from './parse.js';
import { type SipRequest } from './message.js';

/**
 * A request reduced to one latin1 string of its octets: about the message's size, where the parsed
 * request keeps its bytes, their line index and its parsed Request-URI besides (a typical INVITE:
 * 1.8 KB against 0.55 KB; issue 16 §1). `request()` parses the text anew as the transport did
 * (eagerly: its header faults are found again, `headerFaults` lists them).
 */
export class StoredRequest {
  private readonly wire: string;

  constructor(request: SipRequest) {
    this.wire = request.toBuffer().toString('latin1');
  }

  /** Octets kept. */
  get size(): number {
    return this.wire.length;
  }

  /** The request parsed again from its text: a new object, equal on the wire to the stored one. */
  request(): SipRequest {
    const n = this.wire.length;
    // bounded by its own size: it was within the receiving transport's limits, which may be larger
    return parseMessage(this.wire, { limits: { maxHeaderBytes: n, maxBodyBytes: n, maxHeaders: n } }) as SipRequest;
  }
}
