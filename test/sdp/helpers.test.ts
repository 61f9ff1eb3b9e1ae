import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commonEvents,
  effectiveDirection,
  formatEventList,
  getAttribute,
  getAttributeValues,
  getCodec,
  getDirection,
  getFmtp,
  getRtpmaps,
  hasAttribute,
  isLegacyHold,
  mediaConnections,
  mediaDirection,
  parseEventList,
  parseRtpmap,
  parseSdp,
  reverseDirection,
  serializeSdp,
  setDirection,
  type Direction,
} from '../../src/sdp/index.js';

const crlf = (...lines: string[]) => lines.join('\r\n') + '\r\n';

const AV = parseSdp(
  crlf(
    'v=0',
    'o=- 1 1 IN IP4 192.0.2.1',
    's=-',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=sendonly',
    'm=audio 4000 RTP/AVP 0 97 101 8 18',
    'a=rtpmap:97 opus/48000/2',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=fmtp:97 minptime=10;useinbandfec=1',
    'a=rtpmap:bad',
    'm=audio 4002 RTP/AVP 0',
    'c=IN IP4 192.0.2.5',
    'a=recvonly',
    'm=video 4004 RTP/AVP 31',
    'a=inactive',
    'a=sendrecv',
  ),
);

test('rtpmap: explicit maps, static payload types from RFC 3551, malformed rtpmap ignored', () => {
  const m = AV.media[0]!;
  assert.deepEqual([...getRtpmaps(m).keys()], [97, 101]);
  assert.deepEqual(getCodec(m, '97'), { payloadType: 97, encoding: 'opus', clockRate: 48000, channels: 2 });
  assert.deepEqual(getCodec(m, 0), { payloadType: 0, encoding: 'PCMU', clockRate: 8000 });
  assert.deepEqual(getCodec(m, '8'), { payloadType: 8, encoding: 'PCMA', clockRate: 8000 });
  assert.equal(getCodec(m, '18')!.encoding, 'G729');
  assert.equal(getCodec(m, '96'), undefined, 'dynamic without rtpmap is unknown');
  assert.equal(getCodec(m, 'x'), undefined);
  assert.equal(parseRtpmap('200 foo/8000'), undefined, 'payload types stop at 127');
  assert.equal(parseRtpmap('96 foo'), undefined, 'the clock rate is required');
});

test('fmtp and generic attribute access', () => {
  const m = AV.media[0]!;
  assert.equal(getFmtp(m, 101), '0-15');
  assert.equal(getFmtp(m, '97'), 'minptime=10;useinbandfec=1');
  assert.equal(getFmtp(m, 0), undefined);
  assert.deepEqual(getAttributeValues(m.attributes, 'rtpmap'), ['97 opus/48000/2', '101 telephone-event/8000', 'bad']);
  assert.equal(getAttribute(AV.attributes, 'sendonly')?.value, undefined);
  assert.ok(hasAttribute(AV.attributes, 'sendonly'));
  assert.ok(!hasAttribute(m.attributes, 'sendonly'));
});

test('direction: media level overrides session level, default sendrecv, first attribute wins', () => {
  assert.equal(mediaDirection(AV, 0), 'sendonly', 'inherits the session attribute');
  assert.equal(mediaDirection(AV, 1), 'recvonly');
  assert.equal(mediaDirection(AV, 2), 'inactive');
  const plain = parseSdp(crlf('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0'));
  assert.equal(mediaDirection(plain, 0), 'sendrecv');
  assert.equal(getDirection([{ name: 'sendonly', value: 'x' }]), undefined, 'a direction never has a value');
});

test('legacy hold: c=IN IP4 0.0.0.0 for the stream (session c= unless the media has its own)', () => {
  assert.ok(isLegacyHold(AV, 0));
  assert.ok(!isLegacyHold(AV, 1), 'the media-level c= overrides the session one');
  assert.deepEqual(
    mediaConnections(AV, 1).map((c) => c.address),
    ['192.0.2.5'],
  );
  assert.equal(effectiveDirection(AV, 0), 'sendonly');
  assert.equal(effectiveDirection(AV, 1), 'recvonly');
  const legacy = (d: Direction) =>
    parseSdp(
      crlf('v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=audio 4000 RTP/AVP 0', `a=${d}`),
    );
  // the author of c=0.0.0.0 cannot receive: recv is taken away from what it wrote
  const want: Record<Direction, Direction> = {
    sendrecv: 'sendonly',
    sendonly: 'sendonly',
    recvonly: 'inactive',
    inactive: 'inactive',
  };
  for (const d of Object.keys(want) as Direction[]) assert.equal(effectiveDirection(legacy(d), 0), want[d], d);
  const v6 = parseSdp(crlf('v=0', 'o=- 1 1 IN IP6 ::1', 's=-', 'c=IN IP6 ::', 't=0 0', 'm=audio 4000 RTP/AVP 0'));
  assert.ok(!isLegacyHold(v6, 0), 'only the IPv4 form is defined (RFC 3264 §8.4)');
});

test('setDirection replaces every direction attribute in place and keeps the rest', () => {
  const sd = parseSdp(
    crlf(
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=inactive',
      'a=ptime:20',
      'a=sendrecv',
    ),
  );
  setDirection(sd.media[0]!.attributes, 'sendonly');
  assert.equal(
    serializeSdp(sd),
    crlf(
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=sendonly',
      'a=ptime:20',
    ),
  );
  setDirection(sd.attributes, 'recvonly');
  assert.deepEqual(sd.attributes, [{ name: 'recvonly' }]);
});

test('reverseDirection is the view from the other end', () => {
  assert.deepEqual((['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).map(reverseDirection), [
    'sendrecv',
    'recvonly',
    'sendonly',
    'inactive',
  ]);
});

test('RFC 4733 event lists: parse, format, intersect (absent fmtp means 0-15)', () => {
  assert.deepEqual([...parseEventList('0-3,7,10-11')!], [0, 1, 2, 3, 7, 10, 11]);
  assert.equal(parseEventList('5-2'), undefined);
  assert.equal(parseEventList('x'), undefined);
  assert.equal(formatEventList(new Set([11, 0, 1, 2, 7, 10])), '0-2,7,10-11');
  assert.equal(commonEvents('0-15,66,70', '0-16'), '0-15');
  assert.equal(commonEvents(undefined, '0-16'), '0-15');
  assert.equal(commonEvents('0-11,16', '0-16'), '0-11,16');
  assert.equal(commonEvents('66', '0-16'), undefined);
});
