/**
 * The proxy's own CPU per call, without sockets: SIPp's bench call flow (uac-rr.xml / uas-rr.xml:
 * INVITE, 100, 180, 200 with SDP, ACK and BYE by the Route, 200) replayed through a real Proxy
 * (--record-route, bob registered) over a transport that only keeps what is sent. The SIPp bench's
 * CPU per call (bench/proxy.ts) is mostly the sends' and receives' system calls, and it moves with
 * the machine's load by more than one change to the proxy's JavaScript saves; this measures that
 * JavaScript (and the message building here, the same for every build compared).
 *
 * `node dist/bench/proxy-replay.js [calls per round] [rounds]`: after a warm-up of 1,500 calls,
 * prints the CPU ms per call of each round (the median is the figure to compare).
 */
import { EventEmitter } from 'node:events';
import { parseMessage, type SipMessage } from '../src/message/index.js';
import { Proxy } from '../src/proxy/proxy.js';
import { proxyEagerHeaders } from '../src/proxy/eager-headers.js';
import { MemoryLocationStore, Registrar } from '../src/registrar/index.js';
import type { Inbound, Target, TransportLayer, TransportProtocol } from '../src/transport/index.js';

const PORT = 5060;
const UAC = 5070;
const UAS = 5080;

/** A transport that keeps the bytes the proxy sends (serialised as the UDP transport does). */
class KeepingTransport extends EventEmitter implements TransportLayer {
  readonly sent: Buffer[] = [];
  readonly listening = [{ protocol: 'udp' as TransportProtocol, host: '127.0.0.1', port: PORT }];
  send(message: SipMessage, _target: Target): Promise<void> {
    this.sent.push(message.toBuffer());
    return Promise.resolve();
  }
  isReliable(): boolean {
    return false;
  }
  viaFor(): { host: string; port: number } {
    return { host: '127.0.0.1', port: PORT };
  }
  override on(event: 'message', fn: (m: Inbound) => void): this {
    return super.on(event, fn);
  }
  override off(event: 'message', fn: (m: Inbound) => void): this {
    return super.off(event, fn);
  }
  deliver(text: string, port: number): void {
    const message = parseMessage(Buffer.from(text, 'latin1'), { eager: proxyEagerHeaders });
    const m: Inbound = {
      message,
      protocol: 'udp',
      remote: { host: '127.0.0.1', port },
      local: { host: '127.0.0.1', port: PORT },
    };
    this.emit('message', m);
  }
  /** The next datagram sent, once the proxy's promises have run. */
  async next(): Promise<string> {
    for (let i = 0; i < 5 && this.sent.length === 0; i++) await new Promise((r) => setImmediate(r));
    const b = this.sent.shift();
    if (!b) throw new Error('the proxy sent nothing');
    return b.toString('latin1');
  }
}

const SDP =
  'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** The header lines named `name` of a message's text, each with its CRLF. */
function lines(text: string, name: string): string {
  const n = name.toLowerCase() + ':';
  let out = '';
  for (const l of text.split('\r\n')) if (l.toLowerCase().startsWith(n)) out += l + '\r\n';
  return out;
}

async function call(t: KeepingTransport, i: number): Promise<void> {
  const cid = `Call-ID: ${i}-replay@127.0.0.1\r\n`;
  const from = `From: sipp <sip:sipp@127.0.0.1:${UAC}>;tag=${i}SIPpTag00${i}\r\n`;
  const to = `To: bob <sip:bob@127.0.0.1:${PORT}>`;
  const tagged = `${to};tag=${i}uas\r\n`;
  const sdp = `Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
  t.deliver(
    `INVITE sip:bob@127.0.0.1:${PORT} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${UAC};branch=z9hG4bK-${i}-1-0\r\n` +
      `${from}${to}\r\n${cid}CSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:${UAC}\r\nMax-Forwards: 70\r\n` +
      `Subject: Performance Test\r\n${sdp}`,
    UAC,
  );
  const invite = await t.next();
  const vias = lines(invite, 'Via');
  const rr = lines(invite, 'Record-Route');
  const contact = `Contact: <sip:bob@127.0.0.1:${UAS};transport=UDP>\r\n`;
  t.deliver(`SIP/2.0 100 Trying\r\n${vias}${from}${to}\r\n${cid}CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`, UAS);
  t.deliver(
    `SIP/2.0 180 Ringing\r\n${vias}${rr}${from}${tagged}${cid}CSeq: 1 INVITE\r\n${contact}Content-Length: 0\r\n\r\n`,
    UAS,
  );
  await t.next();
  t.deliver(`SIP/2.0 200 OK\r\n${vias}${rr}${from}${tagged}${cid}CSeq: 1 INVITE\r\n${contact}${sdp}`, UAS);
  await t.next();
  const inDialog = (method: string, n: number, cseq: number) =>
    `${method} sip:bob@127.0.0.1:${UAS};transport=UDP SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${UAC};branch=z9hG4bK-${i}-${n}-0\r\nRoute: <sip:127.0.0.1:${PORT};lr>\r\n` +
    `${from}${tagged}${cid}CSeq: ${cseq} ${method}\r\nContact: sip:sipp@127.0.0.1:${UAC}\r\nMax-Forwards: 70\r\n` +
    'Content-Length: 0\r\n\r\n';
  t.deliver(inDialog('ACK', 5, 1), UAC);
  await t.next();
  t.deliver(inDialog('BYE', 7, 2), UAC);
  const bye = await t.next();
  t.deliver(
    `SIP/2.0 200 OK\r\n${lines(bye, 'Via')}${from}${tagged}${cid}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`,
    UAS,
  );
  await t.next();
}

const t = new KeepingTransport();
const registrar = new Registrar({ domains: ['127.0.0.1'], store: new MemoryLocationStore() });
const proxy = new Proxy({ transport: t, domains: ['127.0.0.1'], hostnames: [], registrar, recordRoute: true });
t.deliver(
  `REGISTER sip:127.0.0.1:${PORT} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${UAS};branch=z9hG4bKreg\r\n` +
    'From: <sip:bob@127.0.0.1>;tag=r\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: reg\r\nCSeq: 1 REGISTER\r\n' +
    `Contact: <sip:bob@127.0.0.1:${UAS}>\r\nExpires: 3600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
  UAS,
);
await t.next();
const perRound = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);
let n = 0;
for (let i = 0; i < 1500; i++) await call(t, n++);
const ms: string[] = [];
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < perRound; i++) await call(t, n++);
  const c = process.cpuUsage(c0);
  ms.push(((c.user + c.system) / 1000 / perRound).toFixed(4));
}
console.log(`proxy replay: CPU ms per call ${ms.join(' ')} (${n} calls, ${proxy.stats.forwarded} requests forwarded)`);
proxy.close();
process.exit(0);
