// The opt-in `x-sluice-explain: true` answer: what Sluice decided and what it cost, as a `sluice` object on the JSON
// body, or on one extra chunk (empty `choices`, like the usage chunk) just before a stream's [DONE].
import type { AttemptRecord } from '../shared/attempt-record.js';
import type { Profile } from '../classify/profile.js';
import type { RequestCost } from '../cost/account-request.js';
import { nanoToUsd } from '../cost/pricing.js';
import type { Plan } from '../route/plan.js';

export interface Explanation {
  route: string;
  backend: string | null;
  tier: number | null;
  size: string;
  difficulty: number | null;
  plan: { tiers: number[]; skipped: Plan['skipped'] };
  attempts: Array<{
    tier: number;
    backend: string;
    outcome: string;
    reason?: string;
    inputTokens: number;
    cachedInputTokens: number;
    outputTokens: number;
    estimated: boolean;
    costUsd: number;
  }>;
  escalations: string[];
  costUsd: number;
  baselineUsd: number;
  savedUsd: number;
}

export function wantsExplain(header: string | string[] | undefined): boolean {
  return header === 'true' || header === '1';
}

export function explain(o: {
  route: string;
  profile: Profile;
  plan: Plan;
  attempts: readonly AttemptRecord[];
  delivered: AttemptRecord | undefined;
  cost: RequestCost;
}): Explanation {
  return {
    route: o.route,
    backend: o.delivered?.backend ?? null,
    tier: o.delivered?.tier ?? null,
    size: o.profile.sizeClass,
    difficulty: o.profile.difficulty ?? null,
    plan: { tiers: o.plan.tiers.map((t) => t.index), skipped: o.plan.skipped },
    attempts: o.attempts.map((a) => ({
      tier: a.tier,
      backend: a.backend,
      outcome: a.outcome,
      ...(a.reason && { reason: a.reason }),
      inputTokens: a.usage.input,
      cachedInputTokens: a.usage.cachedInput,
      outputTokens: a.usage.output,
      estimated: a.usage.estimated,
      costUsd: nanoToUsd(a.costNano),
    })),
    escalations: o.attempts.filter((a) => a.outcome === 'escalated').map((a) => a.reason ?? 'escalated'),
    costUsd: nanoToUsd(o.cost.costNano),
    baselineUsd: nanoToUsd(o.cost.baselineNano),
    savedUsd: nanoToUsd(o.cost.savedNano),
  };
}
