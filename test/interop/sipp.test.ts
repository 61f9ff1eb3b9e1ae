/**
 * Interop with SIPp (Debian package sip-tester, installed by the harness when missing):
 * its built-in uac/uas scenarios and our hold/REFER scenarios with regexp checks.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Call } from '../../src/call/call.js';
import { parseUri } from '../../src/message/index.js';
import { listeningSipp, runSipp, sippArgs } from '../helpers/sipp.js';
import { callsThenHangUp, localUas } from '../helpers/ua.js';
import { freePort } from './ports.js';

const switchboard = localUas({ autoAnswer: 0 });

const figures: string[] = [];
after(() => {
  for (const f of figures) console.log(`# sipp ${f}`);
});

for (const protocol of ['udp', 'tcp'] as const) {
  test(`SIPp uac → Switchboard UAS over ${protocol}: 20 calls, none failed`, async () => {
    const { port } = await switchboard('uas', { protocol });
    const r = await runSipp(
      sippArgs({
        scenario: 'uac',
        remote: port,
        port: await freePort(),
        transport: protocol,
        calls: 20,
        extra: ['-r', '20', '-l', '10'],
      }),
      { timeoutMs: 40_000 },
    );
    assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
    assert.equal(r.stats?.successful, 20);
    assert.equal(r.stats?.failed, 0);
    figures.push(
      `uac→switchboard ${protocol}: ${r.stats?.successful}/20 ok, ${r.stats?.failed} failed, ${r.stats?.retransmissions} retransmissions`,
    );
  });

  test(`Switchboard UAC → SIPp uas over ${protocol}: 10 calls, each established and hung up`, async () => {
    const sp = await freePort();
    const sipp = await listeningSipp(
      sippArgs({ scenario: 'uas', port: sp, transport: protocol, calls: 10 }),
      { port: sp, protocol },
      { timeoutMs: 40_000 },
    );
    const { ua } = await switchboard('uac', { protocol });
    await callsThenHangUp(ua, `sip:service@127.0.0.1:${sp}${protocol === 'tcp' ? ';transport=tcp' : ''}`, 10);
    const r = await sipp.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
    assert.equal(r.stats?.successful, 10);
    figures.push(`switchboard→uas ${protocol}: ${r.stats?.successful}/10 ok, ${r.stats?.failed} failed`);
  });
}

test('SIPp uac with 10% packet loss (-lost 10): every call still completes thanks to retransmissions', async () => {
  const { port } = await switchboard('lossy');
  const r = await runSipp(
    sippArgs({
      scenario: 'uac',
      remote: port,
      port: await freePort(),
      calls: 20,
      timeoutS: 60,
      extra: ['-r', '10', '-l', '20', '-lost', '10', '-default_behaviors', 'all,-abortunexp'],
    }),
    { timeoutMs: 70_000 },
  );
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
  assert.equal(r.stats?.successful, 20);
  figures.push(
    `uac→switchboard udp -lost 10: ${r.stats?.successful}/20 ok, ${r.stats?.failed} failed, ${r.stats?.retransmissions} retransmissions`,
  );
});

test('SIPp holds a Switchboard phone: our answers say a=recvonly, then a=sendrecv (regexp-checked)', async () => {
  const { ua, port } = await switchboard('held');
  const events: string[] = [];
  ua.on('call', (c: Call) => {
    c.on('remote-held', () => events.push('remote-held'));
    c.on('remote-resumed', () => events.push('remote-resumed'));
  });
  const r = await runSipp(sippArgs({ scenario: 'uac-hold.xml', remote: port, port: await freePort() }), {
    timeoutMs: 40_000,
  });
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.deepEqual(events, ['remote-held', 'remote-resumed']);
});

test('A Switchboard phone holds SIPp: our offers say a=sendonly, then a=sendrecv (regexp-checked)', async () => {
  const sp = await freePort();
  const sipp = await listeningSipp(
    sippArgs({ scenario: 'uas-hold.xml', port: sp }),
    { port: sp },
    { timeoutMs: 40_000 },
  );
  const { ua } = await switchboard('holder');
  const call = await ua.call(`sip:service@127.0.0.1:${sp}`);
  assert.equal((await call.hold()).localHold, true);
  assert.equal(call.localHold, true);
  assert.equal((await call.resume()).localHold, false);
  void call.hangup();
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('SIPp REFERs a Switchboard phone (transferee): 202, NOTIFY 100 active, call to the target with Referred-By, NOTIFY 200 terminated, BYE', async () => {
  const { port } = await switchboard('transferee');
  const target = await switchboard('target');
  const incoming = new Promise<Call>((r) => target.ua.once('incoming', r));
  const r = await runSipp(
    sippArgs({
      scenario: 'uac-refer.xml',
      remote: port,
      port: await freePort(),
      extra: ['-key', 'target', `sip:target@127.0.0.1:${target.port}`],
    }),
    { timeoutMs: 40_000 },
  );
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  const c = await incoming;
  assert.match(c.referredBy ?? '', /sipp@127\.0\.0\.1/);
  assert.equal(c.state, 'established');
});

test('A Switchboard phone REFERs SIPp (transferor): Refer-To and Referred-By checked; BYE after NOTIFY 200', async () => {
  const sp = await freePort();
  const sipp = await listeningSipp(
    sippArgs({ scenario: 'uas-refer.xml', port: sp, extra: ['-key', 'target', 'carol@chicago'] }),
    { port: sp },
    { timeoutMs: 40_000 },
  );
  const { ua } = await switchboard('transferor');
  const call = await ua.call(`sip:service@127.0.0.1:${sp}`);
  const transferred = new Promise((r) => call.once('transferred', r));
  await call.transfer(parseUri('sip:carol@chicago.example.com'));
  await transferred;
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.equal(call.state, 'terminated');
});
