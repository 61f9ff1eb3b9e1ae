/**
 * Opus (RFC 7587) between two user agents on loopback: offered only when asked, rtpmap opus/48000/2
 * with the fmtp we promise, RTP timestamps in 48 kHz units, and a tone that crosses both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, media, mediaLegs } from '../helpers/media-legs.js';
import { within } from '../helpers/wait.js';
import { containsTone } from '../../src/media/analyse.js';
import { mediaCodecs, UnknownCodecError } from '../../src/media/codec-choice.js';
import { JitterBuffer } from '../../src/media/jitter-buffer.js';
import { OfferAnswer } from '../../src/sdp/index.js';
import { parseRtp } from '../../src/media/rtp-packet.js';

const leg = mediaLegs();

test('opus is known to --codecs but never offered unless named', () => {
  assert.deepEqual(
    mediaCodecs(['PCMU', 'opus']).map((c) => `${c.name}/${c.clockRate}`),
    ['PCMU/8000', 'opus/48000', 'telephone-event/48000', 'telephone-event/8000'],
  );
  assert.deepEqual(
    mediaCodecs().map((c) => `${c.name}/${c.clockRate}`),
    ['PCMU/8000', 'PCMA/8000', 'telephone-event/8000'],
    'no 48 kHz events without opus',
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

test('a peer offering opus with telephone-event/48000 only gets it in our answer (RFC 4733 §7.1.1)', () => {
  const oa = new OfferAnswer({ address: '127.0.0.1', port: 30000, codecs: mediaCodecs(['opus', 'PCMU']) });
  const offer =
    'v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n' +
    'm=audio 40000 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n' +
    'a=fmtp:97 0-15\r\na=sendrecv\r\n';
  const answer = oa.createAnswer(offer);
  assert.match(answer, /m=audio \d+ RTP\/AVP 96 97\r\n/);
  assert.match(answer, /a=rtpmap:97 telephone-event\/48000\r\n/);
  assert.match(answer, /a=fmtp:97 0-15\r\n/);
});

test('opus call: DTMF goes as telephone-event/48000 with 48 kHz durations, and is reported', async () => {
  const sent: { pt: number; duration: number }[] = [];
  const alice = await leg('erin', 440, {
    codecs: ['opus', 'PCMU'],
    tap: (_ctx, d) => {
      const p = parseRtp(d.bytes);
      if (p.ok && p.packet.payloadType === 110) {
        const b = p.packet.payload;
        sent.push({ pt: p.packet.payloadType, duration: (b[2]! << 8) | b[3]! });
      }
    },
  });
  const bob = await leg('frank', 1000, { codecs: ['opus', 'PCMU'] });
  const [ac, bc] = await connect(alice, bob);
  assert.match(media(ac).localSdp!, /a=rtpmap:110 telephone-event\/48000\r\n/);
  const got: string[] = [];
  const heard = new Promise<void>((resolve) =>
    media(bc).on('dtmf', (d) => {
      got.push(d);
      if (got.length === 2) resolve();
    }),
  );
  await media(ac).sendDtmf('5#', { durationMs: 100 });
  await within(heard, 5000, 'both digits reported');
  assert.deepEqual(got, ['5', '#']);
  // a 100 ms event ends with a duration of 4800 ticks of the 48 kHz clock (RFC 4733 §2.5.1.3)
  assert.equal(Math.max(...sent.map((s) => s.duration)), 4800);
  await ac.hangup();
  await media(ac).close();
  await media(bc).close();
});

/** `sdp` without opus and its 48 kHz telephone-event: what a G.711-only peer offers. */
const withoutOpus = (sdp: string): string =>
  sdp
    .replace(/^(m=audio \d+ \S+)((?: \d+)+)$/m, (_, head: string, pts: string) =>
      [
        head,
        ...pts
          .trim()
          .split(' ')
          .filter((p) => p !== '111' && p !== '110'),
      ].join(' '),
    )
    .replace(/^a=(?:rtpmap|fmtp):11[01] .*\r\n/gm, '');

test('a re-INVITE switches the codec: opus → PCMU (an offer without opus) → opus again, tones cross each time', async () => {
  const alice = await leg('gina', 440, { codecs: ['opus', 'PCMU'] });
  const bob = await leg('hank', 1000, { codecs: ['opus', 'PCMU'] });
  const [ac, bc] = await connect(alice, bob);
  assert.equal(media(ac).stats().codec, 'opus');
  const bobMedia = media(bc);
  const offer = bobMedia.createOffer.bind(bobMedia);
  // Bob's re-INVITE offers G.711 only (RFC 3264 §8.3.2: a new offer may change the codecs)
  bobMedia.createOffer = (opts) => withoutOpus(offer(opts));
  await bc.session.reinvite();
  assert.equal(media(ac).stats().codec, 'PCMU');
  assert.equal(bobMedia.stats().codec, 'PCMU');
  assert.doesNotMatch(media(ac).localSdp!, /opus/, 'our answer names no codec the offer lacked');
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears 440 Hz over PCMU');
  assert.ok(containsTone(await alice.sink.more(25), 1000), 'Alice hears 1000 Hz over PCMU');
  // 20 ms is 160 ticks of the 8 kHz clock now (960 under opus)
  const steps = (): number[] => {
    const ts = alice.sentTs.slice(-5);
    return ts.slice(1).map((t, i) => (t - ts[i]!) >>> 0);
  };
  assert.ok(
    steps().every((d) => d % 160 === 0 && d > 0 && d < 960),
    `8 kHz timestamp steps ${steps().join(',')}`,
  );
  // and back: the next re-INVITE offers opus again
  bobMedia.createOffer = offer;
  await bc.session.reinvite();
  assert.equal(media(ac).stats().codec, 'opus');
  assert.equal(bobMedia.stats().codec, 'opus');
  assert.ok(containsTone(await bob.sink.more(25), 440), 'Bob hears 440 Hz over opus again');
  assert.ok(containsTone(await alice.sink.more(25), 1000), 'Alice hears 1000 Hz over opus again');
  assert.ok(
    steps().every((d) => d % 960 === 0 && d > 0),
    `48 kHz timestamp steps ${steps().join(',')}`,
  );
  await ac.hangup();
  await media(ac).close();
  await media(bc).close();
});
