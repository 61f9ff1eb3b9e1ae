/**
 * WAV (RIFF/WAVE) files: read PCM (8- or 16-bit, any channel count, any rate) into 16-bit mono at
 * 8 kHz for playing into a call, and write 16-bit mono recordings, in one piece or streamed with
 * the header's sizes fixed when the file is closed.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { SAMPLE_RATE } from './pcm.js';
import { resample } from './resample.js';

/** The bytes are not a WAV file this reader supports; the message says what and where. */
export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

/** WAVE_FORMAT_PCM and WAVE_FORMAT_EXTENSIBLE (whose sub-format must then be PCM). */
const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
const HEADER_BYTES = 44;
/** RIFF sizes are 32-bit: a data chunk cannot exceed this. */
const MAX_RIFF_DATA = 0xffffffff - 36;

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Frames (samples per channel) in the data chunk. */
  frames: number;
}

export interface WavAudio extends WavInfo {
  /** Mono 16-bit samples at the file's own rate (channels averaged, 8-bit widened). */
  samples: Int16Array;
}

export interface ReadWavOptions {
  /** Rate to resample to; default 8000. `null` keeps the file's rate. */
  sampleRate?: number | null;
  /** Refuse data chunks larger than this (default 256 MiB). */
  maxDataBytes?: number;
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Parse a WAV file held in memory; samples are mixed to mono at the file's rate. */
export function decodeWav(bytes: Uint8Array, maxDataBytes = 256 * 1024 * 1024): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE')
    throw new WavFormatError(`WAV: not a RIFF/WAVE file (starts with "${fourcc(bytes, 0)}")`);
  let fmt: { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length)
        throw new WavFormatError(`WAV: fmt chunk of ${size} bytes is too short`);
      let format = view.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('WAV: data chunk before the fmt chunk');
      if (fmt.format !== FORMAT_PCM) throw new WavFormatError(`WAV: format ${fmt.format} is not PCM (1)`);
      if (fmt.bits !== 8 && fmt.bits !== 16)
        throw new WavFormatError(`WAV: ${fmt.bits}-bit samples not supported (8 or 16)`);
      if (fmt.channels < 1 || fmt.channels > 8) throw new WavFormatError(`WAV: ${fmt.channels} channels`);
      if (fmt.sampleRate < 1000 || fmt.sampleRate > 192000)
        throw new WavFormatError(`WAV: sample rate ${fmt.sampleRate} Hz out of range`);
      const blockAlign = fmt.channels * (fmt.bits / 8);
      // a writer that was killed leaves 0 or 0xFFFFFFFF here: take what the file holds
      const available = bytes.length - body;
      const dataBytes = size === 0 || size > available ? available : size;
      if (dataBytes > maxDataBytes)
        throw new WavFormatError(`WAV: data chunk of ${dataBytes} bytes exceeds the limit of ${maxDataBytes}`);
      const frames = Math.floor(dataBytes / blockAlign);
      return {
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        frames,
        samples: mixToMono(view, body, frames, fmt.channels, fmt.bits),
      };
    }
    // chunks are padded to an even length (RIFF)
    pos = body + size + (size & 1);
  }
  throw new WavFormatError(fmt ? 'WAV: no data chunk' : 'WAV: no fmt chunk');
}

function mixToMono(view: DataView, at: number, frames: number, channels: number, bits: number): Int16Array {
  const out = new Int16Array(frames);
  const bytesPer = bits / 8;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const p = at + (f * channels + c) * bytesPer;
      // 8-bit WAV is unsigned with 128 as zero
      sum += bits === 16 ? view.getInt16(p, true) : (view.getUint8(p) - 128) << 8;
    }
    out[f] = Math.round(sum / channels);
  }
  return out;
}

/** Parse a WAV file and resample it (default to 8 kHz mono 16-bit). */
export function readWav(bytes: Uint8Array, opts: ReadWavOptions = {}): WavAudio {
  const audio = decodeWav(bytes, opts.maxDataBytes);
  const rate = opts.sampleRate === undefined ? SAMPLE_RATE : opts.sampleRate;
  if (rate === null || rate === audio.sampleRate) return audio;
  return { ...audio, samples: resample(audio.samples, audio.sampleRate, rate) };
}

