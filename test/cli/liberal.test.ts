/** Liberal receiving through the CLI (issue 13 §5): `parse` shows a header's fault; `phone` takes the seed REFER. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliProcs, run, startPhone } from './helpers.js';
import { SEED_REFER } from '../helpers/seeds.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';

const cli = cliProcs();
const sockets: Socket[] = [];
after(() => sockets.forEach((s) => s.close()));

test('switchboard parse: the seed REFER prints with its Referred-By fault next to the header, exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-parse-'));
  writeFileSync(join(dir, 'refer.sip'), SEED_REFER);
  const r = await run(['parse', join(dir, 'refer.sip')]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    method: string;
    headers: { name: string; value: string; parsed?: unknown; fault?: { reason: string; offset: number } }[];
    faults: string[];
  };
  assert.equal(j.method, 'REFER');
  const rb = j.headers.find((h) => h.name === 'Referred-By')!;
  assert.equal(rb.value, '<alice@atlanta.example.com>');
  assert.equal(rb.parsed, undefined);
  assert.match(rb.fault!.reason, /^Referred-By: invalid URI scheme/);
  assert.ok(rb.fault!.offset > SEED_REFER.indexOf('Referred-By'));
  assert.ok(j.headers.find((h) => h.name === 'Refer-To')!.parsed, 'the other headers are parsed');
  assert.deepEqual(j.faults, [`${rb.fault!.reason} at byte ${rb.fault!.offset}`]);
  assert.match(r.stderr, /^warning: Referred-By: invalid URI scheme at byte \d+\n$/);
  // a fault in a header every element needs is still an error
  writeFileSync(join(dir, 'bad.sip'), SEED_REFER.replace('CSeq: 2 REFER', 'CSeq: x REFER'));
  const bad = await run(['parse', join(dir, 'bad.sip')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: CSeq: .+ at byte \d+\n$/);
});

/** A UDP socket on loopback with a queue of parsed messages. */
async function peer(): Promise<{
  port: number;
  send(t: string, port: number): void;
  next(): Promise<SipRequest | SipResponse>;
}> {
  const s = createSocket('udp4');
  sockets.push(s);
  const queue: (SipRequest | SipResponse)[] = [];
  const waiting: ((m: SipRequest | SipResponse) => void)[] = [];
  s.on('message', (b) => {
    const m = parseMessage(b, { lazy: true });
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return {
    port: s.address().port,
    send: (t, port) => s.send(t, port, '127.0.0.1'),
    next: () =>
      new Promise((resolve, reject) => {
        const m = queue.shift();
        if (m) return resolve(m);
        const t = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
        waiting.push((x) => (clearTimeout(t), resolve(x)));
      }),
  };
}

test('switchboard phone: the seed REFER (Referred-By without a scheme) in a call is accepted and the transfer starts', async () => {
  const { proc: bob, port: bobPort } = await startPhone(cli, 'bob', { autoAnswer: 0 });
  const alice = await peer();
  const carol = await peer();
  const callId = `seed-${Date.now()}@127.0.0.1`;
  const via = (b: string) => `Via: SIP/2.0/UDP 127.0.0.1:${alice.port};branch=z9hG4bK${b}`;
  const sdp = 'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
  const head = (method: string, cseq: number, branch: string, toTag = '') => [
    `${method} sip:bob@127.0.0.1:${bobPort} SIP/2.0`,
    via(branch),
    'Max-Forwards: 70',
    'From: <sip:alice@atlanta.example.com>;tag=a1',
    `To: <sip:bob@127.0.0.1>${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:alice@127.0.0.1:${alice.port}>`,
  ];
  alice.send(
    [...head('INVITE', 1, 'inv1'), 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp].join(
      '\r\n',
    ),
    bobPort,
  );
  let ok: SipResponse;
  do ok = (await alice.next()) as SipResponse;
  while (ok.status < 200);
  assert.equal(ok.status, 200);
  const toTag = `;tag=${ok.to!.tag}`;
  alice.send([...head('ACK', 1, 'ack1', toTag), 'Content-Length: 0', '', ''].join('\r\n'), bobPort);
  // the seed's REFER, in this dialog, to a Carol we listen as
  alice.send(
    [
      ...head('REFER', 2, 'ref1', toTag),
      `Refer-To: <sip:carol@127.0.0.1:${carol.port}>`,
      'Referred-By: <alice@atlanta.example.com>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    bobPort,
  );
  const res = (await alice.next()) as SipResponse;
  assert.equal(res.status, 202, `${res.status} ${res.reason}`);
  await bob.event('refer-received');
  const inv = (await carol.next()) as SipRequest;
  assert.equal(inv.method, 'INVITE', 'the transfer goes on: an INVITE leaves for the target');
  bob.kill();
});
