import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OfferAnswer, OfferAnswerError } from '../../src/sdp/negotiation.js';
import { SdpParseError, parseSdp, type Direction } from '../../src/sdp/sdp.js';

const peerOffer = (dir: Direction | null, opts: { legacy?: boolean; extra?: string } = {}) =>
  ['v=0', 'o=peer 1 1 IN IP4 192.0.2.9', 's=-', `c=IN IP4 ${opts.legacy ? '0.0.0.0' : '192.0.2.9'}`, 't=0 0', 'm=audio 40000 RTP/AVP 8 0 96', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-15', ...(dir ? [`a=${dir}`] : []), ...(opts.extra ? [opts.extra] : [])].join('\r\n') + '\r\n';
const dirOf = (sdp: string) => parseSdp(sdp).direction(0);

test('parse/serialise round-trip, IPv6, per-media c=, unknown attributes kept', () => {
  const text = ['v=0', 'o=- 20518 0 IN IP6 2001:db8::20', 's=-', 't=0 0', 'm=audio 6000 RTP/AVP 0', 'c=IN IP4 192.0.2.1', 'a=rtpmap:0 PCMU/8000', 'a=x-unknown:yes', 'm=video 6002 RTP/AVP 31', 'c=IN IP6 2001:db8::1', 'a=rtpmap:31 H261/90000', ''].join('\r\n');
  const sd = parseSdp(text);
  assert.equal(sd.toString(), text);
  assert.equal(sd.origin.address, '2001:db8::20');
  assert.equal(sd.media[0]!.connection!.address, '192.0.2.1');
  assert.equal(sd.media[1]!.connection!.address, '2001:db8::1');
  assert.equal(sd.connection, undefined);
  assert.deepEqual(sd.media[0]!.attributes('x-unknown'), ['yes']);
  assert.equal(parseSdp(text.replace(/\r\n/g, '\n')).toString(), text, 'LF-only accepted, CRLF emitted');
});

test('malformed SDP is an SdpParseError with a line number', () => {
  assert.throws(() => parseSdp('v=0\r\no=x\r\n'), (e: unknown) => e instanceof SdpParseError && e.line === 2);
  assert.throws(() => parseSdp('hello'), SdpParseError);
  assert.throws(() => parseSdp('v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio x RTP/AVP 0\r\n'), /m= line/);
  assert.throws(() => parseSdp(''), SdpParseError);
});

test('answer uses the offerer payload types and order; o= version increments only on change', () => {
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000 });
  const answer = oa.createAnswer(peerOffer(null));
  const sd = parseSdp(answer);
  assert.deepEqual(sd.media[0]!.m.formats, ['8', '0', '96']);
  assert.equal(sd.media[0]!.fmtp('96'), '0-15');
  assert.deepEqual(oa.state.codecs, ['PCMA', 'PCMU', 'telephone-event']);
  const v1 = Number(sd.origin.version);
  const again = oa.createAnswer(peerOffer(null));
  assert.equal(Number(parseSdp(again).origin.version), v1, 'same SDP: same version');
  const held = oa.createOffer({ hold: true });
  assert.equal(Number(parseSdp(held).origin.version), v1 + 1);
  assert.equal(parseSdp(held).origin.sessionId, sd.origin.sessionId);
});

test('streams we cannot use are rejected with port 0, m= count and order kept', () => {
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000 });
  const offer = ['v=0', 'o=p 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=video 5000 RTP/AVP 31', 'm=audio 4000 RTP/AVP 0', ''].join('\r\n');
  const sd = parseSdp(oa.createAnswer(offer));
  assert.equal(sd.media.length, 2);
  assert.equal(sd.media[0]!.media, 'video');
  assert.equal(sd.media[0]!.port, 0);
  assert.equal(sd.media[1]!.port, 30000);
  assert.throws(() => oa.createAnswer(offer.replace('RTP/AVP 0', 'RTP/AVP 18')), OfferAnswerError);
});

test('answer must match the offer; a bad answer rolls back and keeps the previous state', () => {
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000 });
  oa.createOffer();
  oa.setRemoteAnswer(peerOffer('sendrecv'));
  assert.equal(oa.state.direction, 'sendrecv');
  oa.createOffer({ hold: true });
  assert.throws(() => oa.setRemoteAnswer(peerOffer('recvonly') + 'm=video 0 RTP/AVP 31\r\n'), OfferAnswerError);
  assert.equal(oa.state.localHold, false, 'still as last negotiated');
  assert.equal(oa.hasPendingOffer, false);
});

