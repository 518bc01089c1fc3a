// The shared store on Redis: GCRA in one Lua script on Redis's own clock, so replicas with skewed clocks agree.
// Short command timeout and no offline queue: a slow or absent Redis fails fast instead of holding requests.
// Keys carry a configurable prefix and a hash tag, so one tenant's keys land on one Redis Cluster slot.
import { Redis } from 'ioredis';
import type { RateResult, StateStore } from './store.js';

const gcraScript = `
local interval = tonumber(ARGV[1]) / tonumber(ARGV[2])
local window = tonumber(ARGV[1])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local start = math.max(tat, now)
local nxt = math.max(now, start + cost * interval)
local used = nxt - now
if cost > 0 and used > window then
  return {0, math.max(0, math.floor((window - (start - now)) / interval)), math.ceil(used - window)}
end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(used) + window)
return {1, math.max(0, math.floor((window - used) / interval)), 0}
`;

// KEYS: one counter per period; ARGV: amount, then limit and ttl per key. Checks every limit, then adds to all.
const reserveScript = `
local amount = tonumber(ARGV[1])
local spent = {}
for i, key in ipairs(KEYS) do spent[i] = tonumber(redis.call('GET', key) or '0') end
for i = 1, #KEYS do
  if amount > 0 and spent[i] + amount > tonumber(ARGV[2 * i]) then return {0, unpack(spent)} end
end
for i, key in ipairs(KEYS) do
  spent[i] = redis.call('INCRBY', key, amount)
  redis.call('PEXPIRE', key, ARGV[2 * i + 1])
end
return {1, unpack(spent)}
`;

interface GcraRedis extends Redis {
  sluiceGcra(key: string, windowMs: number, limit: number, cost: number): Promise<[number, number, number]>;
  sluiceReserve(...args: Array<string | number>): Promise<number[]>;
}

export interface RedisStoreOptions {
  url: string;
  prefix: string;
  /** Per-command timeout; a store slower than this counts as down. */
  commandTimeoutMs?: number;
}

/** Builds `{prefix}{tag}:name`: the braces make Redis Cluster hash only the tag. */
export function redisKey(prefix: string, key: string): string {
  const [tag, ...rest] = key.split(':');
  return `${prefix}{${tag}}${rest.length > 0 ? `:${rest.join(':')}` : ''}`;
}

export function createRedisStore(opts: RedisStoreOptions): StateStore {
  const redis = new Redis(opts.url, {
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? 100,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  }) as GcraRedis;
  redis.defineCommand('sluiceGcra', { numberOfKeys: 1, lua: gcraScript });
  redis.defineCommand('sluiceReserve', { lua: reserveScript });
  redis.on('error', () => {}); // failures surface on each command; the caller counts and logs them
  const timeout = opts.commandTimeoutMs ?? 100;
  /** With no offline queue a command sent while (re)connecting fails at once: wait for the link, briefly. */
  const ready = async (): Promise<void> => {
    if (redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { redis.off('ready', onReady); reject(new Error(`redis not ready (${redis.status})`)); }, timeout);
      const onReady = () => { clearTimeout(timer); resolve(); };
      redis.once('ready', onReady);
    });
  };
  return {
    kind: 'redis',
    async rate(key, limit, windowMs, cost): Promise<RateResult> {
      await ready();
      const [allowed, remaining, retryAfterMs] = await redis.sluiceGcra(redisKey(opts.prefix, key), windowMs, limit, cost);
      return { allowed: allowed === 1, remaining, retryAfterMs };
    },
    async reserve(limits, amountNano) {
      await ready();
      const args = [limits.length, ...limits.map((l) => redisKey(opts.prefix, l.key)), Math.round(amountNano), ...limits.flatMap((l) => [Math.round(l.limitNano), Math.ceil(l.ttlMs)])];
      const [ok, ...spentNano] = await redis.sluiceReserve(...args);
      return { ok: ok === 1, spentNano: spentNano.map(Number) };
    },
    async publishBreaker(backend, state, ttlMs) {
      await ready();
      await redis.set(redisKey(opts.prefix, `breakers:${backend}`), JSON.stringify(state), 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async readBreakers(backends) {
      await ready();
      const out = new Map<string, { openUntil: number; trips: number }>();
      if (backends.length === 0) return out;
      const values = await redis.mget(...backends.map((b) => redisKey(opts.prefix, `breakers:${b}`)));
      values.forEach((v, i) => { if (v) out.set(backends[i]!, JSON.parse(v) as { openUntil: number; trips: number }); });
      return out;
    },
    async keyGet(sha256) {
      await ready();
      return (await redis.get(redisKey(opts.prefix, `keys:${sha256}`))) ?? undefined;
    },
    async keyPut(sha256, value) {
      await ready();
      await redis.set(redisKey(opts.prefix, `keys:${sha256}`), value);
    },
    async spendRead(keys) {
      await ready();
      if (keys.length === 0) return [];
      return (await redis.mget(...keys.map((k) => redisKey(opts.prefix, k)))).map((v) => Number(v ?? 0));
    },
    async cacheGet(key) {
      await ready();
      return (await redis.get(redisKey(opts.prefix, `cache:${key}`))) ?? undefined;
    },
    async cacheSet(key, value, ttlMs) {
      await ready();
      await redis.set(redisKey(opts.prefix, `cache:${key}`), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async ping() { await ready(); await redis.ping(); },
    async close() { redis.disconnect(); },
  };
}
