/**
 * Interop with SIPp (Debian package sip-tester, installed by the harness when missing):
 * its built-in uac/uas scenarios and our hold/REFER scenarios with regexp checks.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { parseUri } from '../../src/message/index.js';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from './ports.js';

const scenarios = fileURLToPath(new URL('../../../test/interop/scenarios/', import.meta.url));
const uas: UserAgent[] = [];
after(async () => {
  await Promise.all(uas.map((u) => u.stop()));
});

async function switchboard(
  name: string,
  protocol: 'udp' | 'tcp',
  opts: Partial<ConstructorParameters<typeof UserAgent>[0]> = {},
): Promise<{ ua: UserAgent; port: number }> {
  const ua = new UserAgent({
    aor: `sip:${name}@127.0.0.1`,
    listen: [{ protocol, host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
    ...opts,
  });
  await ua.start();
  uas.push(ua);
  return { ua, port: ua.transport.address(protocol)!.port };
}

const figures: string[] = [];
after(() => {
  for (const f of figures) console.log(`# sipp ${f}`);
});

for (const protocol of ['udp', 'tcp'] as const) {
  const t = protocol === 'udp' ? 'u1' : 't1';

  test(`SIPp uac → Switchboard UAS over ${protocol}: 20 calls, none failed`, async () => {
    const { port } = await switchboard('uas', protocol);
    const sp = await freePort();
    const r = await runSipp(
      [
        '-sn',
        'uac',
        `127.0.0.1:${port}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(sp),
        '-t',
        t,
        '-r',
        '20',
        '-m',
        '20',
        '-l',
        '10',
        '-timeout',
        '30',
        '-timeout_error',
        '-max_recv_loops',
        '1',
      ],
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
    let done!: (r: Awaited<ReturnType<typeof runSipp>>) => void;
    const sipp = new Promise<Awaited<ReturnType<typeof runSipp>>>((r) => (done = r));
    void runSipp(
      ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(sp), '-t', t, '-m', '10', '-timeout', '30', '-timeout_error'],
      { timeoutMs: 40_000 },
    ).then(done);
    await new Promise((r) => setTimeout(r, 500)); // let SIPp bind
    const { ua } = await switchboard('uac', protocol);
    let established = 0;
    for (let i = 0; i < 10; i++) {
      const call = ua.dial(parseUri(`sip:service@127.0.0.1:${sp}${protocol === 'tcp' ? ';transport=tcp' : ''}`));
      await new Promise<void>((resolve, reject) => {
        call.once('established', () => {
          established++;
          setTimeout(() => {
            void call.hangup();
            resolve();
          }, 20);
        });
        call.once('terminated', (info) =>
          call.state === 'terminated' && established <= i
            ? reject(new Error(`call ${i} ended: ${info.reason} ${info.code}`))
            : undefined,
        );
      });
    }
    const r = await sipp;
    assert.equal(established, 10);
    assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
    assert.equal(r.stats?.successful, 10);
    figures.push(`switchboard→uas ${protocol}: ${r.stats?.successful}/10 ok, ${r.stats?.failed} failed`);
  });
}

test('SIPp uac with 10% packet loss (-lost 10): every call still completes thanks to retransmissions', async () => {
  const { port } = await switchboard('lossy', 'udp');
  const sp = await freePort();
  const r = await runSipp(
    [
      '-sn',
      'uac',
      `127.0.0.1:${port}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-r',
      '10',
      '-m',
      '20',
      '-l',
      '20',
      '-lost',
      '10',
      '-timeout',
      '60',
      '-timeout_error',
      '-max_recv_loops',
      '1',
      '-default_behaviors',
      'all,-abortunexp',
    ],
    { timeoutMs: 70_000 },
  );
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
  assert.equal(r.stats?.successful, 20);
  figures.push(
    `uac→switchboard udp -lost 10: ${r.stats?.successful}/20 ok, ${r.stats?.failed} failed, ${r.stats?.retransmissions} retransmissions`,
  );
});

test('SIPp holds a Switchboard phone: our answers say a=recvonly, then a=sendrecv (regexp-checked)', async () => {
  const { ua, port } = await switchboard('held', 'udp');
  const events: string[] = [];
  ua.on('call', (c: Call) => {
    c.on('remote-held', () => events.push('remote-held'));
    c.on('remote-resumed', () => events.push('remote-resumed'));
  });
  const sp = await freePort();
  const r = await runSipp(
    [
      '-sf',
      scenarios + 'uac-hold.xml',
      `127.0.0.1:${port}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-m',
      '1',
      '-timeout',
      '30',
      '-timeout_error',
      '-max_recv_loops',
      '1',
    ],
    { timeoutMs: 40_000 },
  );
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.deepEqual(events, ['remote-held', 'remote-resumed']);
});

test('A Switchboard phone holds SIPp: our offers say a=sendonly, then a=sendrecv (regexp-checked)', async () => {
  const sp = await freePort();
  const sipp = runSipp(
    [
      '-sf',
      scenarios + 'uas-hold.xml',
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-m',
      '1',
      '-timeout',
      '30',
      '-timeout_error',
    ],
    { timeoutMs: 40_000 },
  );
  await new Promise((r) => setTimeout(r, 500));
  const { ua } = await switchboard('holder', 'udp');
  const call = ua.dial(parseUri(`sip:service@127.0.0.1:${sp}`));
  await new Promise<void>((r) => call.once('established', () => r()));
  assert.equal((await call.hold()).localHold, true);
  assert.equal(call.localHold, true);
  assert.equal((await call.resume()).localHold, false);
  void call.hangup();
  const r = await sipp;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('SIPp REFERs a Switchboard phone (transferee): 202, NOTIFY 100 active, call to the target with Referred-By, NOTIFY 200 terminated, BYE', async () => {
  const { ua, port } = await switchboard('transferee', 'udp');
  const target = await switchboard('target', 'udp');
  const incoming = new Promise<Call>((r) => target.ua.once('incoming', r));
  const sp = await freePort();
  const r = await runSipp(
    [
      '-sf',
      scenarios + 'uac-refer.xml',
      `127.0.0.1:${port}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-m',
      '1',
      '-key',
      'target',
      `sip:target@127.0.0.1:${target.port}`,
      '-timeout',
      '30',
      '-timeout_error',
      '-max_recv_loops',
      '1',
    ],
    { timeoutMs: 40_000 },
  );
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  const c = await incoming;
  assert.match(c.referredBy ?? '', /sipp@127\.0\.0\.1/);
  assert.equal(c.state, 'established');
  void ua;
});

test('A Switchboard phone REFERs SIPp (transferor): Refer-To and Referred-By checked; BYE after NOTIFY 200', async () => {
  const sp = await freePort();
  const sipp = runSipp(
    [
      '-sf',
      scenarios + 'uas-refer.xml',
      '-i',
      '127.0.0.1',
      '-p',
      String(sp),
      '-t',
      'u1',
      '-m',
      '1',
      '-key',
      'target',
      'carol@chicago',
      '-timeout',
      '30',
      '-timeout_error',
    ],
    { timeoutMs: 40_000 },
  );
  await new Promise((r) => setTimeout(r, 500));
  const { ua } = await switchboard('transferor', 'udp');
  const call = ua.dial(parseUri(`sip:service@127.0.0.1:${sp}`));
  await new Promise<void>((r) => call.once('established', () => r()));
  const transferred = new Promise((r) => call.once('transferred', r));
  await call.transfer(parseUri('sip:carol@chicago.example.com'));
  await transferred;
  const r = await sipp;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.equal(call.state, 'terminated');
});
