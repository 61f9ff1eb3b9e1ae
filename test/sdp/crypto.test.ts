import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  OfferAnswer,
  OfferAnswerError,
  SdesKey,
  formatCrypto,
  generateSdesKey,
  getAttributeValues,
  parseCrypto,
  parseSdp,
  redactSdpKeys,
  type SrtpPolicy,
} from '../../src/sdp/index.js';
import { SrtpContext } from '../../src/media/srtp.js';
import { serializeRtp } from '../../src/media/rtp-packet.js';

const crlf = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const KEY_B64 = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';

test('RFC 4568 §4 example: tag, suite, inline key, lifetime and MKI round-trip', () => {
  const v = `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}|2^20|1:32`;
  const a = parseCrypto(v)!;
  assert.equal(a.tag, 1);
  assert.equal(a.suite, 'AES_CM_128_HMAC_SHA1_80');
  assert.equal(a.keys.length, 1);
  assert.equal(a.keys[0]!.key.length, 30);
  assert.equal(a.keys[0]!.lifetime, '2^20');
  assert.deepEqual(a.keys[0]!.mki, { value: '1', length: 32 });
  assert.equal(formatCrypto(a), v);
  const two = parseCrypto(
    `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY_B64};inline:${KEY_B64}|2^31 KDR=1 UNENCRYPTED_SRTCP`,
  )!;
  assert.equal(two.keys.length, 2);
  assert.deepEqual(two.sessionParams, ['KDR=1', 'UNENCRYPTED_SRTCP']);
});

test('malformed crypto values are refused', () => {
  for (const v of [
    '',
    '1 AES_CM_128_HMAC_SHA1_80',
    `x AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}`,
    `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}`,
    `1 AES_CM_128_HMAC_SHA1_80 uri:${KEY_B64}`,
    '1 AES_CM_128_HMAC_SHA1_80 inline:!!!!',
    '1 AES_CM_128_HMAC_SHA1_80 inline:',
    `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}|1:32|2^20`,
    `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}|1:999`,
    `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}|a|b|c`,
    `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}` + 'x'.repeat(2000),
  ])
    assert.equal(parseCrypto(v), undefined, v);
});

test('generated keys are 30 random octets; keys never show in inspect, JSON or strings', () => {
  const a = generateSdesKey();
  const b = generateSdesKey();
  assert.equal(a.length, 30);
  assert.equal(a.equals(b), false);
  assert.equal(a.equals(new SdesKey(a.bytes())), true);
  const b64 = a.toBase64();
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000, srtp: 'require' });
  oa.createOffer();
  const shown = [inspect(a), JSON.stringify({ a }), String(a), `${a}`, inspect(oa, { depth: 9, showHidden: true })];
  for (const s of shown) assert.ok(!s.includes(b64.slice(0, 12)), s);
  assert.ok(
    !inspect(oa, { depth: 9 }).includes(
      parseSdp(oa.localSdp!)
        .media[0]!.attributes.find((x) => x.name === 'crypto')!
        .value!.slice(30, 50),
    ),
  );
});

const peerSdp = (m: string, ...attrs: string[]) =>
  crlf(
    'v=0',
    'o=peer 7 1 IN IP4 192.0.2.9',
    's=-',
    'c=IN IP4 192.0.2.9',
    't=0 0',
    m,
    'a=rtpmap:0 PCMU/8000',
    ...attrs,
    'a=sendrecv',
  );
const oaWith = (srtp: SrtpPolicy) => new OfferAnswer({ address: '192.0.2.1', port: 30000, sessionId: '1', srtp });

test('require: RTP/SAVP offer with both suites; the answer picks one by tag; a plain answer is refused', () => {
  const oa = oaWith('require');
  const offer = parseSdp(oa.createOffer()).media[0]!;
  assert.equal(offer.proto, 'RTP/SAVP');
  const lines = getAttributeValues(offer.attributes, 'crypto').map((v) => parseCrypto(v)!);
  assert.deepEqual(
    lines.map((l) => [l.tag, l.suite]),
    [
      [1, 'AES_CM_128_HMAC_SHA1_80'],
      [2, 'AES_CM_128_HMAC_SHA1_32'],
    ],
  );
  assert.throws(() => oa.setRemoteAnswer(peerSdp('m=audio 4000 RTP/SAVP 0')), OfferAnswerError);
  assert.equal(oa.state.negotiated, false, 'rolled back');
  oa.createOffer();
  const theirs = generateSdesKey();
  const st = oa.setRemoteAnswer(
    peerSdp('m=audio 4000 RTP/SAVP 0', `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${theirs.toBase64()}`),
  );
  assert.equal(st.srtp?.suite, 'AES_CM_128_HMAC_SHA1_32');
  assert.ok(st.srtp!.remoteKey.equals(theirs));
  assert.ok(st.srtp!.localKey.equals(lines[1]!.keys[0]!.key));
  // a re-offer keeps the keys: the same SDP apart from the version
  const re = parseSdp(oa.createOffer({ hold: true })).media[0]!;
  assert.deepEqual(getAttributeValues(re.attributes, 'crypto'), lines.map(formatCrypto));
});

