/** RFC 3261 §7.3.3 and later RFCs: compact forms → canonical lower-case long names. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Canonical spelling used when Switchboard writes a header it created. */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
};

const keyCache = new Map<string, string>();

/** Lower-case long form of a header name, compact forms expanded. */
export function headerKey(name: string): string {
  let k = keyCache.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  k = lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
  if (keyCache.size < 4096) keyCache.set(name, k);
  return k;
}

/** The conventional spelling of a header (`call-id` → `Call-ID`, `v` → `Via`). */
export function canonicalName(name: string): string {
  const k = headerKey(name);
  let c = canonicalCache.get(k);
  if (c === undefined) {
    c = CANONICAL[k] ?? k.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
    if (canonicalCache.size < 4096) canonicalCache.set(k, c);
  }
  return c;
}
const canonicalCache = new Map<string, string>();
