// Fits a request's plan to its tenant's budget: reserves the worst case (prompt plus maximum output at the
// priciest backend the plan may reach); a route with `onBudgetLow: downgrade` drops to its cheapest tier when
// the full plan does not fit or leaves the budget low, and the reservation follows the smaller plan.
import type { Profile } from '../classify/profile.js';
import type { RouteConfig } from '../config/schema.js';
import { priceUsage } from '../cost/pricing.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { Plan } from '../route/plan.js';
import type { Tenant } from './key-registry.js';
import type { Reservation, TenantBudgets } from './tenant-budget.js';

export function worstCaseNano(plan: Plan, profile: Profile): number {
  const usage = { input: profile.inputTokens, cachedInput: 0, output: profile.outputTokens, estimated: true };
  return Math.max(0, ...plan.tiers.flatMap((t) => t.backends.map((b) => priceUsage(b.pricing, usage))));
}

export async function planWithinBudget(o: {
  budgets: TenantBudgets; tenant: Tenant | undefined; route: RouteConfig; profile: Profile; plan: Plan; downgraded: () => Plan;
}): Promise<{ plan: Plan; reservation?: Reservation }> {
  if (!o.tenant?.key.budgetUsd) return { plan: o.plan };
  const downgrade = o.route.onBudgetLow === 'downgrade';
  let reservation: Reservation | undefined;
  try {
    reservation = await o.budgets.reserve(o.tenant, worstCaseNano(o.plan, o.profile));
  } catch (err) {
    if (!downgrade || !(err instanceof SluiceError) || err.code !== 'insufficient_quota') throw err;
    const plan = o.downgraded();
    const cheaper = await o.budgets.reserve(o.tenant, worstCaseNano(plan, o.profile));
    return { plan, ...(cheaper && { reservation: cheaper }) };
  }
  if (!reservation?.low || !downgrade) return { plan: o.plan, ...(reservation && { reservation }) };
  const plan = o.downgraded();
  const amountNano = worstCaseNano(plan, o.profile);
  await o.budgets.settle(reservation, amountNano);
  return { plan, reservation: { ...reservation, amountNano } };
}
