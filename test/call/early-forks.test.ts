/**
 * Forked early dialogs at the caller (RFC 3261 §12.1.2, §13.2.2.4): a raw UDP peer plays two forks
 * of a proxy, each sending a 1xx with its own To tag. Each early dialog is routed to the call, so an
 * UPDATE (RFC 3311 §5.1) in either is answered 200 (the second fork's used to get 481), and every
 * early dialog is gone once the INVITE fails.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once, phone, type Phone } from './helpers.js';
import { within } from '../helpers/wait.js';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';

const phones: Phone[] = [];
const socks: Socket[] = [];
after(async () => {
  for (const s of socks) s.close();
  await Promise.all(phones.map((p) => p.ua.stop()));
});

test('UPDATE in the second fork’s early dialog is answered 200, like the first; the early dialogs end with the INVITE', async () => {
  const alice = await phone('alice');
  phones.push(alice);
  const sock = createSocket('udp4');
  socks.push(sock);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const requests: SipRequest[] = [];
  const responses: SipResponse[] = [];
  const arrived = new EventTarget();
  sock.on('message', (buf) => {
    const m = parseMessage(buf);
    if (m.isRequest) requests.push(m as SipRequest);
    else responses.push(m as SipResponse);
    arrived.dispatchEvent(new Event('message'));
  });
  const next = <T>(find: () => T | undefined, what: string): Promise<T> =>
    within(
      new Promise<T>((resolve) => {
        const check = () => {
          const v = find();
          if (v === undefined) return;
          arrived.removeEventListener('message', check);
          resolve(v);
        };
        arrived.addEventListener('message', check);
        check();
      }),
      5000,
      what,
    );
  const alicePort = Number(/:(\d+)/.exec(alice.uri.replace('sip:', ''))?.[1]);
  const send = (text: string) =>
    new Promise<void>((r, j) => sock.send(Buffer.from(text), alicePort, '127.0.0.1', (e) => (e ? j(e) : r())));

  const call = alice.ua.dial(`sip:bob@127.0.0.1:${port}`);
  const invite = await next(() => requests.find((r) => r.method === 'INVITE'), 'the INVITE');
  const ringing = once(call, 'ringing');
  // two forks: a 180 from one callee, a 180 from another (same Via, different To tags)
  for (const tag of ['fork-a', 'fork-b'])
    await send(
      createResponse(invite, 180, { toTag: tag, contact: `<sip:${tag}@127.0.0.1:${port}>` })
        .toBuffer()
        .toString('latin1'),
    );
  await ringing;
  const update = (tag: string, cseq: number) =>
    [
      `UPDATE sip:alice@127.0.0.1:${alicePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-upd-${tag};rport`,
      'Max-Forwards: 70',
      `From: ${invite.get('To')};tag=${tag}`,
      `To: ${invite.get('From')}`,
      `Call-ID: ${invite.callId}`,
      `CSeq: ${cseq} UPDATE`,
      `Contact: <sip:${tag}@127.0.0.1:${port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  const answerTo = (tag: string) =>
    next(
      () => responses.find((r) => r.cseq?.method === 'UPDATE' && r.via[0]?.branch === `z9hG4bK-upd-${tag}`),
      `the answer to the UPDATE in ${tag}'s early dialog`,
    );
  // the second fork first, then the first (RFC 3311 §5.1: UPDATE in an early dialog)
  await send(update('fork-b', 1));
  assert.equal((await answerTo('fork-b')).status, 200, "the second fork's early dialog is routed");
  await send(update('fork-a', 1));
  assert.equal((await answerTo('fork-a')).status, 200, "the first fork's early dialog is routed");
  assert.equal(alice.ua.core.dialogCount, 2, 'one early dialog per To tag');

  // both forks give up: the INVITE fails, and its early dialogs go with it
  const ended = once<[{ reason: string; code?: number }]>(call, 'terminated');
  await send(createResponse(invite, 486, { toTag: 'fork-b' }).toBuffer().toString('latin1'));
  assert.equal((await ended)[0].code, 486);
  assert.equal(alice.ua.core.dialogCount, 0, 'no early dialog left behind');
});
