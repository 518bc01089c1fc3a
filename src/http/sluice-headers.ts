// The x-sluice-* headers on every routed answer, and on a routed request that failed (what it tried and spent).
import type { CommitInfo } from '../cascade/types.js';
import type { Profile } from '../classify/profile.js';
import { formatUsd } from '../cost/pricing.js';
import type { RequestCost } from '../cost/account-request.js';

/** What was tried: on every routed answer, and without a backend or tier on a routed request that failed. */
export function routingHeaders(
  route: string,
  profile: Profile,
  info: Pick<CommitInfo, 'attempts' | 'escalations'> & Partial<Pick<CommitInfo, 'backend' | 'tier'>>,
): Record<string, string> {
  const h: Record<string, string> = { 'x-sluice-route': route };
  if (info.backend !== undefined) h['x-sluice-backend'] = info.backend;
  if (info.tier !== undefined) h['x-sluice-tier'] = String(info.tier);
  h['x-sluice-attempts'] = String(info.attempts);
  h['x-sluice-escalations'] = info.escalations.join(',');
  h['x-sluice-size'] = profile.sizeClass;
  if (profile.difficulty !== undefined) h['x-sluice-difficulty'] = profile.difficulty.toFixed(3);
  return h;
}

export function costHeaders(cost: RequestCost): Record<string, string> {
  return { 'x-sluice-cost-usd': formatUsd(cost.costNano), 'x-sluice-saved-usd': formatUsd(cost.savedNano) };
}

/** A request that got no answer: what was tried, why it moved on, and what that cost. */
export function failureHeaders(
  route: string,
  profile: Profile,
  attempts: number,
  escalations: readonly string[],
  cost: RequestCost,
): Record<string, string> {
  const h = routingHeaders(route, profile, { attempts, escalations });
  h['x-sluice-cost-usd'] = formatUsd(cost.costNano);
  return h;
}
