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

/** The headers the message layer types, in header id order (see header-ids.ts). */
export const KNOWN_KEYS = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'contact',
  'route',
  'record-route',
  'path',
  'content-type',
  'content-length',
  'expires',
  'min-expires',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'allow-events',
  'accept',
  'event',
  'subscription-state',
  'refer-to',
  'referred-by',
  'replaces',
  'refer-sub',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'reason',
  'retry-after',
  'warning',
  'date',
] as const;

/** Header keys known ahead: the typed ones, the compact forms', and others the stack reads or writes. */
const COMMON_KEYS = [
  ...KNOWN_KEYS,
  'authentication-info',
  'user-agent',
  'server',
  'session-expires',
  'min-se',
  'rseq',
  'rack',
  'subject',
  'organization',
  'priority',
  'timestamp',
  'content-disposition',
  'content-encoding',
  'mime-version',
  'accept-encoding',
  'accept-language',
  ...Object.values(COMPACT_FORMS),
];

/** A key's conventional spelling, computed. */
function spell(k: string): string {
  return CANONICAL[k] ?? k.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
}

/**
 * The known headers' names as written (lower case, canonical spelling, compact letter in either
 * case) → key, built once: the common names are looked up instead of lower-cased per use.
 */
const KEY_OF: ReadonlyMap<string, string> = new Map([
  ...COMMON_KEYS.flatMap((k) => [[k, k] as const, [spell(k), k] as const]),
  ...Object.entries(COMPACT_FORMS).flatMap(([c, k]) => [[c, k] as const, [c.toUpperCase(), k] as const]),
]);
/** The known keys' conventional spelling. */
const SPELLING: ReadonlyMap<string, string> = new Map(COMMON_KEYS.map((k) => [k, spell(k)]));

/** Lower-case long form of a header name, compact forms expanded. */
export function headerKey(name: string): string {
  const k = KEY_OF.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}

/** The conventional spelling of a header (`call-id` → `Call-ID`, `v` → `Via`). */
export function canonicalName(name: string): string {
  const k = headerKey(name);
  return SPELLING.get(k) ?? spell(k);
}
