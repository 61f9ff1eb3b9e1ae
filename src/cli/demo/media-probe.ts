/**
 * What the demo's media checks listen with: every call of every phone records into a probe that
 * counts the frames that carried sound (tones, not silence or concealment), so a check can wait
 * for "Bob heard 25 frames of Alice" as an event and compare RTP counters around it.
 */
import { EventEmitter } from 'node:events';
import type { Call } from '../../call/call.js';
import { rms } from '../../media/analyse.js';
import { RtpMedia } from '../../media/rtp-media.js';
import type { MediaSessionContext } from '../../media/session.js';
import type { FrameSink } from '../../media/sinks.js';

/** Counts frames with sound; `heard(n)` resolves when n more have arrived. */
export class ProbeSink extends EventEmitter implements FrameSink {
  sounding = 0;
  write(frame: Int16Array): void {
    // the demo's tones are at about -10 dBFS; silence and faded concealment are far below
    if (rms(frame) < 300) return;
    this.sounding++;
    this.emit('frame');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  heard(n: number, ms = 8000): Promise<boolean> {
    const target = this.sounding + n;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.off('frame', on);
        resolve(false);
      }, ms);
      const on = () => {
        if (this.sounding < target) return;
        clearTimeout(t);
        this.off('frame', on);
        resolve(true);
      };
      this.on('frame', on);
    });
  }
}

/** One probe per phone and call (the two ends of a call share its Call-ID, so the phone is part of the key). */
export class MediaProbes {
  private readonly sinks = new Map<string, ProbeSink>();
  sinkFor(phone: string): (ctx: MediaSessionContext) => FrameSink {
    return (ctx) => {
      const s = new ProbeSink();
      this.sinks.set(`${phone} ${ctx.callId}`, s);
      return s;
    };
  }
  of(phone: string, call: Call): ProbeSink {
    const s = this.sinks.get(`${phone} ${call.invite.callId}`);
    if (!s) throw new Error(`no media probe for ${phone}'s call ${call.invite.callId}`);
    return s;
  }
}

export function rtpOf(call: Call): RtpMedia {
  if (!(call.media instanceof RtpMedia)) throw new Error(`call ${call.id} has no RTP media`);
  return call.media;
}
