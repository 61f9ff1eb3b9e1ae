/**
 * RTP port allocation from a configured range: RTP on an even port, RTCP on the next odd one
 * (RFC 3550 §11). Each allocation binds both UDP sockets, so a port some other process holds is
 * skipped; closing the pair frees it. State is per allocator (one per UA or process, as configured).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { literalLookup } from '../transport/address.js';

export interface PortRange {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port; the last pair must fit below or at it. */
  max: number;
}

/** The range has no free pair left. */
export class PortsExhaustedError extends Error {
  override readonly name = 'PortsExhaustedError';
  constructor(
    readonly range: PortRange,
    readonly inUse: number,
  ) {
    super(`no free RTP port pair in ${range.min}-${range.max} (${inUse} in use by this allocator)`);
  }
}

/** A bound RTP/RTCP socket pair. Close it to free the ports (idempotent). */
export interface PortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
  readonly address: string;
  close(): Promise<void>;
}

export class PortAllocator {
  readonly range: PortRange;
  private readonly used = new Set<number>();
  /** Where the next search starts: round robin, so a freed pair is not reused at once (stale packets). */
  private next: number;

  constructor(range: PortRange) {
    const min = range.min + (range.min % 2);
    if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || min < 1024 || range.max > 65535)
      throw new RangeError(`RTP port range ${range.min}-${range.max} must lie within 1024-65535`);
    if (min + 1 > range.max) throw new RangeError(`RTP port range ${range.min}-${range.max} holds no even/odd pair`);
    this.range = { min, max: range.max };
    this.next = min;
  }

  /** Pairs currently allocated. */
  get inUse(): number {
    return this.used.size;
  }
  /** Pairs the range holds. */
  get capacity(): number {
    return Math.floor((this.range.max - this.range.min + 1) / 2);
  }

  /**
   * Bind a free pair on `address`. Pairs another process holds are skipped. Rejects with
   * PortsExhaustedError when no pair is free, or with the socket error for anything but EADDRINUSE.
   */
  async allocate(address: string): Promise<PortPair> {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      const port = this.next;
      this.next = port + 2 + 1 > this.range.max ? this.range.min : port + 2;
      if (this.used.has(port)) continue;
      this.used.add(port);
      try {
        return await this.bindPair(address, port);
      } catch (e) {
        this.used.delete(port);
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new PortsExhaustedError(this.range, this.used.size);
  }

  private async bindPair(address: string, port: number): Promise<PortPair> {
    const rtp = await bind(address, port);
    let rtcp: Socket;
    try {
      rtcp = await bind(address, port + 1);
    } catch (e) {
      await closeSocket(rtp);
      throw e;
    }
    let closed: Promise<void> | undefined;
    return {
      rtpPort: port,
      rtcpPort: port + 1,
      rtp,
      rtcp,
      address,
      close: () => {
        closed ??= Promise.all([closeSocket(rtp), closeSocket(rtcp)]).then(() => {
          this.used.delete(port);
        });
        return closed;
      },
    };
  }
}

function bind(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({
      type: isIPv6(address) ? 'udp6' : 'udp4',
      ipv6Only: isIPv6(address),
      lookup: literalLookup,
    });
    const onError = (e: Error): void => {
      try {
        s.close();
      } catch {
        // never bound: nothing to close
      }
      reject(e);
    };
    s.once('error', onError);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      // already closed
      resolve();
    }
  });
}
