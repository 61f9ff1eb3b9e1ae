import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OfferAnswer,
  OfferAnswerError,
  SdpParseError,
  getFmtp,
  mediaDirection,
  parseSdp,
  type Direction,
} from '../../src/sdp/index.js';

const crlf = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const newOA = () => new OfferAnswer({ address: '192.0.2.1', port: 30000, sessionId: '1000' });
/** A peer description with a single audio stream. */
const peer = (o: { dir?: Direction; c?: string; m?: string; extra?: string[]; version?: number } = {}) =>
  crlf(
    'v=0',
    `o=peer 77 ${o.version ?? 1} IN IP4 192.0.2.9`,
    's=-',
    `c=IN IP4 ${o.c ?? '192.0.2.9'}`,
    't=0 0',
    o.m ?? 'm=audio 40000 RTP/AVP 8 0 96',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:96 telephone-event/8000',
    'a=fmtp:96 0-15',
    ...(o.extra ?? []),
    ...(o.dir ? [`a=${o.dir}`] : []),
  );
const version = (sdp: string) => BigInt(parseSdp(sdp).origin.sessionVersion);

test('the initial offer: PCMU, PCMA, telephone-event/101 with 0-16, explicit sendrecv', () => {
  assert.equal(
    newOA().createOffer(),
    crlf(
      'v=0',
      'o=- 1000 1000 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 30000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
    ),
  );
});

test('an IPv6 local address gives IP6 in o= and c=, without brackets', () => {
  const sd = parseSdp(new OfferAnswer({ address: '2001:db8::1', port: 5004 }).createOffer());
  assert.deepEqual([sd.origin.addrType, sd.origin.address], ['IP6', '2001:db8::1']);
  assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP6', address: '2001:db8::1' });
});

test('the answer uses the offerer payload types and order (RFC 3264 §6.1), events intersected', () => {
  const oa = newOA();
  const sd = parseSdp(oa.createAnswer(peer()));
  const m = sd.media[0]!;
  assert.deepEqual(m.formats, ['8', '0', '96']);
  assert.equal(getFmtp(m, 96), '0-15', 'we support 0-16, the offerer 0-15');
  assert.ok(m.attributes.some((a) => a.name === 'rtpmap' && a.value === '96 telephone-event/8000'));
  assert.deepEqual(
    oa.state.codecs.map((c) => [c.name, c.payloadType]),
    [
      ['PCMA', 8],
      ['PCMU', 0],
      ['telephone-event', 96],
    ],
  );
  assert.deepEqual([oa.state.remoteAddress, oa.state.remotePort], ['192.0.2.9', 40000]);
  // a later offer of ours keeps the agreed dynamic number (RFC 3264 §8.3.2)
  const re = parseSdp(oa.createOffer()).media[0]!;
  assert.deepEqual(re.formats, ['0', '8', '96']);
  assert.equal(getFmtp(re, 96), '0-16');
});

test('payload type mapping: PCMU on a dynamic number, events without fmtp, wrong clock rate ignored', () => {
  const oa = newOA();
  const offer = peer({
    m: 'm=audio 40000 RTP/AVP 97 98 99',
    extra: ['a=rtpmap:97 pcmu/8000', 'a=rtpmap:98 telephone-event/16000', 'a=rtpmap:99 telephone-event/8000'],
  });
  const m = parseSdp(oa.createAnswer(offer)).media[0]!;
  assert.deepEqual(m.formats, ['97', '99'], 'telephone-event/16000 is not ours');
  assert.equal(getFmtp(m, 99), '0-15', 'no fmtp in the offer means 0-15 (RFC 4733 §2.4.1)');
  assert.ok(m.attributes.some((a) => a.name === 'rtpmap' && a.value === '97 PCMU/8000'));
});

test('an answer with other payload numbers: we send with its numbers, our re-offers keep ours', () => {
  const oa = newOA();
  const offer = oa.createOffer();
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' })); // telephone-event on 96, we offered 101
  assert.equal(oa.state.codecs.find((c) => c.name === 'telephone-event')!.payloadType, 96);
  assert.equal(oa.createOffer(), offer);
});

test('no common audio codec, or telephone-event only: OfferAnswerError 488 and nothing changes', () => {
  const oa = newOA();
  const first = oa.createOffer();
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' }));
  for (const m of ['m=audio 40000 RTP/AVP 18', 'm=audio 40000 RTP/AVP 96', 'm=audio 40000 RTP/SAVP 0']) {
    assert.throws(
      () => oa.createAnswer(peer({ m, dir: 'sendonly' })),
      (e: unknown) => e instanceof OfferAnswerError && e.status === 488,
      m,
    );
  }
  assert.equal(oa.remoteHold, false);
  assert.equal(oa.direction, 'sendrecv');
  assert.equal(oa.createOffer(), first, 'same SDP, same version');
});

test('unparsable offers and answers are SdpParseError', () => {
  const oa = newOA();
  assert.throws(() => oa.createAnswer('v=0\r\nbogus\r\n'), SdpParseError);
  oa.createOffer();
  assert.throws(() => oa.setRemoteAnswer(Buffer.from('garbage')), SdpParseError);
  assert.equal(oa.hasPendingOffer, false, 'the offer is rolled back');
  assert.equal(oa.state.negotiated, false);
});

