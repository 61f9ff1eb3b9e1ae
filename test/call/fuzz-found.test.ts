/**
 * Crashes found by fuzzing the running phone (test/proxy/fuzz-running.test.ts), one test each.
 * An auto-answering phone that cannot answer an offer emitted 'error' on a Call nobody listened
 * to: an uncaught exception that ended the process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { UserAgent } from '../../src/ua/user-agent.js';

const uas: UserAgent[] = [];
const socks: dgram.Socket[] = [];
after(async () => {
  for (const s of socks) s.close();
  await Promise.all(uas.map((u) => u.stop()));
});

/** Send an INVITE with `sdp` to an auto-answering phone; resolves with the final status it answers. */
async function inviteWith(sdp: string, errors?: Error[]): Promise<number> {
  const ua = new UserAgent({
    aor: 'sip:bob@127.0.0.1',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
  });
  uas.push(ua);
  if (errors) ua.on('error', (e) => errors.push(e));
  await ua.start();
  const port = ua.transport.address('udp')!.port;
  const sock = dgram.createSocket('udp4');
  socks.push(sock);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const me = sock.address().port;
  const body = Buffer.from(sdp);
  const invite = Buffer.from(
    `INVITE sip:bob@127.0.0.1:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK-fuzz-${me}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:fuzz@127.0.0.1>;tag=f1\r\nTo: <sip:bob@127.0.0.1>\r\n` +
      `Call-ID: fuzz-${me}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:fuzz@127.0.0.1:${me}>\r\n` +
      `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${sdp}`,
  );
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no final response')), 5000);
    sock.on('message', (b) => {
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(b.toString('latin1'))?.[1]);
      if (status >= 200) {
        clearTimeout(t);
        resolve(status);
      }
    });
    sock.send(invite, port, '127.0.0.1');
  });
}

test('an unparseable SDP offer to an auto-answering phone: 488, no crash', async () => {
  assert.equal(await inviteWith('v=0\r\no=x\r\ns=-\r\n'), 488);
});

test('an offer without usable audio to an auto-answering phone: 488, no crash; the UA reports it when listened to', async () => {
  const errors: Error[] = [];
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n';
  assert.equal(await inviteWith(sdp, errors), 488);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /audio/);
});
