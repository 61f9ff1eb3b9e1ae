import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { aesCm, deriveSessionKey, estimateRoc, SrtpContext, SrtpError } from '../../src/media/srtp.js';
import { ReplayWindow } from '../../src/media/srtp-replay.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp-packet.js';
import { parseRtcp, serializeRtcp } from '../../src/media/rtcp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const upper = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

test('RFC 3711 B.2: AES-CM keystream, start and end of the 1044512-octet segment', () => {
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  const ks = aesCm(key, iv, new Uint8Array(1044512));
  assert.equal(
    upper(ks.subarray(0, 48)),
    'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0',
  );
  assert.equal(
    upper(ks.subarray(ks.length - 48)),
    'EC8CDF7398607CB0F2D21675EA9EA1E4' + '362B7C3C6773516318A077D7FC5073AE' + '6A2CC3787889374FBEB4C81B17BA6C44',
  );
});

test('RFC 3711 B.3: key derivation of cipher key, salt and authentication key', () => {
  const mk = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const ms = hex('0EC675AD498AFEEBB6960B3AABE6');
  assert.equal(upper(deriveSessionKey(mk, ms, 0, 16)), 'C61E7A93744F39EE10734AFE3FF7A087');
  assert.equal(upper(deriveSessionKey(mk, ms, 2, 14)), '30CBBC08863D8C85D49DB34A9AE1');
  assert.equal(
    upper(deriveSessionKey(mk, ms, 1, 94)),
    'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE' +
      'E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25' +
      '6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2',
  );
});

const keyAndSalt = randomBytes(30);
const rtp = (seq: number, payload = Buffer.from('hello srtp')) =>
  serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xcafe, payload });

for (const [suite, tag] of [
  ['AES_CM_128_HMAC_SHA1_80', 10],
  ['AES_CM_128_HMAC_SHA1_32', 4],
] as const) {
  test(`${suite}: protect → unprotect round-trips; the payload is encrypted, the header not`, () => {
    const tx = new SrtpContext({ suite, keyAndSalt });
    const rx = new SrtpContext({ suite, keyAndSalt });
    const plain = rtp(1);
    const sealed = tx.protectRtp(plain);
    assert.equal(sealed.length, plain.length + tag);
    assert.deepEqual(Buffer.from(sealed.subarray(0, 12)), Buffer.from(plain.subarray(0, 12)));
    assert.notDeepEqual(Buffer.from(sealed.subarray(12, plain.length)), Buffer.from(plain.subarray(12)));
    const r = rx.unprotectRtp(sealed);
    assert.ok(r.ok);
    assert.deepEqual(Buffer.from(r.packet), Buffer.from(plain));
    // SRTCP: 80-bit tag for both suites, E flag and index appended
    const rtcp = serializeRtcp([
      { type: 'rr', ssrc: 0xcafe, reports: [] },
      { type: 'bye', ssrcs: [0xcafe] },
    ]);
    const sr = tx.protectRtcp(rtcp);
    assert.equal(sr.length, rtcp.length + 4 + 10);
    assert.equal(sr[rtcp.length]! & 0x80, 0x80, 'E flag');
    const back = rx.unprotectRtcp(sr);
    assert.ok(back.ok);
    assert.ok(parseRtcp(back.packet).ok);
    assert.deepEqual(rx.unprotectRtcp(sr), { ok: false, reason: 'replay' });
  });
}

test('tampering or a wrong key fails authentication; a replay is refused', () => {
  const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const sealed = tx.protectRtp(rtp(7));
  const flipped = Buffer.from(sealed);
  flipped[14]! ^= 1;
  assert.deepEqual(rx.unprotectRtp(flipped), { ok: false, reason: 'auth' });
  const other = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt: randomBytes(30) });
  assert.deepEqual(other.unprotectRtp(sealed), { ok: false, reason: 'auth' });
  assert.ok(rx.unprotectRtp(sealed).ok);
  assert.deepEqual(rx.unprotectRtp(sealed), { ok: false, reason: 'replay' });
  for (const junk of [new Uint8Array(0), new Uint8Array(15), Buffer.from('0000000000000000000000000000', 'hex')])
    assert.equal(rx.unprotectRtp(junk).ok, false);
  assert.equal(rx.unprotectRtcp(new Uint8Array(10)).ok, false);
});

test('ROC: the sequence number wraps at 65535 and both sides move to ROC 1 (RFC 3711 §3.3.1)', () => {
  const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
  const sealed = seqs.map((s) => tx.protectRtp(rtp(s)));
  // deliver with reordering across the wrap: 65535 after 0
  const order = [0, 1, 2, 3, 4, 6, 5, 7, 8, 9];
  for (const i of order) {
    const r = rx.unprotectRtp(sealed[i]!);
    assert.ok(r.ok, `seq ${seqs[i]}: ${r.ok ? '' : r.reason}`);
    const p = parseRtp(r.packet);
    assert.ok(p.ok && p.packet.sequenceNumber === seqs[i]);
  }
  // a packet encrypted with ROC 1 does not decrypt under ROC 0: a fresh receiver starting at seq 2 fails auth
  const fresh = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  assert.deepEqual(fresh.unprotectRtp(sealed[8]!), { ok: false, reason: 'auth' });
  // Appendix A estimate
  assert.equal(estimateRoc(65535, 0, 0), 1);
  assert.equal(estimateRoc(2, 1, 65535), 0);
  assert.equal(estimateRoc(100, 3, 50), 3);
});

