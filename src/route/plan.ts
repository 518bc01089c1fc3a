// The route policy: which tiers a request will try, cheapest first, and every tier skipped with its reason.
// A pure function of the route, the request's profile and live backend state; logged with every request.
// Steps, in order: endpoint and context (hard limits; a balanced tier's backends ordered here), unhealthy and slo
// (never leave nothing), min_tier (the caller's header), budget (a route may stay on the cheapest tier when money
// is low), difficulty (where to start), affinity (a conversation starts on the backend that holds its prompt cache).
import type { BackendConfig, EndpointKind, RouteConfig } from '../config/schema.js';
import type { Profile, SizeClass } from '../classify/profile.js';

export type SkipReason =
  | 'endpoint'
  | 'context'
  | 'unhealthy'
  | 'slo'
  | 'min_tier'
  | 'difficulty'
  | 'budget'
  | 'affinity';

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
  /** Observed time to first token of a backend for a size class, when known. */
  observedFirstTokenMs?: (backendId: string, size: SizeClass) => number | undefined;
  /** Lowest tier index the caller asked for (x-sluice-min-tier). */
  minTier?: number;
  /** The tenant's budget is running low. */
  budgetLow?: boolean;
  /** For `round-robin` and `least-busy` tiers: a number that grows by one per call (the tier's turn). */
  turn?: (route: RouteConfig, tier: number) => number;
  /** For `least-busy` tiers: a backend's calls in progress. */
  busy?: (backendId: string) => number;
  /**
   * A route with a quality target and no maxDifficulty on its cheapest tier: whether this request starts there
   * (the self-set threshold). Consulted only for that tier.
   */
  startsCheap?: (route: RouteConfig, profile: Profile) => boolean;
  /** The backend (and its tier) that served this conversation last and holds its prompt cache. */
  affinity?: { backend: string; tier: number };
}

type Step = (plan: Plan, input: PlanInput) => Plan;

const steps: readonly Step[] = [fitting, unhealthy, slo, minTier, budget, difficulty, affinity];

/**
 * A conversation whose prompt cache lives on a backend still in the plan starts there: cheaper tiers are skipped
 * (their re-prefill of the whole history is what it would cost), and that backend leads its tier. The judge can
 * still escalate from it.
 */
function affinity(plan: Plan, { affinity: a }: PlanInput): Plan {
  if (!a) return plan;
  const at = plan.tiers.findIndex((t) => t.index === a.tier && t.backends.some((b) => b.id === a.backend));
  if (at < 0) return plan;
  const tier = plan.tiers[at]!;
  const lead = tier.backends.find((b) => b.id === a.backend)!;
  return {
    tiers: [{ ...tier, backends: [lead, ...tier.backends.filter((b) => b !== lead)] }, ...plan.tiers.slice(at + 1)],
    skipped: [...plan.skipped, ...plan.tiers.slice(0, at).map((t) => ({ tier: t.index, reason: 'affinity' as const }))],
  };
}

export function planRoute(input: PlanInput): Plan {
  let plan: Plan = { tiers: [], skipped: [] };
  for (const step of steps) plan = step(plan, input);
  return plan;
}

function fitting(_: Plan, { route, profile, endpoint, backends, turn, busy }: PlanInput): Plan {
  const need = profile.inputTokens + profile.outputTokens;
  const plan: Plan = { tiers: [], skipped: [] };
  route.tiers.forEach((tier, index) => {
    const serving = tier.backends.map((id) => backends.get(id)!).filter((b) => b.endpoints.includes(endpoint));
    if (serving.length === 0) {
      plan.skipped.push({ tier: index, reason: 'endpoint' });
      return;
    }
    const fits = serving.filter((b) => endpoint === 'embeddings' || b.contextWindow >= need);
    if (fits.length === 0) {
      plan.skipped.push({ tier: index, reason: 'context' });
      return;
    }
    plan.tiers.push({
      index,
      backends:
        tier.balance === 'failover' || fits.length === 1
          ? fits
          : balanced(fits, tier.balance, turn?.(route, index) ?? 0, busy),
    });
  });
  return plan;
}

