import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  PcmBufferSource,
  PcmStreamSource,
  SilenceSource,
  ToneSource,
  openWavSource,
  type FrameSource,
} from '../../src/media/sources.js';
import { CallbackSink, PcmStreamSink, WavRecorderSink } from '../../src/media/sinks.js';
import { encodeWav, pcmToBytes, readWavFile } from '../../src/media/wav.js';
import { generateTone } from '../../src/media/tone.js';
import { containsTone } from '../../src/media/analyse.js';
import { PCMU } from '../../src/media/codecs/index.js';

function drain(src: FrameSource, max = 10000): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i < max && !src.ended; i++) {
    const f = src.next();
    if (f) out.push(f);
  }
  return out;
}
const concat = (frames: Int16Array[]) => Int16Array.from(frames.flatMap((f) => Array.from(f)));

test('SilenceSource: zero frames until closed, then undefined; done resolves', async () => {
  const s = new SilenceSource();
  assert.deepEqual(s.next(), new Int16Array(160));
  s.close();
  s.close();
  assert.equal(s.next(), undefined);
  assert.ok(s.ended);
  await s.done;
});

test('ToneSource: 50 ms = 3 frames (last padded), holds the tone, then ends', async () => {
  const t = new ToneSource({ frequency: 440, durationMs: 50 });
  const frames = drain(t);
  assert.equal(frames.length, 3);
  assert.ok(frames[2]!.subarray(80).every((v) => v === 0));
  await t.done;
  const long = new ToneSource({ frequency: 440 });
  assert.ok(containsTone(concat(Array.from({ length: 50 }, () => long.next()!)), 440));
  assert.ok(!long.ended);
});

test('PcmBufferSource: once pads the last frame and ends; loop wraps seamlessly', () => {
  const samples = Int16Array.from({ length: 400 }, (_, i) => i + 1);
  const once = drain(new PcmBufferSource(samples));
  assert.equal(once.length, 3);
  assert.deepEqual(Array.from(concat(once)).slice(0, 400), Array.from(samples));
  assert.ok(once[2]!.subarray(80).every((v) => v === 0));
  const loop = new PcmBufferSource(samples, { loop: true });
  const looped = concat(Array.from({ length: 10 }, () => loop.next()!));
  assert.ok(looped.every((v, i) => v === (i % 400) + 1));
  assert.ok(!loop.ended);
  assert.ok(new PcmBufferSource(new Int16Array(0)).ended);
});

