/** A raw UDP SIP peer on loopback for proxy tests: sends bytes, waits for matching messages. */
import * as dgram from 'node:dgram';
import { parseMessage, type SipMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';

export class Peer {
  readonly received: SipMessage[] = [];
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (b) => {
      const m = parseMessage(b);
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  static async open(): Promise<Peer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new Peer(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  send(m: SipMessage | string, port: number): void {
    this.sock.send(typeof m === 'string' ? Buffer.from(m, 'latin1') : m.toBuffer(), port, '127.0.0.1');
  }

  /** The next message (already received ones count, each only once) matching `pred`. */
  wait(pred: (m: SipMessage) => boolean, ms = 5000, what = 'a message'): Promise<SipMessage> {
    const i = this.received.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`peer ${this.port}: no ${what} within ${ms} ms`)), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  request(method: string, ms?: number): Promise<SipRequest> {
    return this.wait((m) => m.isRequest && (m as SipRequest).method === method, ms, method) as Promise<SipRequest>;
  }

  response(status: number, method?: string, ms?: number): Promise<SipResponse> {
    return this.wait(
      (m) => !m.isRequest && (m as SipResponse).status === status && (!method || m.cseq?.method === method),
      ms,
      `${status} ${method ?? ''}`,
    ) as Promise<SipResponse>;
  }

  close(): void {
    this.sock.close();
  }
}

let seq = 0;

/** A request as a UA would send it (one Via of the sender). */
export function rawRequest(
  method: string,
  ruri: string,
  from: Peer,
  opts: {
    from?: string;
    route?: string;
    toTag?: string;
    callId?: string;
    cseq?: number;
    extra?: string[];
    body?: string;
  } = {},
): string {
  const n = ++seq;
  const body = opts.body ?? '';
  return [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bKraw${n}x${Date.now()};rport`,
    'Max-Forwards: 70',
    ...(opts.route ? [`Route: ${opts.route}`] : []),
    `From: <${opts.from ?? 'sip:alice@example.org'}>;tag=a${n}`,
    `To: <${ruri}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? `raw-${n}-${Date.now()}`}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    `Contact: <sip:alice@127.0.0.1:${from.port}>`,
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A response to a received request, as a UAS sends it (every Via copied). */
export function rawResponse(req: SipRequest, status: number, toTag = 'b1', extra: string[] = []): string {
  const vias = req.getAll('Via').map((v) => `Via: ${v}`);
  const rr = req.getAll('Record-Route').map((v) => `Record-Route: ${v}`);
  const to = req.get('To')!;
  return [
    `SIP/2.0 ${status} X`,
    ...vias,
    ...rr,
    `From: ${req.get('From')}`,
    `To: ${/;tag=/.test(to) || status === 100 ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.get('CSeq')}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
