// The checks a tenant's key implies for one request: requests and tokens per minute (its own and, with
// `routeLimits`, the route's), the spend periods of its budget, and OpenAI's rate-limit headers from the results.
// Pure.
import type { RateCheck, RateResult, SpendLimit } from '../state/store.js';
import type { Tenant } from './key-registry.js';

const minute = 60_000;
const day = 86_400_000;

/** One rate check with what it limits: the key's own limits, or the key's limits on one route. */
export interface Limited {
  kind: 'requests' | 'tokens';
  route?: string;
  check: RateCheck;
}

export function rateChecks(tenant: Tenant, tokens: number, route: string | undefined): Limited[] {
  const out: Limited[] = [];
  const add = (prefix: string, limits: { rpm?: number | undefined; tpm?: number | undefined }, scope?: string) => {
    if (limits.rpm)
      out.push({
        kind: 'requests',
        ...(scope && { route: scope }),
        check: { key: `${prefix}:rpm`, limit: limits.rpm, windowMs: minute, cost: 1 },
      });
    // A request larger than the whole minute's tokens is charged the minute, not refused forever.
    if (limits.tpm && tokens > 0)
      out.push({
        kind: 'tokens',
        ...(scope && { route: scope }),
        check: { key: `${prefix}:tpm`, limit: limits.tpm, windowMs: minute, cost: Math.min(tokens, limits.tpm) },
      });
  };
  add(tenant.name, tenant.key);
  const onRoute = route === undefined ? undefined : tenant.key.routeLimits?.[route];
  if (onRoute) add(`${tenant.name}:route:${route}`, onRoute, route);
  return out;
}

/** OpenAI's rate-limit headers, from the tightest limit of each kind. */
export function rateHeaders(limited: readonly Limited[], results: readonly RateResult[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    let best: { limit: number; remaining: number } | undefined;
    limited.forEach((l, i) => {
      if (l.kind === kind && (!best || results[i]!.remaining < best.remaining))
        best = { limit: l.check.limit, remaining: results[i]!.remaining };
    });
    if (best) {
      headers[`x-ratelimit-limit-${kind}`] = String(best.limit);
      headers[`x-ratelimit-remaining-${kind}`] = String(best.remaining);
    }
  }
  return headers;
}

/** The spend counters of a tenant's budget periods at `now`: the UTC day and the calendar month. */
export function spendKeys(tenant: string, now: Date): { day: string; month: string } {
  const iso = now.toISOString();
  return { day: `${tenant}:spend:d:${iso.slice(0, 10)}`, month: `${tenant}:spend:m:${iso.slice(0, 7)}` };
}

export function spendLimits(tenant: Tenant, now: Date): SpendLimit[] {
  const b = tenant.key.budgetUsd;
  const keys = spendKeys(tenant.name, now);
  const out: SpendLimit[] = [];
  if (b?.perDay) out.push({ key: keys.day, limitNano: Math.round(b.perDay * 1e9), ttlMs: 2 * day });
  if (b?.perMonth) out.push({ key: keys.month, limitNano: Math.round(b.perMonth * 1e9), ttlMs: 32 * day });
  return out;
}
