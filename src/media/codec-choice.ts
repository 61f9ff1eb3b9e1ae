/** Which codecs a call offers, from names the user gives (`--codecs PCMU,PCMA,opus`). */
import { OPUS, PCMA, PCMU, TELEPHONE_EVENT, TELEPHONE_EVENT_48K, type Codec } from '../sdp/index.js';

export class UnknownCodecError extends Error {
  constructor(readonly codec: string) {
    super(`codec "${codec}" is not supported (supported: PCMU, PCMA, opus)`);
    this.name = 'UnknownCodecError';
  }
}

const KNOWN: Record<string, Codec> = { PCMU, PCMA, OPUS };

/**
 * The SDP codecs for these names in order, then telephone-event for DTMF (RFC 4733): at 48 kHz too
 * when opus is named (§7.1.1: the event clock matches the audio's). Opus only when named: it needs
 * the optional opusscript package and costs ~4x a G.711 leg.
 */
export function mediaCodecs(names: readonly string[] = ['PCMU', 'PCMA']): Codec[] {
  if (names.length === 0) throw new UnknownCodecError('(none)');
  const out = names.map((n) => {
    const c = KNOWN[n.toUpperCase()];
    if (!c) throw new UnknownCodecError(n);
    return c;
  });
  const dtmf = out.includes(OPUS) ? [TELEPHONE_EVENT_48K, TELEPHONE_EVENT] : [TELEPHONE_EVENT];
  return [...new Set(out), ...dtmf];
}

export function isOpus(c: { name: string }): boolean {
  return c.name.toLowerCase() === 'opus';
}
