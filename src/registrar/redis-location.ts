import type { Redis } from 'ioredis';
import { systemClock, wallTime, type Clock } from '../util/clock.js';
import { guarded } from '../util/redis.js';
import { liveSorted, type Binding, type LocationStore, type RegisterChange, type RegisterOutcome } from './location.js';

/**
 * One AoR's bindings as one Redis hash (field: contact URI, value: the binding as JSON with its
 * absolute expiry), changed only by this script so that a check and its update are one atomic
 * step: two proxies registering the same AoR at once cannot lose each other's bindings, and a
 * REGISTER out of order (§10.3 step 7) changes nothing. Expired fields are deleted on the way;
 * the hash itself expires with its latest binding.
 *
 * ARGV: now, Call-ID, CSeq, wildcard (1/0), check order (1/0), removals (JSON list of URIs),
 * puts (JSON list of [uri, binding JSON, expires]), key margin ms.
 * Returns {0} when out of order, else {1, live binding JSON...}.
 */
const REGISTER = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local callId = ARGV[2]
local cseq = tonumber(ARGV[3])
local wildcard = ARGV[4] == '1'
local check = ARGV[5] == '1'
local removes = cjson.decode(ARGV[6])
local puts = cjson.decode(ARGV[7])
local touched = {}
for _, u in ipairs(removes) do touched[u] = true end
for _, p in ipairs(puts) do touched[p[1]] = true end
local all = redis.call('HGETALL', key)
local live = {}
for i = 1, #all, 2 do
  local ok, b = pcall(cjson.decode, all[i + 1])
  if not ok or type(b) ~= 'table' or type(b.expires) ~= 'number' or b.expires <= now then
    redis.call('HDEL', key, all[i])
  else
    if check and (wildcard or touched[all[i]]) and b.callId == callId and cseq <= b.cseq then return {0} end
    live[all[i]] = { b.expires, all[i + 1] }
  end
end
if wildcard then
  redis.call('DEL', key)
  live = {}
end
for _, u in ipairs(removes) do
  redis.call('HDEL', key, u)
  live[u] = nil
end
for _, p in ipairs(puts) do
  redis.call('HSET', key, p[1], p[2])
  live[p[1]] = { p[3], p[2] }
end
local out = {1}
local latest = 0
for _, v in pairs(live) do
  out[#out + 1] = v[2]
  if v[1] > latest then latest = v[1] end
end
if latest > now then
  redis.call('PEXPIRE', key, math.ceil(latest - now + tonumber(ARGV[8])))
else
  redis.call('DEL', key)
end
return out`;

export interface RedisLocationOptions {
  /** Key prefix (default `switchboard:`); bindings live at `<prefix>loc:<aor>`. */
  prefix?: string;
  /** Wall clock for expiry (Clock.wallNow); the proxies sharing a store need synchronised clocks (NTP). */
  clock?: Clock;
}

/**
 * Location service in Redis, shared by several proxies: a phone registered through one is found
 * through another, and a proxy that dies loses nothing. Every failure to reach Redis rejects with
 * StoreUnavailableError (the proxy answers 503), and nothing is cached in the process.
 */
export class RedisLocationStore implements LocationStore {
  private readonly prefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly redis: Redis,
    opts: RedisLocationOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'switchboard:';
    this.clock = opts.clock ?? systemClock;
  }

  private key(aor: string): string {
    return `${this.prefix}loc:${aor}`;
  }

  async lookup(aor: string): Promise<Binding[]> {
    const h = await guarded(`location lookup ${aor}`, () => this.redis.hgetall(this.key(aor)));
    return liveSorted(Object.values(h).flatMap(parseBinding), wallTime(this.clock));
  }

  async put(b: Binding): Promise<void> {
    await this.run(b.aor, { callId: b.callId, cseq: b.cseq, put: [b], remove: [] }, false);
  }

  async remove(aor: string, uri: string): Promise<void> {
    await this.run(aor, { callId: '', cseq: 0, put: [], remove: [uri] }, false);
  }

  async removeAll(aor: string): Promise<void> {
    await this.run(aor, { callId: '', cseq: 0, wildcard: true, put: [], remove: [] }, false);
  }

  register(aor: string, change: RegisterChange): Promise<RegisterOutcome> {
    return this.run(aor, change, true);
  }

  /** Sweep every AoR for expired bindings (each AoR's hash also expires with its last binding). */
  async expire(): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await guarded('location expiry sweep', () =>
        this.redis.scan(cursor, 'MATCH', `${this.prefix}loc:*`, 'COUNT', 100),
      );
      cursor = next;
      for (const key of keys) {
        const aor = key.slice(this.prefix.length + 4);
        const before = await guarded('location expiry sweep', () => this.redis.hlen(key));
        const r = await this.run(aor, { callId: '', cseq: 0, put: [], remove: [] }, false);
        if (r.ok) removed += Math.max(0, before - r.bindings.length);
      }
    } while (cursor !== '0');
    return removed;
  }

  close(): void {
    // the connection belongs to whoever made it (shared with the nonce state and rate limiter)
  }

  private async run(aor: string, change: RegisterChange, check: boolean): Promise<RegisterOutcome> {
    const now = wallTime(this.clock);
    const reply = (await guarded(`location update ${aor}`, () =>
      this.redis.eval(
        REGISTER,
        1,
        this.key(aor),
        String(now),
        change.callId,
        String(change.cseq),
        change.wildcard ? '1' : '0',
        check ? '1' : '0',
        JSON.stringify(change.remove),
        JSON.stringify(change.put.map((b) => [b.uri, JSON.stringify(b), b.expires])),
        '1000',
      ),
    )) as [number, ...string[]];
    if (reply[0] !== 1) return { ok: false, reason: 'out-of-order' };
    return { ok: true, bindings: liveSorted(reply.slice(1).flatMap(parseBinding), now) };
  }
}

/** A binding read back from Redis; anything malformed is left out rather than trusted. */
function parseBinding(json: unknown): Binding[] {
  if (typeof json !== 'string') return [];
  try {
    const b = JSON.parse(json) as Partial<Binding>;
    if (
      typeof b.aor !== 'string' ||
      typeof b.uri !== 'string' ||
      typeof b.expires !== 'number' ||
      typeof b.q !== 'number' ||
      typeof b.callId !== 'string' ||
      typeof b.cseq !== 'number' ||
      !Array.isArray(b.path)
    )
      return [];
    return [{ params: '', ...b } as Binding];
  } catch {
    return [];
  }
}