/** Read a WAV file from disk (see readWav). */
export async function readWavFile(path: string, opts: ReadWavOptions = {}): Promise<WavAudio> {
  const bytes = await readFile(path);
  try {
    return readWav(bytes, opts);
  } catch (err) {
    if (err instanceof WavFormatError) throw new WavFormatError(`${path}: ${err.message}`);
    throw err;
  }
}

/** The 44-byte header of a 16-bit mono PCM file with `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate = SAMPLE_RATE): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  const v = new DataView(h.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) h[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_PCM, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return h;
}

/** Little-endian bytes of the samples (WAV and most speech APIs use little-endian PCM). */
export function pcmToBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) v.setInt16(i * 2, samples[i]!, true);
  return out;
}

/** Samples from little-endian 16-bit bytes (an odd last byte is ignored). */
export function bytesToPcm(bytes: Uint8Array): Int16Array {
  const n = bytes.length >> 1;
  const out = new Int16Array(n);
  const v = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  for (let i = 0; i < n; i++) out[i] = v.getInt16(i * 2, true);
  return out;
}

/** A complete 16-bit mono WAV file. */
export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + samples.length * 2);
  out.set(wavHeader(samples.length * 2, sampleRate), 0);
  out.set(pcmToBytes(samples), HEADER_BYTES);
  return out;
}

export interface WavWriterOptions {
  sampleRate?: number;
  /** Stop recording after this many bytes of samples (default and maximum: the RIFF limit, ~4 GiB). */
  maxDataBytes?: number;
  /** Buffer this many bytes before a write to disk (default 16000: 1 s at 8 kHz). */
  flushBytes?: number;
}

/**
 * A WAV file written while it records: write() is synchronous and cheap (called once per 20 ms
 * frame), the bytes go to disk in batches, and close() writes the real sizes into the header.
 * A file left by a crash has zero sizes, which decodeWav (and most players) read to the end.
 */
export class WavFileWriter {
  readonly path: string;
  readonly sampleRate: number;
  private readonly maxDataBytes: number;
  private readonly flushBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  /** Bytes accepted so far (what the header will say). */
  private accepted = 0;
  private droppedSamples = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly fh: FileHandle,
    path: string,
    opts: WavWriterOptions,
  ) {
    this.path = path;
    this.sampleRate = opts.sampleRate ?? SAMPLE_RATE;
    this.maxDataBytes = Math.min(opts.maxDataBytes ?? MAX_RIFF_DATA, MAX_RIFF_DATA);
    this.flushBytes = opts.flushBytes ?? 16000;
  }

  /** Create (or truncate) the file and write a provisional header. */
  static async create(path: string, opts: WavWriterOptions = {}): Promise<WavFileWriter> {
    const fh = await open(path, 'w');
    try {
      const w = new WavFileWriter(fh, path, opts);
      await fh.write(wavHeader(0, w.sampleRate), 0, HEADER_BYTES, 0);
      return w;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Samples written (accepted) so far. */
  get samples(): number {
    return this.accepted / 2;
  }
  /** Samples refused because the size limit was reached. */
  get dropped(): number {
    return this.droppedSamples;
  }
  /** Whether close() was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Append samples. Ignored after close() or a disk error (close() then rejects with it). */
  write(samples: Int16Array): void {
    if (this.closing || this.failure) return;
    const room = Math.floor((this.maxDataBytes - this.accepted) / 2);
    const take = Math.min(room, samples.length);
    this.droppedSamples += samples.length - take;
    if (take <= 0) return;
    const bytes = pcmToBytes(take === samples.length ? samples : samples.subarray(0, take));
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.accepted += bytes.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const at = HEADER_BYTES + this.written;
    this.written += chunk.length;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.fh.write(chunk, 0, chunk.length, at);
      } catch (err) {
        this.failure = err as Error;
      }
    });
  }

  /** Write what is buffered, fix the header's sizes and close the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flush();
      await this.chain;
      try {
        if (!this.failure) await this.fh.write(wavHeader(this.written, this.sampleRate), 0, HEADER_BYTES, 0);
      } catch (err) {
        this.failure = err as Error;
      } finally {
        await this.fh.close();
      }
      if (this.failure) throw this.failure;
    })();
    return this.closing;
  }
}
