/**
 * Three baresip phones registered on `switchboard proxy --domain 127.0.0.1 --record-route` (a
 * domain that is the proxy's own IP address): a call whose ACK reaches the callee (its contact is
 * 127.0.0.1 with the callee's port, which must not be taken for our domain), hold and resume both
 * ways, and a blind transfer, all through the proxy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { Proc } from '../cli/helpers.js';
import { freePort } from './ports.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function phone(name: string, proxyPort: number): Promise<Baresip> {
  const b = await startBaresip(name, {
    account: () =>
      `<sip:${name}@127.0.0.1;transport=udp>;outbound="sip:127.0.0.1:${proxyPort};transport=udp";regint=60;answermode=manual;audio_codecs=PCMU/8000/1,PCMA/8000/1`,
  });
  cleanup.push(() => b.stop());
  return b;
}

/** The wire-log blocks of the proxy (DEBUG=switchboard): one message each. */
function blocks(log: string): { dir: string; peer: string; text: string }[] {
  return log
    .split(/\n(?=proxy (?:<<|>>) )/)
    .map((b) => /^proxy (<<|>>) \w+ ([\d.]+:\d+)\n([\s\S]*)$/.exec(b.trimStart()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ dir: m[1]!, peer: m[2]!, text: m[3]! }));
}

test('baresip phones on an IP-literal domain: the ACK reaches the callee, hold/resume both ways, blind transfer', async () => {
  const port = await freePort();
  const proxy = new Proc(
    ['proxy', '--listen', `udp:127.0.0.1:${port}`, '--domain', '127.0.0.1', '--record-route', '--verbose'],
    { DEBUG: 'switchboard' },
  );
  cleanup.push(() => proxy.kill());
  await proxy.waitStderr(/listening on udp:127\.0\.0\.1/, 15_000);
  const alice = await phone('alice', port);
  const bob = await phone('bob', port);
  const carol = await phone('carol', port);
  for (const p of [alice, bob, carol]) await p.registered();

  await alice.command('dial', 'sip:bob@127.0.0.1');
  await bob.waitEvent('CALL_INCOMING');
  await bob.command('accept');
  await alice.waitEvent('CALL_ESTABLISHED');
  // libre reports an incoming call established when the ACK arrives
  await bob.waitEvent('CALL_ESTABLISHED');
  // and the proxy forwarded the ACK to Bob's contact (127.0.0.1:<bob's port>), not to a lookup
  const ackTo = new RegExp(
    `proxy >> udp 127\\.0\\.0\\.1:${bob.sipPort}\\nACK sip:bob[^@\\s]*@127\\.0\\.0\\.1:${bob.sipPort}`,
  );
  await proxy.waitStderr(ackTo);
  const first = blocks(proxy.stderr).find(
    (b) => b.dir === '>>' && b.peer === `127.0.0.1:${bob.sipPort}` && /^INVITE /.test(b.text),
  )!;
  const callId = /\r?\nCall-ID: *([^\r\n]+)/i.exec(first.text)![1]!;

  // Alice holds Bob and resumes; then Bob holds Alice and resumes: every re-INVITE crosses the proxy
  // (the proxy's log comes by its own pipe, maybe after baresip's event: wait for it, bounded)
  const reinviteTo = (p: Baresip, dir: string) =>
    proxy.untilStderr(
      (log) =>
        blocks(log).some(
          (b) =>
            b.dir === '>>' &&
            b.peer === `127.0.0.1:${p.sipPort}` &&
            /^INVITE /.test(b.text) &&
            b.text.includes(callId) &&
            b.text.includes(`a=${dir}`),
        ),
      `a re-INVITE with a=${dir} to ${p.name}`,
    );
  await alice.command('hold');
  await bob.waitEvent('CALL_REMOTE_SDP');
  await reinviteTo(bob, 'sendonly');
  await alice.command('resume');
  await bob.waitEvent('CALL_REMOTE_SDP');
  await bob.command('hold');
  await alice.waitEvent('CALL_REMOTE_SDP');
  await reinviteTo(alice, 'sendonly');
  await bob.command('resume');
  await alice.waitEvent('CALL_REMOTE_SDP');

  // Bob never retransmitted the 200 of the first INVITE: the ACK got through (§13.3.1.4)
  const okFromBob = blocks(proxy.stderr).filter(
    (b) =>
      b.dir === '<<' &&
      b.peer === `127.0.0.1:${bob.sipPort}` &&
      /^SIP\/2\.0 200/.test(b.text) &&
      b.text.includes(callId) &&
      /\nCSeq: *\d+ INVITE/i.test(b.text),
  );
  const cseqs = okFromBob.map((b) => /\nCSeq: *(\d+)/i.exec(b.text)![1]);
  assert.equal(new Set(cseqs).size, cseqs.length, `no 200 retransmitted by Bob: ${cseqs.join(',')}`);

  // blind transfer: Alice refers Bob to Carol; Bob's INVITE to Carol crosses the proxy
  await alice.command('transfer', 'sip:carol@127.0.0.1');
  await carol.waitEvent('CALL_INCOMING');
  await carol.command('accept');
  await carol.waitEvent('CALL_ESTABLISHED');
  await alice.waitEvent('CALL_CLOSED');
  await bob.command('hangup');
  await carol.waitEvent('CALL_CLOSED');

  proxy.child.kill('SIGTERM');
  assert.equal(await proxy.exited, 0);
});
