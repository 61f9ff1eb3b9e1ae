/**
 * The demo's media checks (issue 14 §5), counted from the RTP that crossed the sockets: every leg
 * plays its tone, the probes say which frames carried sound, and the RTP counters say who sent.
 */
import type { Call } from '../../call/call.js';
import type { Lab } from './lab.js';
import { rtpOf } from './media-probe.js';

export interface Leg {
  name: 'alice' | 'bob' | 'carol';
  call: Call;
}

export interface MediaVerdict {
  ok: boolean;
  detail: string;
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
/** Frames (20 ms each) of sound a check waits for: half a second. */
const FRAMES = 25;

/** Both legs hear each other; on sips: the media is SRTP. */
export async function audioBothWays(lab: Lab, a: Leg, b: Leg): Promise<MediaVerdict> {
  const [aHeard, bHeard] = await Promise.all([
    lab.probes.of(a.name, a.call).heard(FRAMES),
    lab.probes.of(b.name, b.call).heard(FRAMES),
  ]);
  const sa = rtpOf(a.call).stats();
  const sb = rtpOf(b.call).stats();
  const secure = lab.transport === 'tls' || lab.transport === 'wss';
  const srtpOk = sa.srtp === secure && sb.srtp === secure && sa.rtp.srtpFailures + sb.rtp.srtpFailures === 0;
  return {
    ok: aHeard && bHeard && srtpOk,
    detail:
      `${cap(a.name)} heard ${cap(b.name)}: ${aHeard}, ${cap(b.name)} heard ${cap(a.name)}: ${bHeard}; ` +
      `RTP ${cap(a.name)} sent ${sa.rtp.sent}/received ${sa.rtp.received}, ${cap(b.name)} sent ${sb.rtp.sent}/received ${sb.rtp.received}; ` +
      `${sa.codec ?? '-'}, ${sa.srtp ? 'SRTP (AES_CM_128_HMAC_SHA1_80, SDES)' : 'plain RTP'}`,
  };
}

/**
 * While `holder` holds `held` with sendonly: the holder keeps sending (the held side hears it) and
 * the held side sends nothing (RFC 3264 §8.4, RFC 6337).
 */
export async function heldSideSilent(lab: Lab, holder: Leg, held: Leg): Promise<MediaVerdict> {
  const before = rtpOf(held.call).stats().rtp.sent;
  const heard = await lab.probes.of(held.name, held.call).heard(FRAMES);
  const sentMeanwhile = rtpOf(held.call).stats().rtp.sent - before;
  return {
    // one packet may have been on its way when the answer arrived
    ok: heard && sentMeanwhile <= 1,
    detail: `${cap(held.name)} still hears ${cap(holder.name)}: ${heard}; packets ${cap(held.name)} sent meanwhile: ${sentMeanwhile}`,
  };
}
