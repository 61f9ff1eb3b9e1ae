import { EventEmitter } from 'node:events';
import type { WireEvent } from '../transport/index.js';

/** One message as it crossed the wire at one element. */
interface Endpoint {
  host: string;
  port: number;
}

export interface TraceEntry {
  /** Milliseconds since the epoch (fractional). */
  time: number;
  /** Which element saw it: 'alice', 'proxy', ... */
  element: string;
  direction: 'in' | 'out';
  transport: string;
  local: { host: string; port: number };
  remote: { host: string; port: number };
  bytes: Buffer;
}

/** Collects what every Switchboard element sends and receives; hand `tap(name)` to a transport. */
export class TraceRecorder extends EventEmitter {
  readonly entries: TraceEntry[] = [];
  /** Media datagrams (RTP/RTCP) sent, kept apart from SIP: they go to the pcap only. */
  readonly media: TraceEntry[] = [];

  record(entry: TraceEntry): void {
    this.entries.push(entry);
    this.emit('entry', entry);
  }

  /** A media tap (RTP and RTCP we send) that records under `element`. */
  mediaTap(element: string): (d: { bytes: Uint8Array; local: Endpoint; remote: Endpoint }) => void {
    return (d) =>
      this.media.push({
        time: performance.timeOrigin + performance.now(),
        element,
        direction: 'out',
        transport: 'udp',
        local: d.local,
        remote: d.remote,
        bytes: Buffer.from(d.bytes),
      });
  }

  /** A transport tap that records under `element`. */
  tap(element: string): (e: WireEvent) => void {
    return (e) =>
      this.record({
        time: performance.timeOrigin + performance.now(),
        element,
        direction: e.direction,
        transport: e.protocol,
        local: e.local,
        remote: e.remote,
        bytes: Buffer.from(e.bytes),
      });
  }
}