test('openWavSource: a 16 kHz file plays at 8 kHz with its tone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'src-'));
  try {
    const path = join(dir, 'p.wav');
    await writeFile(path, encodeWav(generateTone({ frequency: 600, durationMs: 1000, sampleRate: 16000 }), 16000));
    const src = await openWavSource(path);
    const frames = drain(src);
    assert.equal(frames.length, 50);
    assert.ok(containsTone(concat(frames), 600));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('PcmStreamSource via write(): bytes split mid-sample, underrun while open, padded tail, end', async () => {
  const s = new PcmStreamSource();
  const samples = Int16Array.from({ length: 250 }, (_, i) => i * 100 - 12000);
  const bytes = pcmToBytes(samples);
  s.write(bytes.subarray(0, 101));
  s.write(bytes.subarray(101, 301));
  assert.equal(s.next(), undefined); // 301 bytes = 150 samples and a half: not a frame yet
  s.write(bytes.subarray(301));
  assert.equal(s.buffered, 250);
  const first = s.next()!;
  assert.equal(s.next(), undefined);
  assert.equal(s.underruns, 2);
  s.end();
  const last = s.next()!;
  assert.deepEqual(Array.from([...first, ...last.subarray(0, 90)]), Array.from(samples));
  assert.ok(last.subarray(90).every((v) => v === 0));
  assert.equal(s.next(), undefined);
  await s.done;
  assert.equal(s.write(samples), false);
});

test('PcmStreamSource from a Readable: backpressure holds the buffer near the high-water mark', async () => {
  const total = 8000 * 5;
  const audio = generateTone({ frequency: 440, durationMs: 5000 });
  const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(pcmToBytes(audio.subarray(i * 800, i * 800 + 800))));
  const s = new PcmStreamSource({ highWaterMs: 200 }, Readable.from(chunks));
  let maxBuffered = 0;
  const frames: Int16Array[] = [];
  while (!s.ended) {
    // let the pump run, as the event loop would between 20 ms ticks
    await new Promise<void>((r) => setImmediate(r));
    maxBuffered = Math.max(maxBuffered, s.buffered);
    const f = s.next();
    if (f) frames.push(f);
  }
  assert.equal(frames.length, total / 160);
  assert.deepEqual(concat(frames), audio);
  assert.ok(maxBuffered <= 1600 + 800, `buffered at most high water + one chunk: ${maxBuffered}`);
  assert.equal(s.dropped, 0);
  await s.done;
});

test('PcmStreamSource: input error ends the source and is kept; maxBufferedMs drops and counts', async () => {
  async function* failing(): AsyncGenerator<Int16Array> {
    yield new Int16Array(160);
    throw new Error('tts went away');
  }
  const s = new PcmStreamSource({}, failing());
  await s.done;
  assert.equal(s.error?.message, 'tts went away');
  const capped = new PcmStreamSource({ highWaterMs: 20, maxBufferedMs: 40 });
  assert.equal(capped.write(new Int16Array(100)), true);
  assert.equal(capped.write(new Int16Array(400)), false);
  assert.deepEqual([capped.buffered, capped.dropped], [320, 180]);
  assert.throws(() => new PcmStreamSource({ sampleRate: 16000 }), RangeError);
});

test('WavRecorderSink records frames into a WAV that holds the tone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sink-'));
  try {
    const path = join(dir, 'rec.wav');
    const sink = await WavRecorderSink.create(path);
    const tone = new ToneSource({ frequency: 440, durationMs: 1000 });
    for (let f = tone.next(); f; f = tone.next()) sink.write(f);
    await sink.close();
    const wav = await readWavFile(path);
    assert.equal(wav.samples.length, 8000);
    assert.ok(containsTone(wav.samples, 440));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('PcmStreamSink: frames reach an async reader in order; a slow reader loses new frames, counted', async () => {
  const sink = new PcmStreamSink({ maxQueuedMs: 100 });
  for (let i = 0; i < 8; i++) sink.write(new Int16Array(160).fill(i));
  assert.deepEqual([sink.queued, sink.dropped], [5, 3]);
  const got: number[] = [];
  const reader = (async () => {
    for await (const f of sink) got.push(f[0]!);
  })();
  await new Promise<void>((r) => setImmediate(r));
  sink.write(new Int16Array(160).fill(42));
  await sink.close();
  await reader;
  assert.deepEqual(got, [0, 1, 2, 3, 4, 42]);
  assert.throws(() => sink[Symbol.asyncIterator](), /one reader/);
});

test('PcmStreamSink.readable(): little-endian bytes, ends on close', async () => {
  const sink = new PcmStreamSink();
  const bytes: Buffer[] = [];
  const done = (async () => {
    for await (const b of sink.readable()) bytes.push(b as Buffer);
  })();
  sink.write(Int16Array.of(1, -2, 300));
  await sink.close();
  await done;
  assert.deepEqual([...Buffer.concat(bytes)], [1, 0, 0xfe, 0xff, 0x2c, 0x01]);
});

test('bot loop: application stream → PCMU → application stream keeps the tone (units composed)', async () => {
  const said = new PcmStreamSource(
    {},
    Readable.from([Buffer.from(pcmToBytes(generateTone({ frequency: 700, durationMs: 1000 })))]),
  );
  const heard = new PcmStreamSink();
  const frames: Int16Array[] = [];
  const reader = (async () => {
    for await (const f of heard) frames.push(f);
  })();
  const tap: number[] = [];
  const meter = new CallbackSink((f) => tap.push(f.length));
  while (!said.ended) {
    await new Promise<void>((r) => setImmediate(r));
    const f = said.next();
    if (!f) continue;
    const decoded = PCMU.decode(PCMU.encode(f));
    heard.write(decoded);
    meter.write(decoded);
  }
  await heard.close();
  await meter.close();
  await reader;
  assert.equal(frames.length, 50);
  assert.ok(tap.every((n) => n === 160));
  assert.ok(containsTone(concat(frames), 700));
});
