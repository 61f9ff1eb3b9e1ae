/** Call timers on a fake clock: the transferor's wait for the final NOTIFY, and the §14.1 glare delays. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { UserAgent } from '../../src/ua/user-agent.js';
import { glareDelay, type Call } from '../../src/call/call.js';
import { FakeClock } from '../../src/util/clock.js';
import { TransferFailedError } from '../../src/call/errors.js';
import { parseUri } from '../../src/message/index.js';

const uas: UserAgent[] = [];
after(async () => {
  // one at a time, Alice (fake clock) first: her BYE needs Bob still listening to be answered, since
  // her transaction timers (and stop()'s bound) only move when the fake clock does
  for (const u of uas) await u.stop();
});

test('glare retry delays per RFC 3261 §14.1: 2.1–4 s when we own the Call-ID, 0–2 s when not', () => {
  assert.equal(
    glareDelay(true, () => 0),
    2100,
  );
  assert.ok(glareDelay(true, () => 0.9999) <= 4000);
  assert.equal(
    glareDelay(false, () => 0),
    0,
  );
  assert.ok(glareDelay(false, () => 0.9999) < 2000);
});

test(
  'transferor: no final NOTIFY within the timeout → transfer-failed, the call is kept (fake time)',
  { timeout: 30_000 },
  async () => {
    const clock = new FakeClock();
    const alice = new UserAgent({
      aor: 'sip:alice@127.0.0.1',
      listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }],
      clock,
    });
    // Bob accepts the REFER but the target never answers: only NOTIFY 100 (and 180) arrive
    const bob = new UserAgent({
      aor: 'sip:bob@127.0.0.1',
      listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }],
      autoAnswer: 0,
    });
    const carol = new UserAgent({
      aor: 'sip:carol@127.0.0.1',
      listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }],
      autoAnswer: false,
    });
    for (const u of [alice, bob, carol]) {
      await u.start();
      uas.push(u);
    }
    const inc = new Promise<Call>((r) => bob.once('incoming', r));
    const call = alice.dial(parseUri(`sip:bob@127.0.0.1:${bob.transport.address('tcp')!.port};transport=tcp`));
    const bc = await inc;
    // the 100 Trying timer of Alice's transactions runs on the fake clock; the responses come on real sockets
    await new Promise<void>((r) => (call.state === 'established' ? r() : call.once('established', () => r())));
    const ringing = new Promise<Call>((r) => carol.once('incoming', r));
    const progress: number[] = [];
    const ringingNotified = new Promise<void>((r) =>
      call.on('transfer-progress', (s) => {
        progress.push(s);
        if (s === 180) r();
      }),
    );
    const outcome = call.transfer(
      parseUri(`sip:carol@127.0.0.1:${carol.transport.address('tcp')!.port};transport=tcp`),
    );
    outcome.catch(() => undefined); // asserted below, after the clock has moved
    await ringing;
    // Bob's NOTIFY of Carol's 180, the last message before all is quiet (after the 202 and the NOTIFY
    // 100, RFC 3515 §2.4.4): only then may fake time move. The test's timeout bounds the wait.
    await ringingNotified;
    assert.ok(progress.includes(100));
    const failed = new Promise<[number, string]>((r) => call.once('transfer-failed', (s, why) => r([s, why])));
    clock.advance(31_000);
    assert.equal(call.state, 'established', 'still waiting at 31 s');
    clock.advance(1_500);
    const [status, why] = await failed;
    assert.equal(status, 408);
    await assert.rejects(outcome, (e: unknown) => e instanceof TransferFailedError && e.status === 408);
    assert.match(why, /NOTIFY/);
    assert.equal(call.state, 'established', 'the original call is kept');
    assert.equal(bc.state, 'established');
  },
);
