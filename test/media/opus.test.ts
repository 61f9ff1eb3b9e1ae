/**
 * Opus (RFC 7587) between two user agents on loopback: offered only when asked, rtpmap opus/48000/2
 * with the fmtp we promise, RTP timestamps in 48 kHz units, and a tone that crosses both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, media, mediaLegs } from '../helpers/media-legs.js';
import { containsTone } from '../../src/media/analyse.js';
import { mediaCodecs, UnknownCodecError } from '../../src/media/codec-choice.js';
import { JitterBuffer } from '../../src/media/jitter-buffer.js';

const leg = mediaLegs();

test('opus is known to --codecs but never offered unless named', () => {
  assert.deepEqual(
    mediaCodecs(['PCMU', 'opus']).map((c) => c.name),
    ['PCMU', 'opus', 'telephone-event'],
  );
  assert.ok(!mediaCodecs().some((c) => c.name === 'opus'));
  assert.throws(() => mediaCodecs(['G729']), UnknownCodecError);
});

test('opus negotiated: rtpmap opus/48000/2, 48 kHz timestamps, tones cross both ways', async () => {
  const alice = await leg('alice', 440, { codecs: ['opus', 'PCMU'] });
  const bob = await leg('bob', 1000, { codecs: ['opus', 'PCMU'] });
  const [ac, bc] = await connect(alice, bob);
  const offer = media(ac).localSdp!;
  assert.match(offer, /a=rtpmap:111 opus\/48000\/2\r\n/);
  assert.match(offer, /a=fmtp:111 minptime=10;useinbandfec=1\r\n/);
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears 440 Hz from Alice over opus');
  assert.ok(containsTone(await alice.sink.more(25), 1000), 'Alice hears 1000 Hz from Bob over opus');
  assert.equal(media(ac).stats().codec, 'opus');
  assert.equal(media(bc).stats().codec, 'opus');
  // RFC 7587 §4.1: 20 ms is 960 ticks of the 48 kHz clock
  const ts = alice.sentTs.slice(-10);
  const steps = ts.slice(1).map((t, i) => (t - ts[i]!) >>> 0);
  assert.ok(
    steps.every((d) => d % 960 === 0 && d > 0),
    `timestamp steps ${steps.join(',')}`,
  );
  assert.ok(media(ac).stats().rtp.jitterMs < 100, `jitter ${media(ac).stats().rtp.jitterMs} ms in 48 kHz units`);
  await ac.hangup();
  await media(ac).close();
  await media(bc).close();
  assert.equal(alice.allocator.inUse, 0);
  assert.equal(bob.allocator.inUse, 0);
});

test('PCMU-only calls are unchanged: no opus offered, 160-tick timestamps', async () => {
  const alice = await leg('carol', 440);
  const bob = await leg('dave', 1000, { codecs: ['opus', 'PCMU'] });
  const [ac, bc] = await connect(alice, bob);
  assert.doesNotMatch(media(ac).localSdp!, /opus/);
  assert.ok(containsTone(await bob.sink.more(25), 440));
  assert.ok(containsTone(await alice.sink.more(25), 1000));
  assert.equal(media(bc).stats().codec, 'PCMU');
  const ts = alice.sentTs.slice(-10);
  assert.ok(ts.slice(1).every((t, i) => (t - ts[i]!) >>> 0 === 160));
  await ac.hangup();
  await media(ac).close();
  await media(bc).close();
});

test('jitter buffer with 6 ticks per sample plays 960-tick packets back to back, across the wrap', () => {
  const jb = new JitterBuffer({ depthMs: 0, ticksPerSample: 6 });
  const start = 0xffffffff - 960 * 2;
  for (let i = 0; i < 5; i++) {
    const samples = new Int16Array(160).fill(i + 1);
    assert.ok(jb.push({ sequence: i, timestamp: (start + i * 960) >>> 0, samples }));
  }
  for (let i = 0; i < 5; i++) {
    const f = jb.pull();
    assert.equal(f.status, 'audio');
    assert.equal(f.samples[0], i + 1);
  }
});
