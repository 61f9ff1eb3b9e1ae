import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { AuthHeader, buildAuthHeader, type SipRequest, type SipResponse } from '../message/index.js';
import { systemClock, wallTime, type Clock } from '../util/clock.js';
import { MemoryNonceState, type NonceState } from './nonce-state.js';

/** HTTP Digest for SIP: RFC 3261 §22, RFC 7616 (SHA-256), RFC 8760 (SIP use of SHA-256). */
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';

function h(alg: string, s: string): string {
  return createHash(alg.toUpperCase().startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(s, 'utf8')
    .digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm | string;
  username: string;
  realm: string;
  password?: string;
  /** Precomputed H(username:realm:password) instead of the password. */
  ha1?: string;
  method: string;
  uri: string;
  nonce: string;
  cnonce?: string;
  nc?: string;
  qop?: 'auth' | undefined;
}

/** The `response` value of RFC 7616 §3.4.1 (qop=auth) or RFC 2069 style (no qop). */
export function computeDigestResponse(d: DigestInput): string {
  const alg = d.algorithm;
  let ha1 = d.ha1 ?? h(alg, `${d.username}:${d.realm}:${d.password ?? ''}`);
  if (/-sess$/i.test(alg)) ha1 = h(alg, `${ha1}:${d.nonce}:${d.cnonce ?? ''}`);
  const ha2 = h(alg, `${d.method}:${d.uri}`);
  return d.qop ? h(alg, `${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${d.qop}:${ha2}`) : h(alg, `${ha1}:${d.nonce}:${ha2}`);
}

export function ha1Of(algorithm: string, username: string, realm: string, password: string): string {
  return h(algorithm, `${username}:${realm}:${password}`);
}

export interface Credentials {
  username: string;
  password: string;
  /** Only answer challenges from this realm (any realm if unset). */
  realm?: string;
}

/** Bounds of what a DigestClient remembers (per nonce, per request chain). */
export interface DigestClientLimits {
  /** Nonces whose count is kept (oldest forgotten first). Default 256. */
  maxNonces?: number;
  /** Request chains in flight whose answered realms are kept (oldest forgotten first). Default 4096. */
  maxChains?: number;
}

/**
 * The client side: answers 401/407 challenges for any request. Keeps a nonce count per nonce;
 * prefers SHA-256 over MD5 (RFC 8760 §2.4); retries a `stale=true` challenge silently, and
 * gives up when the same realm refuses the same request chain twice (RFC 3261 §22.2). The
 * chain is the request and its retries (same Call-ID, From tag and method; each retry has a
 * new CSeq): concurrent requests, and a request after one that ended 486, start afresh.
 */
export class DigestClient {
  #password: string;
  readonly username: string;
  readonly realm: string | undefined;
  private readonly nc = new Map<string, number>();
  /** Per request awaiting its response: the realms already answered in its chain. */
  private readonly chains = new Map<string, readonly string[]>();
  private readonly maxNonces: number;
  private readonly maxChains: number;

  constructor(creds: Credentials, limits: DigestClientLimits = {}) {
    this.username = creds.username;
    this.#password = creds.password;
    this.realm = creds.realm;
    this.maxNonces = limits.maxNonces ?? 256;
    this.maxChains = limits.maxChains ?? 4096;
  }

  /** Pick the challenge to answer from a 401/407 (SHA-256 first). */
  choose(res: SipResponse): { challenge: AuthHeader; header: 'Authorization' | 'Proxy-Authorization' } | undefined {
    const proxy = res.status === 407;
    const got = res.parsed<readonly AuthHeader[]>(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    const list = (got.ok ? (got.value ?? []) : []).filter(
      (c) => c.scheme.toLowerCase() === 'digest' && (!this.realm || c.realm === this.realm),
    );
    const rank = (c: AuthHeader) =>
      /^sha-256/i.test(c.algorithm ?? '') ? 0 : /^md5/i.test(c.algorithm ?? 'MD5') ? 1 : 2;
    const usable = list.filter((c) => rank(c) < 2).sort((a, b) => rank(a) - rank(b));
    const challenge = usable[0];
    return challenge ? { challenge, header: proxy ? 'Proxy-Authorization' : 'Authorization' } : undefined;
  }

  /**
   * Add credentials for `res`'s challenge to `req` (a copy to resend, with its new CSeq already
   * set). Returns false when we cannot or should not answer: no usable challenge, or this realm
   * already refused credentials in this request's chain (RFC 3261 §22.2).
   */
  authorize(req: SipRequest, res: SipResponse): boolean {
    const picked = this.choose(res);
    if (!picked) return false;
    const { challenge, header } = picked;
    const stale = (challenge.get('stale') ?? '').toLowerCase() === 'true';
    const realm = challenge.realm ?? '';
    // the challenged request is the one `res` answers; its chain ends here or goes on in `req`
    const challenged = chainKey(res, res.cseq?.seq);
    const answered = this.chains.get(challenged) ?? [];
    this.chains.delete(challenged);
    if (!stale && answered.includes(realm)) return false;
    remember(this.chains, chainKey(req, req.cseq?.seq), stale ? answered : [...answered, realm], this.maxChains);
    const nonce = challenge.nonce ?? '';
    const algorithm = challenge.algorithm ?? 'MD5';
    const qops = (challenge.get('qop') ?? '').split(',').map((s) => s.trim().toLowerCase());
    const qop = qops.includes('auth') ? 'auth' : undefined;
    const count = (this.nc.get(nonce) ?? 0) + 1;
    remember(this.nc, nonce, count, this.maxNonces);
    const nc = count.toString(16).padStart(8, '0');
    const cnonce = randomBytes(12).toString('hex');
    const uri = req.uri.toString();
    const response = computeDigestResponse({
      algorithm,
      username: this.username,
      realm,
      password: this.#password,
      method: req.method,
      uri,
      nonce,
      cnonce,
      nc,
      qop,
    });
    const values: Record<string, string | undefined> = {
      username: this.username,
      realm,
      nonce,
      uri,
      response,
      algorithm,
      opaque: challenge.get('opaque'),
    };
    if (qop) Object.assign(values, { qop, nc, cnonce });
    // remove credentials for the same realm, then add the new ones
    req.headers = req.headers.filter((f) => !(f.key === header.toLowerCase() && f.value.includes(`realm="${realm}"`)));
    req.append(header, buildAuthHeader('Digest', values, ['algorithm', 'nc', 'qop']).toString());
    return true;
  }

  /** `req` (a request we authorized) got a final response that is not a challenge: its chain is over. */
  settled(req: SipRequest): void {
    this.chains.delete(chainKey(req, req.cseq?.seq));
  }

  /** Request chains still remembered (for tests and leak checks). */
  get pendingChains(): number {
    return this.chains.size;
  }

  toJSON(): unknown {
    return { username: this.username, realm: this.realm, password: '***' };
  }
  [inspect.custom](): string {
    return `DigestClient { username: ${this.username}, password: *** }`;
  }
}

/** One request of a chain: Call-ID, From tag, method and CSeq number. */
function chainKey(m: SipRequest | SipResponse, seq: number | undefined): string {
  return `${m.callId ?? ''}\u0000${m.from?.tag ?? ''}\u0000${m.cseq?.method ?? ''}\u0000${seq ?? ''}`;
}

/** Set `key` in a map bounded to `max` entries, forgetting the oldest first. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

/** What the server knows of a user: a password or precomputed HA1 values. */
export interface UserSecret {
  password?: string;
  ha1Md5?: string;
  ha1Sha256?: string;
}

/**
 * Users file: one user per line, `#` comments. Forms:
 *   `alice:secret`            plain password
 *   `alice:md5:<hex>`         HA1 = MD5(alice:realm:password)
 *   `alice:sha256:<hex>`      HA1 = SHA-256(alice:realm:password)
 */
export function loadUsersFile(path: string): Map<string, UserSecret> {
  return parseUsers(readFileSync(path, 'utf8'));
}

export function parseUsers(text: string): Map<string, UserSecret> {
  const users = new Map<string, UserSecret>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const c = line.indexOf(':');
    if (c <= 0) throw new Error(`users file line ${i + 1}: expected user:password or user:md5:<hex>`);
    const user = line.slice(0, c);
    const rest = line.slice(c + 1);
    const m = /^(md5|sha256):([0-9a-f]{32}|[0-9a-f]{64})$/i.exec(rest);
    const entry = users.get(user) ?? {};
    if (m && m[1]!.toLowerCase() === 'md5') entry.ha1Md5 = m[2]!.toLowerCase();
    else if (m) entry.ha1Sha256 = m[2]!.toLowerCase();
    else entry.password = rest;
    users.set(user, entry);
  });
  return users;
}

