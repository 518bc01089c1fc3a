// The x-sluice-* headers on every routed answer, and on a routed request that failed (what it tried and spent).
import type { CommitInfo } from '../cascade/types.js';
import type { Profile } from '../classify/profile.js';
import { formatUsd } from '../cost/pricing.js';
import type { RequestCost } from '../cost/account-request.js';

export function routingHeaders(route: string, profile: Profile, info: CommitInfo): Record<string, string> {
  return {
    'x-sluice-route': route,
    'x-sluice-backend': info.backend,
    'x-sluice-tier': String(info.tier),
    'x-sluice-attempts': String(info.attempts),
    'x-sluice-escalations': info.escalations.join(','),
    'x-sluice-size': profile.sizeClass,
    ...(profile.difficulty !== undefined && { 'x-sluice-difficulty': profile.difficulty.toFixed(3) }),
  };
}

export function costHeaders(cost: RequestCost): Record<string, string> {
  return { 'x-sluice-cost-usd': formatUsd(cost.costNano), 'x-sluice-saved-usd': formatUsd(cost.savedNano) };
}

/** A request that got no answer: no backend or tier delivered, but what was tried, why it moved on, and its cost. */
export function failureHeaders(route: string, profile: Profile, attempts: number, escalations: readonly string[], cost: RequestCost): Record<string, string> {
  return {
    'x-sluice-route': route,
    'x-sluice-attempts': String(attempts),
    'x-sluice-escalations': escalations.join(','),
    'x-sluice-size': profile.sizeClass,
    ...(profile.difficulty !== undefined && { 'x-sluice-difficulty': profile.difficulty.toFixed(3) }),
    'x-sluice-cost-usd': formatUsd(cost.costNano),
  };
}
