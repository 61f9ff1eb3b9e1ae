/**
 * The seed's REFER from SIPp (issue 13 §5, §8): SIPp calls `switchboard phone` (the CLI), and in the
 * established call sends REFER with `Referred-By: <alice@atlanta.example.com>` (no URI scheme). The
 * phone must answer 202 (it used to answer 400) and the INVITE to the target must leave, without the
 * invalid Referred-By. The scenario (scenarios/uac-seed-refer.xml) fails on anything but 202.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Call } from '../../src/call/call.js';
import { runSipp, sippArgs } from '../helpers/sipp.js';
import { localUas } from '../helpers/ua.js';
import { cliProcs, startPhone } from '../cli/helpers.js';
import { freePort } from './ports.js';

const cli = cliProcs();
const switchboard = localUas({ autoAnswer: 0 });

test("SIPp sends the seed's REFER to switchboard phone in a call: 202, and the INVITE to the target leaves", async () => {
  const { ua: target, port: targetPort } = await switchboard('carol');
  const targetUri = `sip:carol@127.0.0.1:${targetPort}`;
  const invited = new Promise<Call>((r) => target.once('incoming', r));
  const { proc: phone, port } = await startPhone(cli, 'bob', { autoAnswer: 0 });
  const r = await runSipp(
    sippArgs({
      scenario: 'uac-seed-refer.xml',
      remote: port,
      port: await freePort(),
      extra: ['-key', 'target', targetUri],
    }),
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
