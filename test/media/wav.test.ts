import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { WavFileWriter, WavFormatError, decodeWav, encodeWav, readWav, readWavFile } from '../../src/media/wav.js';
import { resample } from '../../src/media/resample.js';
import { generateTone } from '../../src/media/tone.js';
import { dominantFrequency, goertzelPower, rms } from '../../src/media/analyse.js';

/** A WAV file built by the oracle (wavefile). */
function oracleWav(channels: number, rate: number, bits: string, samples: number[] | number[][]): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, bits, samples);
  return w.toBuffer();
}

const tone440 = Array.from(generateTone({ frequency: 440, durationMs: 500 }));

test('reads 16-bit mono 8 kHz sample for sample as wavefile wrote it', () => {
  const a = readWav(oracleWav(1, 8000, '16', tone440));
  assert.deepEqual([a.sampleRate, a.channels, a.bitsPerSample, a.frames], [8000, 1, 16, tone440.length]);
  assert.deepEqual(Array.from(a.samples), tone440);
});

test('reads stereo as the mean of the channels', () => {
  const left = tone440;
  const right = tone440.map((x) => Math.trunc(x / 3));
  const bytes = oracleWav(2, 8000, '16', [left, right]);
  const a = readWav(bytes);
  assert.equal(a.channels, 2);
  const w = new wavefile.WaveFile(bytes);
  const inter = w.getSamples(true, Int16Array) as unknown as Int16Array;
  for (let i = 0; i < a.frames; i++) assert.equal(a.samples[i], Math.round((inter[2 * i]! + inter[2 * i + 1]!) / 2));
});

test('reads 8-bit unsigned, widened to 16 bits', () => {
  const eight = tone440.map((x) => (x >> 8) + 128);
  const a = readWav(oracleWav(1, 8000, '8', eight));
  assert.equal(a.bitsPerSample, 8);
  assert.deepEqual(
    Array.from(a.samples),
    eight.map((x) => (x - 128) << 8),
  );
});

test('16 kHz file resampled to 8 kHz keeps a 1 kHz tone and removes a 6 kHz one (no aliasing to 2 kHz)', () => {
  const wide = generateTone({ frequency: 1000, durationMs: 1000, sampleRate: 16000, amplitude: 0.5 });
  const a = readWav(oracleWav(1, 16000, '16', Array.from(wide)));
  assert.equal(a.sampleRate, 16000);
  assert.equal(a.samples.length, 8000);
  assert.equal(dominantFrequency(a.samples).frequency, 1000);
  assert.ok(Math.abs(rms(a.samples) / rms(wide) - 1) < 0.02, 'passband level kept within 2 %');
  const high = generateTone({ frequency: 6000, durationMs: 1000, sampleRate: 16000, amplitude: 0.5 });
  const down = resample(high, 16000, 8000);
  assert.ok(goertzelPower(down, 2000) < 1e-6, `alias at 2 kHz: ${goertzelPower(down, 2000)}`);
  assert.ok(rms(down) < rms(high) / 300, `6 kHz suppressed by > 50 dB: ${rms(down)}`);
});

test('resample keeps the length ratio and the tone for 44.1 kHz and 8 → 16 kHz', () => {
  const x = generateTone({ frequency: 440, durationMs: 1000, sampleRate: 44100 });
  const y = resample(x, 44100, 8000);
  assert.equal(y.length, 8000);
  assert.equal(dominantFrequency(y).frequency, 440);
  const up = resample(generateTone({ frequency: 440, durationMs: 1000 }), 8000, 16000);
  assert.equal(up.length, 16000);
  assert.equal(dominantFrequency(up, { sampleRate: 16000 }).frequency, 440);
});

test('readWav with sampleRate: null keeps the file rate', () => {
  const a = readWav(oracleWav(1, 16000, '16', tone440), { sampleRate: null });
  assert.equal(a.samples.length, tone440.length);
});

test('encodeWav output is read back by wavefile with the same format and samples', () => {
  const bytes = encodeWav(Int16Array.from(tone440));
  const w = new wavefile.WaveFile(bytes);
  const fmt = w.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number; audioFormat: number };
  assert.deepEqual([fmt.audioFormat, fmt.numChannels, fmt.sampleRate, fmt.bitsPerSample], [1, 1, 8000, 16]);
  assert.deepEqual(Array.from(w.getSamples(false, Int16Array) as unknown as Int16Array), tone440);
});

test('WavFileWriter streams frames and fixes the header on close; wavefile reads the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wav-'));
  try {
    const path = join(dir, 'rec.wav');
    const w = await WavFileWriter.create(path, { flushBytes: 1000 });
    const all = Int16Array.from(tone440);
    for (let i = 0; i < all.length; i += 160) w.write(all.subarray(i, i + 160));
    await w.close();
    await w.close(); // idempotent
    w.write(all); // ignored after close
    const bytes = await readFile(path);
    assert.equal(bytes.length, 44 + all.length * 2);
    const wf = new wavefile.WaveFile(bytes);
    assert.deepEqual(Array.from(wf.getSamples(false, Int16Array) as unknown as Int16Array), tone440);
    assert.equal(w.samples, all.length);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('WavFileWriter stops at maxDataBytes and counts what it dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wav-'));
  try {
    const path = join(dir, 'cap.wav');
    const w = await WavFileWriter.create(path, { maxDataBytes: 500 });
    for (let i = 0; i < 5; i++) w.write(new Int16Array(160).fill(1000));
    await w.close();
    assert.equal(w.samples, 250);
    assert.equal(w.dropped, 800 - 250);
    assert.equal((await readWavFile(path)).samples.length, 250);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('a file whose header sizes were never fixed (crash) is read to its end', () => {
  const bytes = encodeWav(Int16Array.from(tone440));
  new DataView(bytes.buffer).setUint32(40, 0, true);
  assert.equal(decodeWav(bytes).frames, tone440.length);
});

test('rejects what it cannot read with WavFormatError naming the problem and the file', async () => {
  assert.throws(() => decodeWav(new TextEncoder().encode('hello world, not a wav')), WavFormatError);
  const float = oracleWav(1, 8000, '32f', [0, 0.5, -0.5]);
  assert.throws(() => decodeWav(float), /format 3 is not PCM/);
  const b24 = oracleWav(1, 8000, '24', [0, 1000, -1000]);
  assert.throws(() => decodeWav(b24), /24-bit/);
  const dir = await mkdtemp(join(tmpdir(), 'wav-'));
  try {
    const path = join(dir, 'bad.wav');
    await writeFile(path, 'RIFF....WAVEjunk');
    await assert.rejects(readWavFile(path), (e: Error) => e instanceof WavFormatError && e.message.includes(path));
  } finally {
    await rm(dir, { recursive: true });
  }
});
