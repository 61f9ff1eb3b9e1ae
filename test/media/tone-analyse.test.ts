import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ToneGenerator, generateTone } from '../../src/media/tone.js';
import { containsTone, dominantFrequency, goertzelPower, isSilent, rmsDbfs } from '../../src/media/analyse.js';

test('tone frames join with continuous phase: 50 frames equal one long buffer', () => {
  const gen = new ToneGenerator({ frequency: 440, amplitude: 0.8 });
  const frames = Array.from({ length: 50 }, () => Array.from(gen.next()));
  const whole = Array.from(generateTone({ frequency: 440, amplitude: 0.8, durationMs: 1000 }));
  assert.deepEqual(frames.flat(), whole);
});

test('tone amplitude: peak and RMS as configured', () => {
  const x = generateTone({ frequency: 1000, amplitude: 0.5, durationMs: 1000 });
  assert.ok(Math.max(...x) <= 16384 && Math.max(...x) >= 16380);
  assert.ok(Math.abs(rmsDbfs(x) - (20 * Math.log10(0.5) - 3.01)) < 0.1);
});

test('tone rejects frequencies at or above Nyquist and amplitudes over 1', () => {
  assert.throws(() => new ToneGenerator({ frequency: 4000 }), RangeError);
  assert.throws(() => new ToneGenerator({ frequency: 440, amplitude: 1.5 }), RangeError);
  assert.throws(() => new ToneGenerator({ frequency: [] }), RangeError);
});

test('dominantFrequency finds any tone in 100 … 3800 Hz within 1 Hz (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 3800 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (f, a) => {
      const d = dominantFrequency(generateTone({ frequency: f, amplitude: a, durationMs: 250 }));
      return Math.abs(d.frequency - f) <= 1 && d.purity > 0.95;
    }),
    { numRuns: 40 },
  );
});

test('containsTone: 440 Hz yes, 450 Hz no, silence no, noise no; dual tone has purity ~0.5', () => {
  const x = generateTone({ frequency: 440, durationMs: 1000 });
  assert.ok(containsTone(x, 440));
  assert.ok(!containsTone(x, 450));
  assert.ok(!containsTone(new Int16Array(8000), 440));
  const noise = Int16Array.from({ length: 8000 }, (_, i) => ((i * 7919) % 20011) - 10005);
  assert.ok(!containsTone(noise, dominantFrequency(noise).frequency));
  const dual = dominantFrequency(generateTone({ frequency: [350, 440], durationMs: 1000 }));
  assert.ok([350, 440].includes(dual.frequency));
  assert.ok(Math.abs(dual.purity - 0.5) < 0.05);
});

test('goertzelPower: full-scale sine ≈ 0.25 at its frequency, ~0 elsewhere', () => {
  const x = generateTone({ frequency: 1000, amplitude: 1, durationMs: 200 });
  assert.ok(Math.abs(goertzelPower(x, 1000) - 0.25) < 0.005);
  assert.ok(goertzelPower(x, 1300) < 1e-6);
});

test('isSilent: digital zero and −60 dBFS noise are silent, a quiet −40 dBFS tone is not', () => {
  assert.ok(isSilent(new Int16Array(160)));
  assert.ok(isSilent(Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 30 : -30))));
  assert.ok(!isSilent(generateTone({ frequency: 440, amplitude: 0.014, durationMs: 20 })));
  assert.equal(rmsDbfs(new Int16Array(10)), -Infinity);
});
