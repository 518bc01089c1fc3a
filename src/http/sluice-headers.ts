// The x-sluice-* headers on every routed answer.
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
