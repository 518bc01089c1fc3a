// Admits a request for its tenant: one request, its estimated tokens and the worst case of its plan's cost
// (prompt plus maximum output at the priciest backend of each tier the plan may reach), in one store call. A route with
// `onBudgetLow: downgrade` drops to its cheapest tier when the full plan does not fit the budget or leaves it low,
// and the reservation follows the smaller plan.
import { maxOutputTokens, type Profile } from '../classify/profile.js';
import type { RouteConfig } from '../config/schema.js';
import { priceUsage } from '../cost/pricing.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { Plan } from '../route/plan.js';
import type { Tenant } from './key-registry.js';
import type { Admission, TenantGate } from './tenant-gate.js';

/**
 * The most a request can cost along its plan: every tier may be tried (a cheap answer escalated is paid, then the
 * next tier's), so the priciest backend of each tier, summed over the tiers; each of `n` choices may reach the limit.
 */
export function worstCaseNano(plan: Plan, profile: Profile): number {
  const usage = { input: profile.inputTokens, cachedInput: 0, output: maxOutputTokens(profile), estimated: true };
  return plan.tiers.reduce((sum, t) => sum + Math.max(0, ...t.backends.map((b) => priceUsage(b.pricing, usage))), 0);
}

export async function admitTenant(o: {
  gate: TenantGate;
  tenant: Tenant;
  route: RouteConfig;
  profile: Profile;
  plan: Plan;
  downgraded: () => Plan;
}): Promise<{ plan: Plan; admission: Admission }> {
  const tokens = o.profile.inputTokens + maxOutputTokens(o.profile);
  const budgeted = o.tenant.key.budgetUsd !== undefined;
  const downgrade = budgeted && o.route.onBudgetLow === 'downgrade';
  let admission: Admission;
  try {
    admission = await o.gate.admit(o.tenant, {
      tokens,
      route: o.route.name,
      ...(budgeted && { worstNano: worstCaseNano(o.plan, o.profile) }),
    });
  } catch (err) {
    if (!downgrade || !(err instanceof SluiceError) || err.code !== 'insufficient_quota') throw err;
    // All or nothing: the refused admission took nothing, so the smaller plan is admitted afresh.
    const plan = o.downgraded();
    return {
      plan,
      admission: await o.gate.admit(o.tenant, {
        tokens,
        route: o.route.name,
        worstNano: worstCaseNano(plan, o.profile),
      }),
    };
  }
  const reservation = admission.reservation;
  if (!reservation?.low || !downgrade) return { plan: o.plan, admission };
  const plan = o.downgraded();
  const amountNano = worstCaseNano(plan, o.profile);
  // Release what the larger plan reserved beyond the smaller one's worst case (tokens stay as taken).
  o.gate.settle(o.tenant, { ...admission, tokenChecks: [] }, 0, amountNano);
  return { plan, admission: { ...admission, reservation: { ...reservation, amountNano } } };
}
