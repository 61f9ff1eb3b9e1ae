/**
 * The phone's audio (issue 14 §5): flags that choose what each call plays and records, and the stdin
 * commands `dtmf`, `play` and `stats`. Everything here goes through the media seam's RTP engine.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { extname } from 'node:path';
import type { Call } from '../../call/call.js';
import { isOpus, mediaCodecs } from '../../media/codec-choice.js';
import { loadOpus } from '../../media/codecs/index.js';
import { PortAllocator } from '../../media/ports.js';
import { RtpMedia, rtpMediaFactory } from '../../media/rtp-media.js';
import type { MediaSessionContext, MediaSessionFactory } from '../../media/session.js';
import { WavRecorderSink } from '../../media/sinks.js';
import { PcmBufferSource, ToneSource, type FrameSource } from '../../media/sources.js';
import { readWavFile } from '../../media/wav.js';
import type { SrtpPolicy } from '../../sdp/index.js';
import type { Emit } from '../output.js';

export interface MediaFlags {
  media?: 'on' | 'off';
  play?: string;
  record?: string;
  holdMusic?: string;
  srtp?: SrtpPolicy;
  codecs?: string[];
  rtpPorts?: { min: number; max: number };
}

/** A source spec: `tone:HZ` or a WAV file (read once, then looped per call). */
type SourceSpec = { tone: number } | { samples: Int16Array };

function portRange(v: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected MIN-MAX, e.g. 30000-31000');
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1024 || max > 65535 || min + 1 > max) throw new InvalidArgumentError('range within 1024-65535, MIN < MAX');
  return { min, max };
}

function codecList(v: string): string[] {
  const names = v.split(',').map((s) => s.trim());
  try {
    mediaCodecs(names);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return names;
}

function sourceArg(v: string): string {
  const tone = /^tone:(.*)$/.exec(v);
  if (tone && !(Number(tone[1]) > 0 && Number(tone[1]) < 4000))
    throw new InvalidArgumentError(`tone frequency "${tone[1]}": 1-3999 Hz (8 kHz audio)`);
  return v;
}

export function mediaOptions(cmd: Command): Command {
  return cmd
    .option('--media <on|off>', 'RTP audio (default on); off: signalling only', (v) => {
      if (v !== 'on' && v !== 'off') throw new InvalidArgumentError('on or off');
      return v;
    })
    .option('--play <FILE|tone:HZ>', 'what every call sends (a WAV file, looped, or a tone)', sourceArg)
    .option('--record <FILE>', 'record what each call receives to WAV (later calls: FILE-<call>.wav)')
    .option('--hold-music <FILE|tone:HZ>', 'what we send while we hold the other side', sourceArg)
    .option('--srtp <off|offer|require>', 'SRTP with SDES keys (default: offer on sips:/TLS calls)', (v) => {
      if (v !== 'off' && v !== 'offer' && v !== 'require') throw new InvalidArgumentError('off, offer or require');
      return v;
    })
    .option('--codecs <list>', 'audio codecs in preference order: PCMU, PCMA, opus (default PCMU,PCMA)', codecList)
    .option('--rtp-ports <MIN-MAX>', 'RTP/RTCP port range (default 30000-39999)', portRange);
}

async function loadSpec(v: string | undefined): Promise<SourceSpec | undefined> {
  if (!v) return undefined;
  const tone = /^tone:(.*)$/.exec(v);
  if (tone) return { tone: Number(tone[1]) };
  return { samples: (await readWavFile(v)).samples };
}

function makeSource(spec: SourceSpec | undefined): FrameSource | undefined {
  if (!spec) return undefined;
  return 'tone' in spec
    ? new ToneSource({ frequency: spec.tone, amplitude: 0.3 })
    : new PcmBufferSource(spec.samples, { loop: true });
}

/**
 * The media factory the flags ask for (undefined: signalling only). Throws on unreadable files, and
 * OpusUnavailableError at start when --codecs names opus without the optional opusscript package.
 */
export async function buildMedia(flags: MediaFlags): Promise<MediaSessionFactory | undefined> {
  if (flags.media === 'off') return undefined;
  if (flags.codecs?.some((name) => isOpus({ name }))) await loadOpus();
  const [play, hold] = await Promise.all([loadSpec(flags.play), loadSpec(flags.holdMusic)]);
  const allocator = new PortAllocator(flags.rtpPorts ?? { min: 30000, max: 39999 });
  let recordings = 0;
  const record = flags.record;
  return rtpMediaFactory({
    allocator,
    ...(flags.codecs ? { codecs: flags.codecs } : {}),
    ...(flags.srtp ? { srtp: flags.srtp } : {}),
    source: () => makeSource(play),
    holdMusic: () => makeSource(hold),
    ...(record
      ? {
          sink: (_ctx: MediaSessionContext) => {
            const n = recordings++;
            const ext = extname(record);
            const file = n === 0 ? record : `${record.slice(0, record.length - ext.length)}-${n + 1}${ext || '.wav'}`;
            return WavRecorderSink.create(file);
          },
        }
      : {}),
  });
}

function rtpOf(call: Call): RtpMedia {
  if (!(call.media instanceof RtpMedia)) throw new Error('this phone runs without media (--media off)');
  return call.media;
}

/** Report DTMF and media errors of a call as events. */
export function watchMedia(call: Call, emit: Emit): void {
  if (!(call.media instanceof RtpMedia)) return;
  call.media.on('dtmf', (digit) => emit('dtmf', { call: call.id, digit }));
  call.media.on('error', (e) => emit('error', { call: call.id, message: `media: ${e.message}` }));
}

/** `dtmf DIGITS [id]`, `play FILE|tone:HZ [id]`, `stats [id]`; false when `cmd` is not a media command. */
export async function runMediaCommand(
  cmd: string,
  args: string[],
  find: (id?: string) => Call,
  calls: () => Call[],
  emit: Emit,
): Promise<boolean> {
  switch (cmd) {
    case 'dtmf': {
      if (!args[0] || !/^[0-9*#A-D]+$/i.test(args[0])) throw new Error('usage: dtmf <digits 0-9 * # A-D> [id]');
      await rtpOf(find(args[1])).sendDtmf(args[0].toUpperCase());
      return true;
    }
    case 'play': {
      if (!args[0]) throw new Error('usage: play <FILE|tone:HZ> [id]');
      const spec = await loadSpec(sourceArg(args[0]));
      void rtpOf(find(args[1])).play(makeSource(spec)!);
      return true;
    }
    case 'stats': {
      const list = args[0] ? [find(args[0])] : calls();
      for (const c of list) {
        if (!(c.media instanceof RtpMedia)) continue;
        const s = c.media.stats();
        emit('stats', {
          call: c.id,
          codec: s.codec,
          direction: s.direction,
          srtp: s.srtp,
          rtp: { sent: s.rtp.sent, received: s.rtp.received, lost: s.rtp.lost, jitterMs: s.rtp.jitterMs },
        });
      }
      return true;
    }
    default:
      return false;
  }
}
