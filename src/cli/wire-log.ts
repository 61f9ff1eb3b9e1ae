import type { WireEvent } from '../transport/index.js';

/** Wire logging for the CLI: on with --verbose or DEBUG=switchboard (or DEBUG=*); quiet by default. */
export function wireLogEnabled(verbose?: boolean): boolean {
  const d = process.env.DEBUG ?? '';
  return !!verbose || /(^|,)\s*(switchboard(:wire)?|\*)\s*(,|$)/.test(d);
}

/** A transport tap that prints each message to stderr, with digest responses masked. */
export function wireLogger(element: string): (e: WireEvent) => void {
  return (e) => {
    const arrow = e.direction === 'out' ? '>>' : '<<';
    const text = e.bytes
      .toString('utf8')
      .replace(/(response|cnonce)="[^"]*"/gi, '$1="***"')
      // SRTP master keys in SDP (RFC 4568 a=crypto inline:) are secrets too
      .replace(/inline:[A-Za-z0-9+/=]+/g, 'inline:***')
      .trimEnd();
    process.stderr.write(`${element} ${arrow} ${e.protocol} ${e.remote.host}:${e.remote.port}\n${text}\n\n`);
  };
}

/** Combine taps (a trace recorder and the wire log). */
export function taps(...fns: (((e: WireEvent) => void) | undefined)[]): ((e: WireEvent) => void) | undefined {
  const list = fns.filter((f): f is (e: WireEvent) => void => !!f);
  if (list.length === 0) return undefined;
  return (e) => {
    for (const f of list) f(e);
  };
}
