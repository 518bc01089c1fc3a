// The route policy: which tiers a request will try, cheapest first, and every tier skipped with its reason.
// A pure function of the route, the request's profile and live backend state; logged with every request.
import type { BackendConfig, EndpointKind, RouteConfig } from '../config/schema.js';
import type { Profile } from '../classify/profile.js';

export type SkipReason = 'endpoint' | 'context' | 'unhealthy';

export interface PlannedTier {
  /** Position in the route's configured tiers (0 = cheapest). */
  index: number;
  backends: BackendConfig[];
}

export interface Plan {
  tiers: PlannedTier[];
  skipped: Array<{ tier: number; reason: SkipReason }>;
}

export interface PlanInput {
  route: RouteConfig;
  profile: Profile;
  endpoint: EndpointKind;
  backends: ReadonlyMap<string, BackendConfig>;
  /** Whether a backend's circuit is closed; absent means all healthy. */
  isHealthy?: (backendId: string) => boolean;
}

export function planRoute(input: PlanInput): Plan {
  const { route, profile, endpoint } = input;
  const need = profile.inputTokens + profile.outputTokens;
  const tiers: PlannedTier[] = [];
  const skipped: Plan['skipped'] = [];
  route.tiers.forEach((tier, index) => {
    const serving = tier.backends.map((id) => input.backends.get(id)!).filter((b) => b.endpoints.includes(endpoint));
    if (serving.length === 0) return skipped.push({ tier: index, reason: 'endpoint' });
    const fitting = serving.filter((b) => b.contextWindow >= need || endpoint === 'embeddings');
    if (fitting.length === 0) return skipped.push({ tier: index, reason: 'context' });
    tiers.push({ index, backends: fitting });
  });
  return dropUnhealthy({ tiers, skipped }, input.isHealthy);
}

/** Skips tiers whose backends are all ejected, unless that would leave nothing to try. */
function dropUnhealthy(plan: Plan, isHealthy: PlanInput['isHealthy']): Plan {
  if (!isHealthy) return plan;
  const healthy = plan.tiers.filter((t) => t.backends.some((b) => isHealthy(b.id)));
  if (healthy.length === 0) return plan;
  const skipped = [...plan.skipped, ...plan.tiers.filter((t) => !healthy.includes(t)).map((t) => ({ tier: t.index, reason: 'unhealthy' as const }))];
  return { tiers: healthy.map((t) => ({ ...t, backends: orderHealthyFirst(t.backends, isHealthy) })), skipped };
}

function orderHealthyFirst(backends: BackendConfig[], isHealthy: (id: string) => boolean): BackendConfig[] {
  return [...backends.filter((b) => isHealthy(b.id)), ...backends.filter((b) => !isHealthy(b.id))];
}
