// Spend budgets per tenant, per UTC day and per calendar month, on the shared store: the worst case of a request
// is reserved atomically before the call (so replicas together cannot overshoot), and settled to the actual cost
// after it, failures included. A budget below a tenth of its period is "low" (a route may then downgrade).
import type { StateConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { SpendLimit, StateStore } from '../state/store.js';
import type { Tenant } from './key-registry.js';

const day = 86_400_000;
const lowShare = 0.1;

export interface Reservation {
  limits: SpendLimit[];
  amountNano: number;
  /** Less than a tenth of a period's budget is left after this reservation. */
  low: boolean;
}

export interface BudgetEvents {
  storeError(operation: string, err: unknown): void;
  exhausted(): void;
}

export class TenantBudgets {
  constructor(private readonly store: StateStore, private readonly state: StateConfig, private readonly events: BudgetEvents) {}

  /** Reserves `worstNano`; undefined for tenants without a budget. Throws 429 when it does not fit. */
  async reserve(tenant: Tenant, worstNano: number, now = new Date()): Promise<Reservation | undefined> {
    const limits = periods(tenant, now);
    if (limits.length === 0) return undefined;
    const r = await this.call('budget_reserve', () => this.store.reserve(limits, worstNano));
    if (r === 'open') return undefined;
    if (!r.ok) {
      this.events.exhausted();
      throw new SluiceError('insufficient_quota', `The budget of ${tenant.name} for this period is spent (this request may cost up to $${(worstNano / 1e9).toFixed(6)}).`);
    }
    return { limits, amountNano: worstNano, low: limits.some((l, i) => l.limitNano - r.spentNano[i]! < l.limitNano * lowShare) };
  }

  /** Brings a reservation to the actual cost (which may be more than the reservation: every attempt is paid). */
  async settle(reservation: Reservation | undefined, actualNano: number): Promise<void> {
    if (!reservation || actualNano === reservation.amountNano) return;
    await this.call('budget_settle', () => this.store.reserve(reservation.limits, actualNano - reservation.amountNano)).catch(() => {});
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T | 'open'> {
    try {
      return await fn();
    } catch (err) {
      this.events.storeError(operation, err);
      if (this.state.driver === 'redis' && this.state.budgetsOnStoreFailure === 'open') return 'open';
      throw new SluiceError('budget_unavailable', 'Budgets cannot be checked right now; retry shortly.', { cause: err });
    }
  }
}

function periods(tenant: Tenant, now: Date): SpendLimit[] {
  const b = tenant.key.budgetUsd;
  const iso = now.toISOString();
  const out: SpendLimit[] = [];
  if (b?.perDay) out.push({ key: `${tenant.name}:spend:d:${iso.slice(0, 10)}`, limitNano: Math.round(b.perDay * 1e9), ttlMs: 2 * day });
  if (b?.perMonth) out.push({ key: `${tenant.name}:spend:m:${iso.slice(0, 7)}`, limitNano: Math.round(b.perMonth * 1e9), ttlMs: 32 * day });
  return out;
}
