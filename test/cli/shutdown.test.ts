/**
 * `switchboard phone` exits after `quit` even when the call cannot end politely: its answer crossed
 * the quit and the caller never ACKs (so no BYE may go yet, RFC 3261 §15), or the callee never
 * answers at all. ua.stop() ends such calls locally after its bound; before, their RTP sockets kept
 * the process alive for good.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { cliProcs, startPhone, type Proc } from './helpers.js';
import { within } from '../helpers/wait.js';

const cli = cliProcs();
const sockets: Socket[] = [];
after(() => sockets.forEach((s) => s.close()));

/** Exit code, or a failure when the process is still alive after `ms` (the bug this file guards). */
function exitWithin(p: Proc, ms: number): Promise<number | null> {
  return within(p.exited, ms, 'the phone exiting after quit');
}

test('phone: quit while its answer is unACKed (the answer crossed the quit) exits 0, the call ends as shutdown', async () => {
  const peer = createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  sockets.push(peer);
  const port = peer.address().port;
  const { proc: bob, port: bport } = await startPhone(cli, 'bob', { autoAnswer: 0, readyMs: 30_000 });
  const sdp =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
    `m=audio ${port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  const invite = [
    `INVITE sip:bob@127.0.0.1:${bport} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-cli-cross;rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:bob@127.0.0.1>',
    'Call-ID: cli-answer-crosses-quit',
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  // quit the moment the 2xx arrives; we never ACK it
  const answered = new Promise<void>((resolve) =>
    peer.on('message', (m) => {
      if (m.toString('latin1').startsWith('SIP/2.0 200')) resolve();
    }),
  );
  peer.send(invite, bport, '127.0.0.1');
  await answered;
  bob.send('quit');
  assert.equal(await exitWithin(bob, 20_000), 0);
  const ended = await bob.event('terminated');
  assert.equal(ended.reason, 'shutdown');
});

test('phone: quit while calling a peer that never answers exits 0', async () => {
  const peer = createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  sockets.push(peer);
  const invited = once(peer, 'message');
  const { proc: alice } = await startPhone(cli, 'alice', { readyMs: 30_000 });
  alice.send(`call sip:bob@127.0.0.1:${peer.address().port}`);
  await invited;
  alice.send('quit');
  assert.equal(await exitWithin(alice, 20_000), 0);
  assert.equal((await alice.event('terminated')).reason, 'shutdown');
});
