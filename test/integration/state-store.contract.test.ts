// One contract, two stores: the in-memory default and Redis (the real server) must behave the same.
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { createRedisStore, redisKey } from '../../src/state/redis-store.js';
import type { SpendLimit, StateStore } from '../../src/state/store.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';

const hasRedis = await redisAvailable();
const prefix = testPrefix('contract');
const stores: Array<[string, () => StateStore, boolean]> = [
  ['memory', () => createMemoryStore(), true],
  ['redis', () => createRedisStore({ url: redisUrl, prefix }), hasRedis],
];
afterAll(async () => {
  if (hasRedis) await cleanPrefix(prefix);
});

for (const [name, make, enabled] of stores) {
  describe.runIf(enabled)(`${name} store`, () => {
    const store = make();
    afterAll(() => store.close());
    let n = 0;
    const key = () => `tenant${++n}:rpm`;
    const rate = async (k: string, limit: number, windowMs: number, cost: number) =>
      (await store.admit({ rates: [{ key: k, limit, windowMs, cost }] })).rates[0]!;
    const reserve = async (limits: SpendLimit[], amountNano: number) =>
      (await store.admit({ spend: { limits, amountNano } })).spend!;

    it('lets a full burst through, then refuses with the wait until one unit fits', async () => {
      const k = key();
      for (let i = 0; i < 5; i++)
        expect(await rate(k, 5, 60_000, 1)).toMatchObject({ allowed: true, remaining: 4 - i });
      const refused = await rate(k, 5, 60_000, 1);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      expect(refused.retryAfterMs).toBeGreaterThan(11_000); // one unit every 12 s
      expect(refused.retryAfterMs).toBeLessThanOrEqual(12_000);
    });
    it('charges a cost in units and refuses what does not fit, consuming nothing', async () => {
      const k = key();
      expect(await rate(k, 1000, 60_000, 700)).toMatchObject({ allowed: true, remaining: 300 });
      expect((await rate(k, 1000, 60_000, 400)).allowed).toBe(false);
      expect(await rate(k, 1000, 60_000, 300)).toMatchObject({ allowed: true, remaining: 0 });
    });
    it('gives units back with a negative cost (settling an estimate), never below empty', async () => {
      const k = key();
      await rate(k, 1000, 60_000, 900);
      expect((await rate(k, 1000, 60_000, -500)).remaining).toBe(600);
      expect((await rate(k, 1000, 60_000, -5_000)).remaining).toBe(1000);
    });
    it('is atomic under concurrency: 50 racing calls, exactly the limit allowed', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, () => rate(k, 20, 60_000, 1)));
      expect(results.filter((r) => r.allowed)).toHaveLength(20);
    });
    it('reserves against every period at once, or not at all', async () => {
      const t = `t${++n}`;
      const day = { key: `${t}:day`, limitNano: 1_000, ttlMs: 60_000 };
      const month = { key: `${t}:month`, limitNano: 1_500, ttlMs: 60_000 };
      expect(await reserve([day, month], 800)).toEqual({ ok: true, spentNano: [800, 800] });
      expect(await reserve([day, month], 300)).toEqual({ ok: false, spentNano: [800, 800] }); // the day would pass
      expect(await reserve([day, month], -600)).toEqual({ ok: true, spentNano: [200, 200] }); // settled down
      expect(await reserve([{ ...day, limitNano: 10_000 }, month], 1_400)).toEqual({
        ok: false,
        spentNano: [200, 200],
      }); // the month would pass
    });
    it('lets no two reservations overshoot together: 50 racing, exactly the budget spent', async () => {
      const limit = { key: `t${++n}:day`, limitNano: 20_000, ttlMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 50 }, () => reserve([limit], 1_000)));
      expect(results.filter((r) => r.ok)).toHaveLength(20);
      expect(Math.max(...results.flatMap((r) => r.spentNano))).toBe(20_000);
    });
    it('admits rates and spend together or not at all: one refusal takes nothing from the others', async () => {
      const t = `t${++n}`;
      const rpm = { key: `${t}:rpm`, limit: 2, windowMs: 60_000, cost: 1 };
      const tpm = { key: `${t}:tpm`, limit: 1_000, windowMs: 60_000, cost: 600 };
      const day = { key: `${t}:day`, limitNano: 1_000, ttlMs: 60_000 };
      expect(await store.admit({ rates: [rpm, tpm], spend: { limits: [day], amountNano: 700 } })).toEqual({
        allowed: true,
        rates: [
          { allowed: true, remaining: 1, retryAfterMs: 0 },
          { allowed: true, remaining: 400, retryAfterMs: 0 },
        ],
        spend: { ok: true, spentNano: [700] },
      });
      // The tokens would not fit: the request and the spend are not taken either.
      const refused = await store.admit({ rates: [rpm, tpm], spend: { limits: [day], amountNano: 100 } });
      expect(refused).toMatchObject({
        allowed: false,
        rates: [{ allowed: true }, { allowed: false, remaining: 400 }],
        spend: { ok: true, spentNano: [700] },
      });
      // The spend would not fit: the request and tokens are not taken (each rate reports what it would have left).
      const broke = await store.admit({
        rates: [rpm, { ...tpm, cost: 100 }],
        spend: { limits: [day], amountNano: 400 },
      });
      expect(broke).toMatchObject({
        allowed: false,
        rates: [
          { allowed: true, remaining: 0 },
          { allowed: true, remaining: 300 },
        ],
        spend: { ok: false, spentNano: [700] },
      });
      expect(
        await store.admit({ rates: [rpm, { ...tpm, cost: 400 }], spend: { limits: [day], amountNano: 300 } }),
      ).toMatchObject({ allowed: true, rates: [{ remaining: 0 }, { remaining: 0 }], spend: { spentNano: [1_000] } });
    });
    it('settles with force: usage already spent is charged past the limits', async () => {
      const t = `t${++n}`;
      const tpm = { key: `${t}:tpm`, limit: 1_000, windowMs: 60_000, cost: 900 };
      const day = { key: `${t}:day`, limitNano: 1_000, ttlMs: 60_000 };
      await store.admit({ rates: [tpm], spend: { limits: [day], amountNano: 900 } });
      expect(
        await store.admit({ rates: [{ ...tpm, cost: 500 }], spend: { limits: [day], amountNano: 500 }, force: true }),
      ).toMatchObject({ allowed: true, spend: { ok: true, spentNano: [1_400] } });
      const after = await store.admit({ rates: [{ ...tpm, cost: 1 }] });
      expect(after.allowed).toBe(false);
      expect(after.rates[0]!.retryAfterMs).toBeGreaterThan(20_000); // 401 units over: about 24 s to drain
    });
    it('keeps a shared list to its newest entries, oldest first, racing pushes all counted', async () => {
      const k = `evidence${++n}`;
      expect(await store.listRead(k)).toEqual([]);
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.listPush(k, String(i), 1_000)));
      expect((await store.listRead(k)).map(Number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
      for (let i = 30; i < 40; i++) await store.listPush(k, String(i), 12);
      const kept = await store.listRead(k);
      expect(kept).toHaveLength(12);
      expect(kept.slice(2)).toEqual(['30', '31', '32', '33', '34', '35', '36', '37', '38', '39']);
    });
    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

describe('redis keys', () => {
  it('carry the prefix and a hash tag, so one tenant stays on one cluster slot', () => {
    expect(redisKey('sluice:', 'team-a:rpm')).toBe('sluice:{team-a}:rpm');
    expect(redisKey('p:', 'solo')).toBe('p:{solo}');
  });
});

describe.runIf(hasRedis)('redis unreachable', () => {
  it('fails fast instead of hanging', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', prefix, commandTimeoutMs: 100 });
    await expect(store.admit({ rates: [{ key: 'x:rpm', limit: 5, windowMs: 60_000, cost: 1 }] })).rejects.toThrow();
    await store.close();
  });
});