// The table: (our state) × (action) → produced direction and resulting flags.
type St = 'none' | 'local' | 'remote' | 'both';
function reach(st: St): OfferAnswer {
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000 });
  oa.createAnswer(peerOffer(st === 'remote' || st === 'both' ? 'sendonly' : 'sendrecv'));
  if (st === 'local' || st === 'both') {
    const o = oa.createOffer({ hold: true });
    const mine = dirOf(o);
    oa.setRemoteAnswer(peerOffer(mine === 'sendonly' ? 'recvonly' : 'inactive'));
  }
  assert.equal(oa.state.localHold, st === 'local' || st === 'both');
  assert.equal(oa.state.remoteHold, st === 'remote' || st === 'both');
  return oa;
}

const OFFER_TABLE: [St, 'hold' | 'resume', Direction][] = [
  ['none', 'hold', 'sendonly'],
  ['none', 'resume', 'sendrecv'],
  ['local', 'hold', 'sendonly'],
  ['local', 'resume', 'sendrecv'],
  ['remote', 'hold', 'inactive'], // RFC 6337 §5.3: already recvonly → inactive
  ['remote', 'resume', 'recvonly'],
  ['both', 'hold', 'inactive'],
  ['both', 'resume', 'recvonly'],
];

for (const [st, action, want] of OFFER_TABLE) {
  test(`offer table: state=${st}, ${action} → a=${want}`, () => {
    const oa = reach(st);
    const sdp = oa.createOffer({ hold: action === 'hold' });
    assert.equal(dirOf(sdp), want);
    assert.ok(!sdp.includes('0.0.0.0'), 'never the legacy c=0.0.0.0 hold');
    // the peer answers per RFC 3264; the flags follow what was negotiated
    const answer = want === 'sendonly' ? 'recvonly' : want === 'recvonly' ? 'sendonly' : want;
    const s = oa.setRemoteAnswer(peerOffer(answer));
    assert.equal(s.localHold, action === 'hold');
    assert.equal(s.remoteHold, st === 'remote' || st === 'both');
  });
}

const ANSWER_TABLE: [St, Direction | 'legacy', Direction, boolean][] = [
  // (our state, their offer, our answer, remoteHold after)
  ['none', 'sendrecv', 'sendrecv', false],
  ['none', 'sendonly', 'recvonly', true],
  ['none', 'recvonly', 'sendonly', false],
  ['none', 'inactive', 'inactive', true],
  ['none', 'legacy', 'recvonly', true],
  ['local', 'sendrecv', 'sendonly', false],
  ['local', 'sendonly', 'inactive', true],
  ['local', 'recvonly', 'sendonly', false],
  ['local', 'inactive', 'inactive', true],
  ['local', 'legacy', 'inactive', true],
  ['remote', 'sendrecv', 'sendrecv', false],
  ['remote', 'sendonly', 'recvonly', true],
  ['remote', 'recvonly', 'sendonly', false],
  ['remote', 'inactive', 'inactive', true],
  ['remote', 'legacy', 'recvonly', true],
  ['both', 'sendrecv', 'sendonly', false],
  ['both', 'sendonly', 'inactive', true],
  ['both', 'recvonly', 'sendonly', false],
  ['both', 'inactive', 'inactive', true],
  ['both', 'legacy', 'inactive', true],
];

for (const [st, theirs, want, remoteHold] of ANSWER_TABLE) {
  test(`answer table: state=${st}, offer ${theirs} → a=${want}`, () => {
    const oa = reach(st);
    const offer = theirs === 'legacy' ? peerOffer(null, { legacy: true }) : peerOffer(theirs);
    const answer = oa.createAnswer(offer);
    assert.equal(dirOf(answer), want);
    assert.ok(!answer.includes('0.0.0.0'));
    assert.equal(oa.state.remoteHold, remoteHold);
    assert.equal(oa.state.localHold, st === 'local' || st === 'both');
  });
}

test('property: serialise(parse(x)) round-trips generated descriptions', () => {
  const line = fc.tuple(fc.constantFrom('i', 'u', 'e', 'b', 'a', 'k'), fc.stringMatching(/^[!-~][ -~]{0,20}$/));
  const media = fc.tuple(fc.constantFrom('audio', 'video', 'application'), fc.integer({ min: 0, max: 65535 }), fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 1, maxLength: 4 }), fc.array(line, { maxLength: 4 }));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 5 }), fc.array(media, { maxLength: 3 }), (sess, medias) => {
      const text =
        ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', ...sess.map(([t, v]) => `${t}=${v}`), 't=0 0'].join('\r\n') +
        '\r\n' +
        medias.map(([m, p, f, ls]) => [`m=${m} ${p} RTP/AVP ${f.join(' ')}`, ...ls.map(([t, v]) => `${t}=${v}`)].join('\r\n') + '\r\n').join('');
      assert.equal(parseSdp(text).toString(), text);
    }),
  );
});
