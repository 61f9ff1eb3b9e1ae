/** Which codecs a call offers, from names the user gives (`--codecs PCMU,PCMA`). */
import { PCMA, PCMU, TELEPHONE_EVENT, type Codec } from '../sdp/index.js';

export class UnknownCodecError extends Error {
  constructor(readonly codec: string) {
    super(`codec "${codec}" is not supported (supported: PCMU, PCMA)`);
    this.name = 'UnknownCodecError';
  }
}

const KNOWN: Record<string, Codec> = { PCMU, PCMA };

/** The SDP codecs for these names in order, then telephone-event for DTMF (RFC 4733). */
export function mediaCodecs(names: readonly string[] = ['PCMU', 'PCMA']): Codec[] {
  if (names.length === 0) throw new UnknownCodecError('(none)');
  const out = names.map((n) => {
    const c = KNOWN[n.toUpperCase()];
    if (!c) throw new UnknownCodecError(n);
    return c;
  });
  return [...new Set(out), TELEPHONE_EVENT];
}
