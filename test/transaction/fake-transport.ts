import { EventEmitter } from 'node:events';
import { parseMessage, type SipMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';
import type { Inbound, Target, TransportLayer, TransportProtocol } from '../../src/transport/types.js';
import type { FakeClock } from '../../src/util/clock.js';

/** Records what the transaction layer sends (with the fake time), injects inbound messages. */
export class FakeTransport extends EventEmitter implements TransportLayer {
  sent: { at: number; message: SipMessage; target: Target; connectionId?: string | undefined }[] = [];
  failSends = false;
  constructor(private readonly clock: FakeClock) {
    super();
  }
  send(message: SipMessage, target: Target, opts?: { connectionId?: string }): Promise<void> {
    if (this.failSends) return Promise.reject(new Error('network unreachable'));
    // serialise now, as a real transport would, and keep a parsed copy
    this.sent.push({
      at: this.clock.now(),
      message: parseMessage(message.toBuffer()),
      target,
      connectionId: opts?.connectionId,
    });
    return Promise.resolve();
  }
  isReliable(p: TransportProtocol): boolean {
    return p !== 'udp';
  }
  viaFor(): { host: string; port: number } {
    return { host: '192.0.2.1', port: 5060 };
  }
  inject(
    message: SipRequest | SipResponse,
    protocol: TransportProtocol = 'udp',
    remote = { host: '192.0.2.9', port: 5070 },
  ): void {
    const m: Inbound = {
      message: parseMessage(message.toBuffer()),
      protocol,
      remote,
      local: { host: '192.0.2.1', port: 5060 },
    };
    if (protocol !== 'udp') m.connectionId = 'conn-1';
    this.emit('message', m);
  }
  /** Times (ms) at which messages matching `pred` were sent. */
  times(pred: (m: SipMessage) => boolean): number[] {
    return this.sent.filter((s) => pred(s.message)).map((s) => s.at);
  }
}

export const flush = () => new Promise<void>((r) => setImmediate(r));
