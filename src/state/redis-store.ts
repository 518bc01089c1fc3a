// The shared store on Redis: a tenant's admission in one Lua script on Redis's own clock, so replicas with skewed
// clocks agree and a request costs one round trip.
// Short command timeout and no offline queue: a slow or absent Redis fails fast instead of holding requests.
// Keys carry a configurable prefix and a hash tag, so one tenant's keys land on one Redis Cluster slot.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { AdmitResult, StateStore } from './store.js';

// One script for a tenant's whole admission: GCRA for each rate key, then the spend counters, all taken only if all
// fit (or always, when settling). KEYS: the rate keys, then the spend keys. ARGV: number of rate keys, force (0/1),
// window/limit/cost per rate key, the spend amount, then limit/ttl per spend key. Returns allowed, then
// allowed/remaining/retry-after per rate key, then (with spend keys) whether the spend fits and each counter after.
const admitScript = `
local nr = tonumber(ARGV[1])
local force = ARGV[2] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {1}
local sets = {}
for i = 1, nr do
  local a = 2 + (i - 1) * 3
  local window, limit, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  local start = math.max(tat, now)
  local nxt = math.max(now, start + cost * interval)
  local used = nxt - now
  if cost > 0 and used > window and not force then
    out[1] = 0
    table.insert(out, 0); table.insert(out, math.max(0, math.floor((window - (start - now)) / interval))); table.insert(out, math.ceil(used - window))
  else
    sets[i] = {tostring(nxt), math.ceil(used) + window}
    table.insert(out, 1); table.insert(out, math.max(0, math.floor((window - used) / interval))); table.insert(out, 0)
  end
end
local ns = #KEYS - nr
if ns > 0 then
  local s = 3 + nr * 3
  local amount = tonumber(ARGV[s])
  local spent = {}
  local fits = 1
  for j = 1, ns do
    spent[j] = tonumber(redis.call('GET', KEYS[nr + j]) or '0')
    if amount > 0 and not force and spent[j] + amount > tonumber(ARGV[s + 2 * j - 1]) then fits = 0 end
  end
  if fits == 0 then out[1] = 0 end
  if out[1] == 1 then
    for j = 1, ns do
      spent[j] = redis.call('INCRBY', KEYS[nr + j], amount)
      redis.call('PEXPIRE', KEYS[nr + j], ARGV[s + 2 * j])
    end
  end
  table.insert(out, fits)
  for j = 1, ns do table.insert(out, spent[j]) end
end
if out[1] == 1 then
  for i = 1, nr do redis.call('SET', KEYS[i], sets[i][1], 'PX', sets[i][2]) end
end
return out
`;

interface AdmitRedis extends Redis {
  sluiceAdmit(numberOfKeys: number, ...args: Array<string | number>): Promise<number[]>;
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

/** ioredis is loaded only when a Redis store is made: the embedded default never pays its ~20 MB. */
const loadRedis = (): typeof Redis => (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;

export function createRedisStore(opts: RedisStoreOptions): StateStore {
  const redis = new (loadRedis())(opts.url, {
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? 100,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  }) as AdmitRedis;
  redis.defineCommand('sluiceAdmit', { lua: admitScript });
  redis.on('error', () => {}); // failures surface on each command; the caller counts and logs them
  const timeout = opts.commandTimeoutMs ?? 100;
  /** With no offline queue a command sent while (re)connecting fails at once: wait for the link, briefly. */
  const ready = async (): Promise<void> => {
    if (redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new Error(`redis not ready (${redis.status})`));
      }, timeout);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      redis.once('ready', onReady);
    });
  };
  return {
    kind: 'redis',
    async admit({ rates = [], spend, force = false }): Promise<AdmitResult> {
      await ready();
      const spendKeys = spend?.limits ?? [];
      const keys = [
        ...rates.map((r) => redisKey(opts.prefix, r.key)),
        ...spendKeys.map((l) => redisKey(opts.prefix, l.key)),
      ];
      const args = [
        rates.length,
        force ? 1 : 0,
        ...rates.flatMap((r) => [r.windowMs, r.limit, r.cost]),
        Math.round(spend?.amountNano ?? 0),
        ...spendKeys.flatMap((l) => [Math.round(l.limitNano), Math.ceil(l.ttlMs)]),
      ];
      const out = (await redis.sluiceAdmit(keys.length, ...keys, ...args)).map(Number);
      const result: AdmitResult = {
        allowed: out[0] === 1,
        rates: rates.map((_, i) => ({
          allowed: out[1 + 3 * i] === 1,
          remaining: out[2 + 3 * i]!,
          retryAfterMs: out[3 + 3 * i]!,
        })),
      };
      if (spend) result.spend = { ok: out[1 + 3 * rates.length] === 1, spentNano: out.slice(2 + 3 * rates.length) };
      return result;
    },
    async publishBreaker(backend, state, ttlMs) {
      await ready();
      await redis.set(
        redisKey(opts.prefix, `breakers:${backend}`),
        JSON.stringify(state),
        'PX',
        Math.max(1, Math.ceil(ttlMs)),
      );
    },
    async readBreakers(backends) {
      await ready();
      const out = new Map<string, { openUntil: number; trips: number }>();
      if (backends.length === 0) return out;
      const values = await redis.mget(...backends.map((b) => redisKey(opts.prefix, `breakers:${b}`)));
      values.forEach((v, i) => {
        if (v) out.set(backends[i]!, JSON.parse(v) as { openUntil: number; trips: number });
      });
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
    async listPush(key, value, max) {
      await ready();
      const k = redisKey(opts.prefix, `lists:${key}`);
      await redis.multi().rpush(k, value).ltrim(k, -Math.max(1, max), -1).exec();
    },
    async listRead(key) {
      await ready();
      return redis.lrange(redisKey(opts.prefix, `lists:${key}`), 0, -1);
    },
    async cacheGet(key) {
      await ready();
      return (await redis.get(redisKey(opts.prefix, `cache:${key}`))) ?? undefined;
    },
    async cacheSet(key, value, ttlMs) {
      await ready();
      await redis.set(redisKey(opts.prefix, `cache:${key}`), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async ping() {
      await ready();
      await redis.ping();
    },
    async close() {
      redis.disconnect();
    },
  };
}
