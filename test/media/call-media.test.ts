/**
 * Calls that carry sound (issue 14 §3): two user agents on loopback with the RTP engine behind the
 * media seam. Each plays a tone; what each records is checked for the other's frequency. Hold stops
 * exactly the stream RFC 3264 says (the held side stops sending, the holder keeps sending), resume
 * restarts it, SRTP is used on a secure call, DTMF crosses, and every port is freed at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, media, mediaLegs } from '../helpers/media-legs.js';
import { containsTone } from '../../src/media/analyse.js';

const leg = mediaLegs();

test('audio both ways; hold stops the held side only; resume restarts it; ports freed', async () => {
  const alice = await leg('alice', 440);
  const bob = await leg('bob', 1000);
  const [ac, bc] = await connect(alice, bob);
  // each hears the other's tone
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears 440 Hz from Alice');
  assert.ok(containsTone(await alice.sink.more(25), 1000), 'Alice hears 1000 Hz from Bob');
  assert.equal(media(ac).stats().codec, 'PCMU');

  // Bob holds Alice (sendonly): Bob keeps sending, Alice stops (RFC 3264 §8.4, RFC 6337)
  await bc.hold();
  const aliceSentAtHold = media(ac).stats().rtp.sent;
  assert.ok(containsTone(await alice.sink.more(25), 1000), 'Alice still hears Bob while held');
  assert.ok(media(ac).stats().rtp.sent - aliceSentAtHold <= 1, 'the held side stopped sending');
  assert.equal(media(ac).stats().direction, 'recvonly');

  // resume: Alice sends again and Bob hears her
  await bc.resume();
  const sentAtResume = media(ac).stats().rtp.sent;
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears Alice again after resume');
  assert.ok(media(ac).stats().rtp.sent > sentAtResume + 10);

  await ac.hangup();
  await media(ac).close();
  await media(bc).close();
  assert.equal(alice.allocator.inUse, 0, "Alice's ports are freed");
  assert.equal(bob.allocator.inUse, 0, "Bob's ports are freed");
});

test('inactive hold stops both directions', async () => {
  const alice = await leg('alice2', 440);
  const bob = await leg('bob2', 1000);
  const [ac, bc] = await connect(alice, bob);
  await bob.sink.more(10);
  await ac.hold(); // Alice holds: sendonly
  await bc.hold(); // Bob holds too: both inactive (RFC 3264 §8.4)
  assert.equal(media(ac).stats().direction, 'inactive');
  assert.equal(media(bc).stats().direction, 'inactive');
  // Bob resumes: he receives again (recvonly), Alice still holds and keeps sending to him
  await bc.resume();
  assert.equal(media(bc).stats().direction, 'recvonly');
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears Alice, who holds him with sendonly');
  await ac.hangup();
});

test('SRTP on a secure call (a=crypto, SDES): audio crosses encrypted', async () => {
  const alice = await leg('alice3', 440, { srtp: 'require' });
  const bob = await leg('bob3', 1000, { srtp: 'require' });
  const [ac, bc] = await connect(alice, bob);
  assert.ok(containsTone(await bob.sink.more(25), 440));
  assert.equal(media(ac).stats().srtp, true);
  assert.equal(media(bc).stats().srtp, true);
  assert.equal(media(bc).stats().rtp.srtpFailures, 0);
  await ac.hangup();
});

test('DTMF (RFC 4733) sent by one side is reported once per digit by the other', async () => {
  const alice = await leg('alice4', 440);
  const bob = await leg('bob4', 1000);
  const [ac, bc] = await connect(alice, bob);
  await bob.sink.more(5);
  const digits: string[] = [];
  const got = new Promise<void>((resolve) =>
    media(bc).on('dtmf', (d) => {
      digits.push(d);
      if (digits.length === 4) resolve();
    }),
  );
  await media(ac).sendDtmf('1#9*');
  await got;
  assert.deepEqual(digits, ['1', '#', '9', '*']);
  await ac.hangup();
});
