// Our SDP's o= line across a session: a fixed session id, and a version that moves only when the
// SDP changes (RFC 3264 §5, §8).
import { isIPv6 } from 'node:net';
import { serializeSdp } from './serialize.js';
import type { MediaDescription, SessionDescription } from './session.js';

export class SdpOrigin {
  /** The last SDP we sent, and the same with its version blanked (to tell whether anything changed). */
  private lastSent: { content: string; sdp: string } | undefined;
  private version: bigint;

  constructor(
    /** o= sess-id: fixed for the session (RFC 3264 §5). */
    readonly sessionId: string,
    version: string,
    private readonly local: { address: string; username: string; sessionName: string },
  ) {
    this.version = BigInt(version);
  }

  /** The last SDP produced. */
  get lastSdp(): string | undefined {
    return this.lastSent?.sdp;
  }

  /**
   * Serialise with the o= version: the same as last time when nothing changed, else one more
   * (RFC 3264 §8). The comparison is with the last SDP sent, so versions never repeat.
   */
  stamp(media: MediaDescription[]): string {
    const addrType = isIPv6(this.local.address) ? 'IP6' : 'IP4';
    const build = (version: string): SessionDescription => ({
      version: 0,
      origin: {
        username: this.local.username,
        sessionId: this.sessionId,
        sessionVersion: version,
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
    });
    const content = serializeSdp(build('0'));
    if (this.lastSent?.content === content) return this.lastSent.sdp;
    if (this.lastSent) this.version += 1n;
    const sdp = serializeSdp(build(this.version.toString()));
    this.lastSent = { content, sdp };
    return sdp;
  }
}