export type VerifyResult = { ok: true; user: string } | { ok: false; stale?: boolean; reason: string };

export interface DigestServerOptions {
  realm: string;
  users: (name: string) => UserSecret | undefined;
  /** Nonce lifetime (ms); an older nonce gets `stale=true`. Default 300 s. */
  nonceTtl?: number;
  algorithms?: ('SHA-256' | 'MD5')[];
  clock?: Clock;
  /** HMAC key for nonces; random per process by default. Ignored when `nonces` is given. */
  secret?: Buffer;
  /** Nonce key and replay window, shared by several servers (RedisNonceState); per process by default. */
  nonces?: NonceState;
}

/**
 * The server side: challenges with self-verifying nonces (timestamp + random + HMAC, no state
 * needed to check them), verifies responses in constant time, refuses stale nonces and
 * replayed nonce-counts.
 */
export class DigestServer {
  readonly realm: string;
  private readonly nonces: NonceState;
  private readonly clock: Clock;
  private readonly ttl: number;
  private readonly algorithms: ('SHA-256' | 'MD5')[];

  constructor(private readonly opts: DigestServerOptions) {
    this.realm = opts.realm;
    this.clock = opts.clock ?? systemClock;
    this.nonces =
      opts.nonces ?? new MemoryNonceState({ clock: this.clock, ...(opts.secret ? { secret: opts.secret } : {}) });
    this.ttl = opts.nonceTtl ?? 300_000;
    // SHA-256 first (RFC 8760). Note: libre-based clients (baresip 1.0) refuse a 401 that offers
    // SHA-256 at all ("Function not implemented"): serve them with algorithms: ['MD5']
    this.algorithms = opts.algorithms ?? ['SHA-256', 'MD5'];
  }

