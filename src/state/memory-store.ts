// The embedded store: state lives in this process (one replica). Expired entries are swept as they are touched.
import { RecentMap } from '../shared/recent-map.js';
import { gcra, type AdmitResult, type StateStore } from './store.js';

export function createMemoryStore(now: () => number = Date.now): StateStore {
  const tats = new Map<string, { tat: number; expires: number }>();
  const spends = new Map<string, { spent: number; expires: number }>();
  const breakers = new Map<string, { state: { openUntil: number; trips: number }; expires: number }>();
  // Cached answers: at most about 10,000 of them and 64 MB (characters), the least used dropped first.
  const cache = new RecentMap<{ value: string; expires: number }>(
    10_000,
    64 * 1024 * 1024,
    (key, e) => key.length + e.value.length,
  );
  const managedKeys = new Map<string, string>();
  const lists = new Map<string, string[]>();
  let calls = 0;
  // Rate and spend entries of tenants gone quiet (a spend entry per tenant and day, month) are dropped once expired.
  const sweep = (t: number) => {
    for (const [k, v] of tats) if (v.expires < t) tats.delete(k);
    for (const [k, v] of spends) if (v.expires < t) spends.delete(k);
  };
  return {
    kind: 'memory',
    async admit({ rates = [], spend, force = false }): Promise<AdmitResult> {
      const t = now();
      if (++calls % 1024 === 0) sweep(t);
      const steps = rates.map((r) => gcra(tats.get(r.key)?.tat ?? t, t, r.limit, r.windowMs, r.cost, force));
      const current =
        spend?.limits.map((l) => {
          const e = spends.get(l.key);
          return e && e.expires > t ? e.spent : 0;
        }) ?? [];
      const spendOk =
        !spend ||
        force ||
        spend.amountNano <= 0 ||
        spend.limits.every((l, i) => current[i]! + spend.amountNano <= l.limitNano);
      const allowed = spendOk && steps.every((s) => s.result.allowed);
      if (allowed) {
        steps.forEach((s, i) => {
          tats.set(rates[i]!.key, { tat: s.tat, expires: s.tat + rates[i]!.windowMs });
        });
        spend?.limits.forEach((l, i) => {
          current[i]! += spend.amountNano;
          spends.set(l.key, { spent: current[i]!, expires: t + l.ttlMs });
        });
      }
      return {
        allowed,
        rates: steps.map((s) => s.result),
        ...(spend && { spend: { ok: spendOk, spentNano: current } }),
      };
    },
    async publishBreaker(backend, state, ttlMs) {
      breakers.set(backend, { state, expires: now() + ttlMs });
    },
    async readBreakers(backends) {
      const t = now();
      const out = new Map<string, { openUntil: number; trips: number }>();
      for (const b of backends) {
        const e = breakers.get(b);
        if (e && e.expires > t) out.set(b, e.state);
      }
      return out;
    },
    async keyGet(sha256) {
      return managedKeys.get(sha256);
    },
    async keyPut(sha256, value) {
      managedKeys.set(sha256, value);
    },
    async spendRead(keys) {
      const t = now();
      return keys.map((k) => {
        const e = spends.get(k);
        return e && e.expires > t ? e.spent : 0;
      });
    },
    async listPush(key, value, max) {
      const list = lists.get(key) ?? [];
      list.push(value);
      if (list.length > max) list.splice(0, list.length - max);
      lists.set(key, list);
    },
    async listRead(key) {
      return [...(lists.get(key) ?? [])];
    },
    async cacheGet(key) {
      const e = cache.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        cache.delete(key);
        return undefined;
      }
      return e.value;
    },
    async cacheSet(key, value, ttlMs) {
      cache.set(key, { value, expires: now() + ttlMs });
    },
    async ping() {},
    async close() {
      tats.clear();
      spends.clear();
      cache.clear();
      lists.clear();
    },
  };
}