test('offer (best effort): RTP/AVP with a=crypto; a plain answer gives plain RTP, a crypto answer SRTP', () => {
  const oa = oaWith('offer');
  const m = parseSdp(oa.createOffer()).media[0]!;
  assert.equal(m.proto, 'RTP/AVP');
  assert.equal(getAttributeValues(m.attributes, 'crypto').length, 2);
  assert.equal(oa.setRemoteAnswer(peerSdp('m=audio 4000 RTP/AVP 0')).srtp, undefined);
  oa.createOffer();
  const k = generateSdesKey();
  const st = oa.setRemoteAnswer(
    peerSdp('m=audio 4000 RTP/AVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${k.toBase64()}`),
  );
  assert.equal(st.srtp?.suite, 'AES_CM_128_HMAC_SHA1_80');
  // an answer line with a tag we never offered does not count
  oa.createOffer();
  const bad = oa.setRemoteAnswer(
    peerSdp('m=audio 4000 RTP/AVP 0', `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${k.toBase64()}`),
  );
  assert.equal(bad.srtp, undefined);
});

test('answering: the first usable line in the offerer order, its tag kept; unusable SRTP offers are 488', () => {
  const k = generateSdesKey();
  const offer = peerSdp(
    'm=audio 4000 RTP/SAVP 0',
    `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${k.toBase64()}`,
    `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${k.toBase64()}|2^20|1:4`,
    `a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${k.toBase64()} UNKNOWN_PARAM`,
    `a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:${k.toBase64()}`,
    `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${k.toBase64()}`,
  );
  for (const policy of ['offer', 'require'] as const) {
    const oa = oaWith(policy);
    const m = parseSdp(oa.createAnswer(offer)).media[0]!;
    assert.equal(m.proto, 'RTP/SAVP');
    const lines = getAttributeValues(m.attributes, 'crypto').map((v) => parseCrypto(v)!);
    assert.deepEqual(
      lines.map((l) => [l.tag, l.suite]),
      [[4, 'AES_CM_128_HMAC_SHA1_32']],
    );
    assert.ok(!lines[0]!.keys[0]!.key.equals(k), 'our own key');
    assert.ok(oa.state.srtp!.remoteKey.equals(k));
    assert.ok(oa.state.srtp!.localKey.equals(lines[0]!.keys[0]!.key));
  }
  const is488 = (e: unknown) => e instanceof OfferAnswerError && e.status === 488;
  assert.throws(() => oaWith('off').createAnswer(offer), is488, 'SRTP off: SAVP unusable');
  assert.throws(() => oaWith('require').createAnswer(peerSdp('m=audio 4000 RTP/AVP 0')), is488, 'plain refused');
  assert.throws(
    () =>
      oaWith('offer').createAnswer(
        peerSdp('m=audio 4000 RTP/SAVP 0', `a=crypto:1 F8_128_HMAC_SHA1_80 inline:${k.toBase64()}`),
      ),
    is488,
  );
  // SRTP off and a best-effort offer: answered plain, without a=crypto
  const plain = oaWith('off');
  const m = parseSdp(
    plain.createAnswer(peerSdp('m=audio 4000 RTP/AVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${k.toBase64()}`)),
  ).media[0]!;
  assert.equal(getAttributeValues(m.attributes, 'crypto').length, 0);
  assert.equal(plain.state.srtp, undefined);
});

test('end to end: both sides agree on crossed keys, and SRTP made from them decrypts', () => {
  const alice = oaWith('require');
  const bob = oaWith('offer');
  const answer = bob.createAnswer(alice.createOffer());
  const a = alice.setRemoteAnswer(answer).srtp!;
  const b = bob.state.srtp!;
  assert.equal(a.suite, b.suite);
  assert.ok(a.localKey.equals(b.remoteKey) && a.remoteKey.equals(b.localKey));
  const tx = new SrtpContext({ suite: a.suite, keyAndSalt: a.localKey.bytes() });
  const rx = new SrtpContext({ suite: b.suite, keyAndSalt: b.remoteKey.bytes() });
  const pkt = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: new Uint8Array(160) });
  assert.ok(rx.unprotectRtp(tx.protectRtp(pkt)).ok);
});

test('redactSdpKeys hides every inline key of an SDP, for logs and traces', () => {
  const oa = oaWith('offer');
  const sdp = oa.createOffer();
  const keys = getAttributeValues(parseSdp(sdp).media[0]!.attributes, 'crypto').map(
    (v) => parseCrypto(v)!.keys[0]!.key,
  );
  const red = redactSdpKeys(sdp);
  for (const k of keys) assert.ok(sdp.includes(k.toBase64()) && !red.includes(k.toBase64()));
  assert.match(red, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>/);
});