test('unsupported streams are rejected with port 0; m= count and order kept, also in later offers', () => {
  const oa = newOA();
  const offer = crlf(
    'v=0',
    'o=p 1 1 IN IP4 192.0.2.9',
    's=-',
    'c=IN IP4 192.0.2.9',
    't=0 0',
    'm=video 5000 RTP/AVP 31 34',
    'a=rtpmap:31 H261/90000',
    'm=audio 4000 RTP/SAVP 0',
    'm=audio 0 RTP/AVP 0',
    'm=audio 4002 RTP/AVP 0',
    'm=audio 4004 RTP/AVP 8',
    'm=application 9 UDP/BFCP *',
  );
  const answer = parseSdp(oa.createAnswer(offer));
  assert.deepEqual(
    answer.media.map((m) => `${m.media} ${m.port} ${m.proto} ${m.formats.join(' ')}`),
    [
      'video 0 RTP/AVP 31 34',
      'audio 0 RTP/SAVP 0',
      'audio 0 RTP/AVP 0',
      'audio 30000 RTP/AVP 0',
      'audio 0 RTP/AVP 8',
      'application 0 UDP/BFCP *',
    ],
  );
  assert.equal(oa.state.remotePort, 4002);
  const re = parseSdp(oa.createOffer({ hold: true }));
  assert.deepEqual(
    re.media.map((m) => `${m.media} ${m.port}`),
    ['video 0', 'audio 0', 'audio 0', 'audio 30000', 'audio 0', 'application 0'],
  );
  assert.equal(mediaDirection(re, 3), 'sendonly');
  // a re-offer from the peer may not drop m= lines (RFC 3264 §8)
  oa.rollback();
  assert.throws(() => oa.createAnswer(peer()), OfferAnswerError);
});

test('o= session id fixed; version +1 only when something changes (RFC 3264 §8)', () => {
  const oa = newOA();
  const o1 = oa.createOffer();
  assert.equal(oa.createOffer(), o1, 're-sending the same offer: identical SDP');
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' }));
  const refresh = oa.createOffer();
  assert.equal(version(refresh), 1000n, 'a session refresh with nothing changed keeps the version');
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' }));
  const hold = oa.createOffer({ hold: true });
  assert.equal(version(hold), 1001n);
  oa.rollback(); // 491 or other non-2xx
  assert.equal(oa.createOffer({ hold: true }), hold, 'the retried offer is the same SDP with the same version');
  oa.setRemoteAnswer(peer({ dir: 'recvonly' }));
  const answer = oa.createAnswer(peer({ dir: 'sendonly', version: 2 }));
  assert.equal(version(answer), 1002n, 'an answer that changes the direction');
  assert.equal(
    oa.createAnswer(peer({ dir: 'sendonly', version: 2 })),
    answer,
    'the same offer answered again: same SDP',
  );
  assert.equal(version(oa.createOffer({ hold: false })), 1003n);
  for (const sdp of [o1, hold, answer]) assert.equal(parseSdp(sdp).origin.sessionId, '1000');
});

test('versions beyond 2^53 are incremented exactly', () => {
  const oa = new OfferAnswer({
    address: '192.0.2.1',
    port: 30000,
    sessionId: '9007199254740993',
    sessionVersion: '9007199254740993',
  });
  oa.createOffer();
  assert.equal(parseSdp(oa.createOffer({ hold: true })).origin.sessionVersion, '9007199254740994');
  assert.throws(() => new OfferAnswer({ address: '192.0.2.1', port: 1, sessionId: '12a' }), RangeError);
});

test('setRemoteAnswer validates the answer against the offer and rolls back on error', () => {
  const oa = newOA();
  oa.createOffer();
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' }));
  const bad: [string, string][] = [
    ['two m= lines', peer({ dir: 'recvonly' }) + 'm=video 0 RTP/AVP 31\r\n'],
    ['other media type', peer({ dir: 'recvonly', m: 'm=video 40000 RTP/AVP 8 0 96' })],
    ['audio rejected', peer({ dir: 'recvonly', m: 'm=audio 0 RTP/AVP 8 0 96' })],
    ['other transport', peer({ dir: 'recvonly', m: 'm=audio 40000 RTP/SAVP 8 0 96' })],
    ['no codec we offered', peer({ dir: 'recvonly', m: 'm=audio 40000 RTP/AVP 18' })],
  ];
  for (const [what, answer] of bad) {
    oa.createOffer({ hold: true });
    assert.throws(() => oa.setRemoteAnswer(answer), OfferAnswerError, what);
    assert.equal(oa.hasPendingOffer, false, what);
    assert.equal(oa.localHold, false, `${what}: still as last negotiated`);
    assert.equal(oa.direction, 'sendrecv', what);
  }
  assert.throws(() => oa.setRemoteAnswer(peer()), /no offer is pending/);
});

test('an answer that breaks the direction table is narrowed to what both agreed to', () => {
  const oa = newOA();
  oa.createOffer({ hold: true });
  oa.setRemoteAnswer(peer({ dir: 'sendrecv' })); // should have been recvonly
  assert.equal(oa.direction, 'sendonly');
  assert.equal(oa.localHold, true);
  assert.equal(oa.remoteHold, false);
});

test('an answer with c=0.0.0.0 to our sendrecv offer means the peer holds us', () => {
  const oa = newOA();
  oa.createOffer();
  const s = oa.setRemoteAnswer(peer({ c: '0.0.0.0' }));
  assert.deepEqual([s.direction, s.localHold, s.remoteHold, s.remoteAddress], ['recvonly', false, true, '0.0.0.0']);
});

test('glare: an offer arriving while ours is pending is OfferAnswerError 491', () => {
  const oa = newOA();
  oa.createOffer();
  assert.throws(
    () => oa.createAnswer(peer()),
    (e: unknown) => e instanceof OfferAnswerError && e.status === 491,
  );
  assert.ok(oa.hasPendingOffer);
});

test('state is a snapshot: changing it does not change the engine', () => {
  const oa = newOA();
  oa.createAnswer(peer());
  const s = oa.state;
  s.localHold = true;
  s.codecs.length = 0;
  assert.equal(oa.localHold, false);
  assert.equal(oa.state.codecs.length, 3);
});