/** The tier's backends in turn (rotated by `turn`), and for least-busy then by calls in progress (a stable sort). */
function balanced(
  fits: BackendConfig[],
  balance: 'round-robin' | 'least-busy',
  turn: number,
  busy: PlanInput['busy'],
): BackendConfig[] {
  const at = turn % fits.length;
  const rotated = [...fits.slice(at), ...fits.slice(0, at)];
  return balance === 'least-busy' && busy ? rotated.sort((a, b) => busy(a.id) - busy(b.id)) : rotated;
}

/** Drops tiers that fail `keep`, with `reason`, unless that would leave nothing to try. */
function dropSoft(plan: Plan, reason: SkipReason, keep: (t: PlannedTier) => boolean): Plan {
  const kept = plan.tiers.filter(keep);
  if (kept.length === 0 || kept.length === plan.tiers.length) return plan;
  return {
    tiers: kept,
    skipped: [...plan.skipped, ...plan.tiers.filter((t) => !kept.includes(t)).map((t) => ({ tier: t.index, reason }))],
  };
}

function unhealthy(plan: Plan, { isHealthy }: PlanInput): Plan {
  if (!isHealthy || plan.tiers.every((t) => t.backends.every((b) => isHealthy(b.id)))) return plan;
  const healthyFirst = (t: PlannedTier) => ({
    ...t,
    backends: [...t.backends.filter((b) => isHealthy(b.id)), ...t.backends.filter((b) => !isHealthy(b.id))],
  });
  const next = dropSoft(plan, 'unhealthy', (t) => t.backends.some((b) => isHealthy(b.id)));
  return { ...next, tiers: next.tiers.map(healthyFirst) };
}

function slo(plan: Plan, { route, profile, observedFirstTokenMs }: PlanInput): Plan {
  const limit = route.slo?.firstTokenMs;
  if (limit === undefined || !observedFirstTokenMs) return plan;
  return dropSoft(plan, 'slo', (t) =>
    t.backends.some((b) => (observedFirstTokenMs(b.id, profile.sizeClass) ?? 0) <= limit),
  );
}

/** Skips the tiers below the caller's minimum; a minimum past the last tier that can serve means that last tier. */
function minTier(plan: Plan, { minTier: min }: PlanInput): Plan {
  if (min === undefined || min <= 0 || plan.tiers.length === 0) return plan;
  const floor = Math.min(min, plan.tiers[plan.tiers.length - 1]!.index);
  return dropSoft(plan, 'min_tier', (t) => t.index >= floor);
}

/**
 * Starts at the first tier whose maxDifficulty admits the request; the last tier always admits. On a quality route
 * the cheapest tier's threshold is the one the route set itself from shadow evidence, unless the config names one.
 */
function difficulty(plan: Plan, { route, profile, startsCheap }: PlanInput): Plan {
  const d = profile.difficulty;
  if (d === undefined) return plan;
  const selfSet = route.quality && startsCheap && route.tiers[0]!.maxDifficulty === undefined;
  const admits = (index: number) =>
    index === 0 && selfSet ? startsCheap(route, profile) : d <= (route.tiers[index]!.maxDifficulty ?? 1);
  const start = plan.tiers.findIndex((t, i) => i === plan.tiers.length - 1 || admits(t.index));
  if (start <= 0) return plan;
  return {
    tiers: plan.tiers.slice(start),
    skipped: [
      ...plan.skipped,
      ...plan.tiers.slice(0, start).map((t) => ({ tier: t.index, reason: 'difficulty' as const })),
    ],
  };
}

function budget(plan: Plan, { route, budgetLow }: PlanInput): Plan {
  if (!budgetLow || route.onBudgetLow !== 'downgrade' || plan.tiers.length <= 1) return plan;
  const [cheapest, ...rest] = plan.tiers;
  return {
    tiers: [cheapest!],
    skipped: [...plan.skipped, ...rest.map((t) => ({ tier: t.index, reason: 'budget' as const }))],
  };
}
