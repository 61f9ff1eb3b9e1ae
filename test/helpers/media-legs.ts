/**
 * Two user agents on loopback with the RTP engine behind the media seam (test/media): each plays a
 * tone, collects what it hears and notes the RTP timestamps of the audio it sends.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { PortAllocator } from '../../src/media/ports.js';
import { RtpMedia, rtpMediaFactory, type RtpMediaOptions } from '../../src/media/rtp-media.js';
import { ToneSource } from '../../src/media/sources.js';
import type { RtpTapEvent } from '../../src/media/rtp-types.js';
import { parseRtp } from '../../src/media/rtp-packet.js';
import { CollectSink } from './collect-sink.js';

export interface Leg {
  ua: UserAgent;
  uri: string;
  sink: CollectSink;
  allocator: PortAllocator;
  /** RTP timestamps of the audio packets sent (PCMU 0, PCMA 8, opus 111; not RTCP or telephone-event). */
  sentTs: number[];
}

/** Call once, at the top of a test file: a starter of legs, every one stopped after the file. */
export function mediaLegs(): (name: string, hz: number, extra?: Partial<RtpMediaOptions>) => Promise<Leg> {
  const agents: UserAgent[] = [];
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
  });
  return async (name, hz, extra = {}) => {
    const sink = new CollectSink();
    const sentTs: number[] = [];
    const allocator = new PortAllocator({ min: 30000 + Math.floor(Math.random() * 1000) * 20, max: 65000 });
    const ua = new UserAgent({
      aor: `sip:${name}@127.0.0.1`,
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      autoAnswer: 0,
      mediaFactory: rtpMediaFactory({
        allocator,
        source: () => new ToneSource({ frequency: hz, amplitude: 0.25 }),
        sink: () => sink,
        tap: (_ctx, d: RtpTapEvent) => {
          const p = parseRtp(d.bytes);
          if (p.ok && [0, 8, 111].includes(p.packet.payloadType)) sentTs.push(p.packet.timestamp);
        },
        ...extra,
      }),
    });
    await ua.start();
    agents.push(ua);
    return { ua, uri: `sip:${name}@127.0.0.1:${ua.transport.address('udp')!.port}`, sink, allocator, sentTs };
  };
}

/** `a` calls `b`: both ends of the established call. */
export async function connect(a: Leg, b: Leg): Promise<[Call, Call]> {
  const incoming = new Promise<Call>((r) => b.ua.once('incoming', r));
  const ac = await a.ua.call(b.uri);
  const bc = await incoming;
  return [ac, bc];
}

/** The call's media, asserted to run on the RTP engine. */
export const media = (c: Call): RtpMedia => {
  assert.ok(c.media instanceof RtpMedia, 'the call runs on the RTP engine');
  return c.media;
};
