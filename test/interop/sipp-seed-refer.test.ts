/**
 * The seed's REFER from SIPp (issue 13 §5, §8): SIPp calls `switchboard phone` (the CLI), and in the
 * established call sends REFER with `Referred-By: <alice@atlanta.example.com>` (no URI scheme). The
 * phone must answer 202 (it used to answer 400) and the INVITE to the target must leave, without the
 * invalid Referred-By. The scenario (scenarios/uac-seed-refer.xml) fails on anything but 202.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { runSipp } from '../helpers/sipp.js';
import { Proc } from '../cli/helpers.js';
import { freePort } from './ports.js';

const scenarios = fileURLToPath(new URL('../../../test/interop/scenarios/', import.meta.url));
const procs: Proc[] = [];
const uas: UserAgent[] = [];
after(async () => {
  procs.forEach((p) => p.kill());
  await Promise.all(uas.map((u) => u.stop()));
});

test("SIPp sends the seed's REFER to switchboard phone in a call: 202, and the INVITE to the target leaves", async () => {
  const target = new UserAgent({
    aor: 'sip:carol@127.0.0.1',
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    autoAnswer: 0,
  });
  await target.start();
  uas.push(target);
  const targetUri = `sip:carol@127.0.0.1:${target.transport.address('udp')!.port}`;
  const invited = new Promise<Call>((r) => target.once('incoming', r));
  const phone = new Proc([
    'phone',
    '--aor',
    'sip:bob@127.0.0.1',
    '--listen',
    'udp:127.0.0.1:0',
    '--auto-answer',
    '0',
    '--json',
  ]);
  procs.push(phone);
  const ready = await phone.event('ready', undefined, 20_000);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(String(ready.contact))?.[1]);
  assert.ok(port > 0, `the phone says where it listens: ${JSON.stringify(ready)}`);
  const r = await runSipp(
    [
      ...['-sf', scenarios + 'uac-seed-refer.xml', `127.0.0.1:${port}`],
      ...['-i', '127.0.0.1', '-p', String(await freePort()), '-t', 'u1', '-m', '1'],
      ...['-key', 'target', targetUri],
      ...['-timeout', '30', '-timeout_error', '-max_recv_loops', '1'],
    ],
    { timeoutMs: 40_000 },
  );
  // the scenario passed its <recv response="202">, both NOTIFYs and the phone's BYE
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.equal(r.stats?.successful, 1);
  const received = await phone.event('refer-received');
  assert.equal(received.referredBy, '<alice@atlanta.example.com>');
  assert.equal(received.referTo, targetUri);
  // the INVITE left for the target, without the invalid Referred-By
  const c = await invited;
  assert.equal(c.invite.method, 'INVITE');
  assert.equal(c.invite.get('Referred-By'), undefined);
  await phone.event('transferred');
  phone.send('quit');
  assert.equal(await phone.exited, 0);
});