test('replay window: 64 by default, configurable; too old is refused, unseen inside is accepted', () => {
  const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const sealed = Array.from({ length: 200 }, (_, i) => tx.protectRtp(rtp(1000 + i)));
  assert.ok(rx.unprotectRtp(sealed[0]!).ok);
  assert.ok(rx.unprotectRtp(sealed[150]!).ok);
  assert.deepEqual(rx.unprotectRtp(sealed[50]!), { ok: false, reason: 'replay' }, '100 behind, window 64');
  assert.ok(rx.unprotectRtp(sealed[100]!).ok, '50 behind, not seen');
  const wide = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt, replayWindow: 256 });
  assert.ok(wide.unprotectRtp(sealed[150]!).ok);
  assert.ok(wide.unprotectRtp(sealed[0]!).ok, 'inside a 256 window');
  assert.throws(() => new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt, replayWindow: 8 }), SrtpError);
  const w = new ReplayWindow(64);
  w.accept(10);
  assert.equal(w.check(10), false);
  assert.equal(w.check(9), true);
  w.accept(200);
  assert.equal(w.check(10), false);
  assert.equal(w.check(137), true);
  assert.equal(w.check(136), false);
});

test('keys never show in inspect, JSON, toString or errors', () => {
  const ctx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const k = keyAndSalt.toString('hex');
  const b64 = keyAndSalt.toString('base64');
  const shown = [inspect(ctx, { showHidden: true, depth: 9 }), JSON.stringify(ctx), String(ctx)].join('\n');
  assert.ok(!shown.includes(k.slice(0, 8)) && !shown.includes(b64.slice(0, 8)));
  assert.ok(shown.includes('AES_CM_128_HMAC_SHA1_80'));
  const err = (() => {
    try {
      new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt: keyAndSalt.subarray(0, 29) });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.ok(err instanceof SrtpError);
  assert.ok(!err.message.includes(k.slice(0, 8)));
});

test('too many SSRCs from a peer are refused rather than tracked', () => {
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt, maxSources: 2 });
  const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  const from = (ssrc: number) =>
    tx.protectRtp(serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc, payload: Buffer.from('x') }));
  assert.ok(rx.unprotectRtp(from(1)).ok);
  assert.ok(rx.unprotectRtp(from(2)).ok);
  assert.deepEqual(rx.unprotectRtp(from(3)), { ok: false, reason: 'sources' });
});

test('usesKey tells the same suite and key apart from others without exposing the key', () => {
  const ctx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  assert.equal(ctx.usesKey('AES_CM_128_HMAC_SHA1_80', Buffer.from(keyAndSalt)), true);
  assert.equal(ctx.usesKey('AES_CM_128_HMAC_SHA1_32', keyAndSalt), false);
  assert.equal(ctx.usesKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30)), false);
});

test('known answers from an independent implementation (pion/srtp test cases, AES_CM_128_HMAC_SHA1_80)', async () => {
  const { createHmac } = await import('node:crypto');
  const masterKey = hex('0dcd213e4cbcf28f017f6994401e2889');
  const masterSalt = hex('62776038c06dc9419f6dd9433e7c');
  const keys = Buffer.concat([masterKey, masterSalt]);
  const authKey = deriveSessionKey(masterKey, masterSalt, 1, 20);
  const cases: [number, string][] = [
    [5000, '6dd37ed599b72d28b1f3a1f00cfbfd08'],
    [5001, 'da470b2a745365bd2febdc4b6d23f3de'],
    [5002, '6ea7698d246ddcbfec021cd16076c10e'],
    [65535, 'aff7c2703720839c2c6385150e44ca36'],
  ];
  for (const [seq, expected] of cases) {
    const payload = hex('000102030405');
    // ciphertext: the same keystream whatever the header's first octet
    const sealed = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt: keys }).protectRtp(
      serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: 0, ssrc: 0, payload }),
    );
    assert.equal(Buffer.from(sealed.subarray(12, 18)).toString('hex'), expected.slice(0, 12), `cipher ${seq}`);
    // tag: their header has version 0 (a Go zero value): HMAC over it, the ciphertext and ROC 0
    const header = Buffer.alloc(12);
    header.writeUInt16BE(seq, 2);
    const tag = createHmac('sha1', authKey)
      .update(Buffer.concat([header, hex(expected.slice(0, 12)), Buffer.alloc(4)]))
      .digest()
      .subarray(0, 10);
    assert.equal(tag.toString('hex'), expected.slice(12), `tag ${seq}`);
  }
});

test('a sender jumping back below the first sequence number keeps ROC 0', () => {
  const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  tx.protectRtp(rtp(5002));
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt });
  assert.ok(rx.unprotectRtp(tx.protectRtp(rtp(65535))).ok);
});

test('property: unprotect never throws on arbitrary datagrams and accepts none of them', async () => {
  const fc = (await import('fast-check')).default;
  const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_32', keyAndSalt });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      if (b.length > 0) b[0] = 0x80 | (b[0]! & 0x3f);
      assert.equal(rx.unprotectRtp(b).ok, false);
      assert.equal(rx.unprotectRtcp(b).ok, false);
    }),
    { numRuns: 3000 },
  );
});