  private now(): number {
    // wall-clock epoch ms: a nonce made by one proxy is dated the same way at another
    return Math.floor(wallTime(this.clock));
  }

  createNonce(): string {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(this.now()));
    const rnd = randomBytes(8);
    const mac = createHmac('sha256', this.nonces.secret)
      .update(Buffer.concat([ts, rnd, Buffer.from(this.realm)]))
      .digest()
      .subarray(0, 16);
    return Buffer.concat([ts, rnd, mac]).toString('base64url');
  }

  /** Check a nonce's HMAC and age without any stored state. */
  checkNonce(nonce: string): 'ok' | 'stale' | 'forged' {
    let raw: Buffer;
    try {
      raw = Buffer.from(nonce, 'base64url');
    } catch {
      return 'forged';
    }
    if (raw.length !== 32) return 'forged';
    const mac = createHmac('sha256', this.nonces.secret)
      .update(Buffer.concat([raw.subarray(0, 16), Buffer.from(this.realm)]))
      .digest()
      .subarray(0, 16);
    if (!timingSafeEqual(mac, raw.subarray(16))) return 'forged';
    const ts = Number(raw.readBigUInt64BE(0));
    return this.now() - ts > this.ttl ? 'stale' : 'ok';
  }

  /** WWW-Authenticate / Proxy-Authenticate values, one per algorithm. */
  challenges(opts: { stale?: boolean } = {}): string[] {
    const nonce = this.createNonce();
    return this.algorithms.map((algorithm) =>
      buildAuthHeader(
        'Digest',
        { realm: this.realm, nonce, algorithm, qop: 'auth', ...(opts.stale ? { stale: 'true' } : {}) },
        ['algorithm', 'stale'],
      ).toString(),
    );
  }

  /**
   * Verify the credentials in `req` for our realm (Authorization, or Proxy-Authorization when
   * `proxy`). Rejects with StoreUnavailableError when shared nonce state does not answer.
   */
  async verify(req: SipRequest, opts: { proxy?: boolean } = {}): Promise<VerifyResult> {
    // a malformed credential header (kept as a fault by the parser) counts as none: challenge again
    const got = req.parsed<readonly AuthHeader[]>(opts.proxy ? 'Proxy-Authorization' : 'Authorization');
    if (!got.ok) return { ok: false, reason: 'malformed credentials' };
    const list = got.value ?? [];
    const cred = list.find((c) => c.scheme.toLowerCase() === 'digest' && c.realm === this.realm);
    if (!cred) return { ok: false, reason: 'no credentials for this realm' };
    const username = cred.get('username') ?? '';
    const nonce = cred.nonce ?? '';
    const response = (cred.get('response') ?? '').toLowerCase();
    const algorithm = cred.algorithm ?? 'MD5';
    if (!/^(md5|sha-256)$/i.test(algorithm)) return { ok: false, reason: `unsupported algorithm ${algorithm}` };
    const secret = this.opts.users(username);
    if (!secret) return { ok: false, reason: 'unknown user' };
    // the digest-uri must be the Request-URI (RFC 3261 §22.4 / RFC 7616 §3.4.6)
    if ((cred.get('uri') ?? '') !== req.uri.toString())
      return { ok: false, reason: 'digest uri does not match the Request-URI' };
    const n = this.checkNonce(nonce);
    if (n === 'forged') return { ok: false, reason: 'invalid nonce' };
    const sha = /^sha-256/i.test(algorithm);
    const ha1 =
      secret.password !== undefined
        ? ha1Of(algorithm, username, this.realm, secret.password)
        : sha
          ? secret.ha1Sha256
          : secret.ha1Md5;
    if (!ha1) return { ok: false, reason: `no ${algorithm} secret for user` };
    const qop = cred.get('qop');
    const nc = cred.get('nc') ?? '';
    const expected = computeDigestResponse({
      algorithm,
      username,
      realm: this.realm,
      ha1,
      method: req.method === 'ACK' ? 'INVITE' : req.method,
      uri: cred.get('uri') ?? '',
      nonce,
      cnonce: cred.get('cnonce') ?? '',
      nc,
      qop: qop ? 'auth' : undefined,
    });
    const a = Buffer.from(expected);
    const b = Buffer.from(response.padEnd(expected.length, '0').slice(0, expected.length));
    if (!timingSafeEqual(a, b) || response.length !== expected.length)
      return { ok: false, reason: 'wrong credentials' };
    if (n === 'stale') return { ok: false, stale: true, reason: 'nonce expired' };
    if (qop) {
      // replay protection: the nonce count must grow (RFC 7616 §3.4.5)
      const count = parseInt(nc, 16);
      if (!/^[0-9a-f]{1,8}$/i.test(nc)) return { ok: false, reason: 'bad nonce count' };
      if (!(await this.nonces.acceptCount(nonce, count, this.ttl)))
        return { ok: false, reason: 'replayed nonce count' };
    }
    return { ok: true, user: username };
  }
}
