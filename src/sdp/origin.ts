// Our SDP's o= line across a session: a fixed session id, and a version that moves only when the
// SDP changes (RFC 3264 §5, §8).
import { isIPv6 } from 'node:net';
import { serializeSdp } from './serialize.js';
import type { MediaDescription, SessionDescription } from './session.js';

export class SdpOrigin {
  /** The last SDP we sent with its version written as 0, to tell whether anything changed. */
  private lastContent: string | undefined;
  private version: bigint;
  private readonly addrType: 'IP4' | 'IP6';

  constructor(
    /** o= sess-id: fixed for the session (RFC 3264 §5). */
    readonly sessionId: string,
    version: string,
    private readonly local: { address: string; username: string; sessionName: string },
  ) {
    this.version = BigInt(version);
    // an IPv4 address has no colon: skip isIPv6's regex (one per call)
    this.addrType = local.address.includes(':') && isIPv6(local.address) ? 'IP6' : 'IP4';
  }

  /** The last SDP produced (derived again from the kept text: a held call keeps one copy, issue 16 §1). */
  get lastSdp(): string | undefined {
    return this.lastContent === undefined ? undefined : this.withVersion(this.lastContent);
  }

  /** v= and the o= line up to its version: the serialiser always writes them first (RFC 8866 §5). */
  private get head(): string {
    return `v=0\r\no=${this.local.username} ${this.sessionId} `;
  }

  /** `content` (written with version 0) with our version in its o= line. */
  private withVersion(content: string): string {
    const head = this.head;
    return `${head}${this.version.toString()}${content.slice(head.length + 1)}`;
  }

  /**
   * Serialise with the o= version: the same as last time when nothing changed, else one more
   * (RFC 3264 §8). The comparison is with the last SDP sent, so versions never repeat.
   */
  stamp(media: MediaDescription[]): string {
    const { addrType } = this;
    const sd: SessionDescription = {
      version: 0,
      origin: {
        username: this.local.username,
        sessionId: this.sessionId,
        sessionVersion: '0',
        netType: 'IN',
        addrType,
        address: this.local.address,
      },
      sessionName: this.local.sessionName,
      emails: [],
      phones: [],
      connection: { netType: 'IN', addrType, address: this.local.address },
      bandwidths: [],
      timing: [{ start: '0', stop: '0', repeats: [] }],
      attributes: [],
      media,
    };
    // one serialisation: the version is put into the o= line afterwards
    const content = serializeSdp(sd);
    if (this.lastContent !== undefined && this.lastContent !== content) this.version += 1n;
    this.lastContent = content;
    return this.withVersion(content);
  }
}
