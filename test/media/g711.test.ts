import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { AUDIO_CODECS, PCMA, PCMU, findAudioCodec } from '../../src/media/codecs/index.js';

// alawmulaw ships CommonJS without named ESM exports; it is the independent oracle here
const require = createRequire(import.meta.url);
const oracle = require('alawmulaw') as {
  alaw: { encode(s: Int16Array): Uint8Array; decode(b: Uint8Array): Int16Array };
  mulaw: { encode(s: Int16Array): Uint8Array; decode(b: Uint8Array): Int16Array };
};

const allSamples = new Int16Array(65536);
for (let i = 0; i < 65536; i++) allSamples[i] = i - 32768;
const allCodes = new Uint8Array(256);
for (let i = 0; i < 256; i++) allCodes[i] = i;

for (const [codec, ref] of [
  [PCMU, oracle.mulaw],
  [PCMA, oracle.alaw],
] as const) {
  test(`${codec.name}: encode equals alawmulaw for all 65536 samples`, () => {
    const ours = codec.encode(allSamples);
    const theirs = ref.encode(allSamples);
    for (let i = 0; i < 65536; i++) {
      if (ours[i] !== theirs[i]) assert.fail(`sample ${allSamples[i]}: ours ${ours[i]} alawmulaw ${theirs[i]}`);
    }
  });

  test(`${codec.name}: decode equals alawmulaw for all 256 codes`, () => {
    assert.deepEqual(codec.decode(allCodes), ref.decode(allCodes));
  });

  test(`${codec.name}: decode(encode(decode(c))) === decode(c) for every code (levels are fixed points)`, () => {
    const levels = codec.decode(allCodes);
    assert.deepEqual(codec.decode(codec.encode(levels)), levels);
  });

  test(`${codec.name}: round trip error is within one quantisation step of the segment (property)`, () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = codec.decode(codec.encode(Int16Array.of(x)))[0]!;
        const mag = Math.abs(x);
        // step doubles per segment; the top segment is clipped at 32635 (+ the half step)
        const step = Math.max(16, 2 ** Math.ceil(Math.log2(mag + 1)) / 16);
        const bound = mag > 32000 ? 1100 : step;
        return Math.abs(y - x) <= bound;
      }),
      { numRuns: 5000 },
    );
  });

  test(`${codec.name}: encoding is symmetric in sign`, () => {
    for (let x = 1; x < 32768; x += 7) {
      const p = codec.decode(codec.encode(Int16Array.of(x)))[0]!;
      const n = codec.decode(codec.encode(Int16Array.of(-x)))[0]!;
      assert.equal(p + n, 0, `x=${x}`);
    }
  });
}

test('G.711 silence codes: 0 encodes to 0xFF (μ-law) and 0xD5 (A-law)', () => {
  assert.equal(PCMU.encode(Int16Array.of(0))[0], 0xff);
  assert.equal(PCMA.encode(Int16Array.of(0))[0], 0xd5);
});

test('codec registry: payload types per RFC 3551 Table 4, lookup case-insensitive', () => {
  assert.equal(findAudioCodec('pcmu'), PCMU);
  assert.equal(findAudioCodec('PCMA', 8000), PCMA);
  assert.equal(findAudioCodec('PCMA', 16000), undefined);
  assert.equal(findAudioCodec('opus', 48000), undefined);
  assert.deepEqual(
    AUDIO_CODECS.map((c) => [c.name, c.payloadType, c.clockRate]),
    [
      ['PCMU', 0, 8000],
      ['PCMA', 8, 8000],
    ],
  );
});
