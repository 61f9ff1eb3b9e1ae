/**
 * UserAgent.stop() is bounded: a call whose BYE, CANCEL or ACK never comes (a silent peer, an answer
 * that crossed the quit) ends locally as 'shutdown' once stopTimeout passes, and its RTP ports are
 * freed; an RtpMedia closed while its open() is still binding ports frees them too. Before this, such
 * a call kept its RTP sockets open and `switchboard phone` never exited after quit.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { TerminatedInfo } from '../../src/call/invite-session.js';
import { PortAllocator } from '../../src/media/ports.js';
import { MediaNotReadyError, rtpMediaFactory } from '../../src/media/rtp-media.js';

const T = { timeout: 20_000 };
const cleanup: (() => unknown)[] = [];
after(() =>
  Promise.all(
    cleanup.map((f) =>
      Promise.resolve()
        .then(f)
        .catch(() => undefined),
    ),
  ),
);

async function silentPeer(): Promise<{ sock: Socket; port: number; got: string[] }> {
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  cleanup.push(() => sock.close());
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  return { sock, port: sock.address().port, got };
}

function phone(allocator: PortAllocator, extra: Partial<ConstructorParameters<typeof UserAgent>[0]> = {}) {
  return new UserAgent({
    aor: 'sip:alice@127.0.0.1',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    mediaFactory: rtpMediaFactory({ allocator }),
    stopTimeout: 300,
    ...extra,
  });
}

test('RtpMedia closed while open() binds its ports: open rejects, the ports are freed', T, async () => {
  const allocator = new PortAllocator({ min: 20000, max: 29999 });
  const media = rtpMediaFactory({ allocator })({ address: '127.0.0.1', secure: false, callId: 'race' });
  const opened = media.open();
  const closed = media.close();
  await assert.rejects(opened, MediaNotReadyError);
  await closed;
  assert.equal(allocator.inUse, 0);
});

test('stop() while calling a peer that never answers: the call ends as shutdown, ports freed', T, async () => {
  const peer = await silentPeer();
  const allocator = new PortAllocator({ min: 20000, max: 29999 });
  const ua = phone(allocator);
  await ua.start();
  cleanup.push(() => ua.stop());
  const call = ua.dial(`sip:bob@127.0.0.1:${peer.port}`);
  const ended = new Promise<TerminatedInfo>((r) => call.once('terminated', r));
  // the INVITE is out: no provisional will ever come, so no CANCEL may be sent (RFC 3261 §9.1)
  while (!peer.got.some((m) => m.startsWith('INVITE'))) await once(peer.sock, 'message');
  await ua.stop();
  assert.equal((await ended).reason, 'shutdown');
  assert.equal(allocator.inUse, 0, 'RTP ports freed');
});

test(
  'stop() after answering a caller that never ACKs (the answer crossed the quit): shutdown, ports freed',
  T,
  async () => {
    const peer = await silentPeer();
    const allocator = new PortAllocator({ min: 20000, max: 29999 });
    const ua = phone(allocator, { aor: 'sip:bob@127.0.0.1', autoAnswer: 0 });
    await ua.start();
    cleanup.push(() => ua.stop());
    const bport = (ua.contact.uri as { port?: number }).port!;
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
      `m=audio ${peer.port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
    const invite = [
      `INVITE sip:bob@127.0.0.1:${bport} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-cross1;rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=a1',
      'To: <sip:bob@127.0.0.1>',
      'Call-ID: answer-crosses-quit',
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${peer.port}>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n');
    const incoming = once(ua, 'incoming');
    peer.sock.send(invite, bport, '127.0.0.1');
    const [call] = (await incoming) as [import('../../src/call/call.js').Call];
    const ended = new Promise<TerminatedInfo>((r) => call.once('terminated', r));
    // our 2xx is out and its ACK will never come
    while (!peer.got.some((m) => m.startsWith('SIP/2.0 200'))) await once(peer.sock, 'message');
    await ua.stop();
    assert.equal((await ended).reason, 'shutdown');
    assert.equal(allocator.inUse, 0, 'RTP ports freed');
  },
);
