// A tenant's limits on the shared store: requests and tokens per minute (GCRA) and spend budgets per UTC day and
// calendar month. Admission checks all of them in one atomic store call (one Redis round trip), all or nothing:
// the request, its estimated tokens and its worst-case cost are taken together or not at all, so replicas together
// cannot overshoot. Settlement brings tokens and spend to actual usage, batched per tenant.
// When the store fails, rate limits fall back to a per-replica limiter (each replica enforcing its share) and
// budgets fail closed (503) or open as configured; every failure is counted (the monitored store logs the switch
// in each direction once): never silent, never blocking.
import type { StateConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { createMemoryStore } from '../state/memory-store.js';
import type { RateCheck, RateResult, SpendCheck, SpendLimit, StateStore } from '../state/store.js';
import type { Tenant } from './key-registry.js';

const minute = 60_000;
const day = 86_400_000;
/** Less than this share of a period's budget left makes the budget "low" (a route may then downgrade). */
const lowShare = 0.1;
/** Settle at once, not in the next batch, when less than this many requests' worth is left under a limit. */
const urgentMultiple = 4;

export interface GateEvents {
  storeError(operation: 'tenant_admit' | 'tenant_settle', err: unknown): void;
  limited(reason: 'rpm' | 'tpm' | 'budget'): void;
}

export interface Reservation {
  limits: SpendLimit[];
  amountNano: number;
  /** Less than a tenth of a period's budget is left after this reservation. */
  low: boolean;
}

export interface Admission {
  /** OpenAI's `x-ratelimit-*` headers for the limits the tenant has. */
  headers: Record<string, string>;
  /** The worst case held against the tenant's budget; absent without a budget (or with the store down, open). */
  reservation?: Reservation;
  /** The estimated tokens taken from the tenant's per-minute tokens, to settle against actual usage. */
  tokens: number;
  /** Close enough to a limit that its settlement should not wait for the next batch. */
  urgent: boolean;
}

export class TenantGate {
  private readonly local = createMemoryStore();
  private readonly pending = new Map<string, { tenant: Tenant; tokens: number; spend: Map<string, SpendCheck> }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly state: StateConfig,
    private readonly events: GateEvents,
    private readonly settleEveryMs = 20,
  ) {}

  /**
   * Takes one request, `tokens` estimated tokens and, when `worstNano` is given and the tenant has a budget, that
   * worst-case cost. Throws 429 `rate_limit_exceeded` or `insufficient_quota` (nothing taken), or 503
   * `budget_unavailable` when the store is down and budgets fail closed.
   */
  async admit(tenant: Tenant, tokens: number, worstNano?: number, now = new Date()): Promise<Admission> {
    const rates = rateChecks(tenant, tokens);
    const limits = worstNano === undefined ? [] : spendLimits(tenant, now);
    const spend = limits.length > 0 ? { limits, amountNano: worstNano! } : undefined;
    if (rates.length === 0 && !spend) return { headers: {}, tokens: 0, urgent: false };
    let result;
    try {
      result = await this.store.admit({ rates, ...(spend && { spend }) });
    } catch (err) {
      this.events.storeError('tenant_admit', err);
      if (spend && !(this.state.driver === 'redis' && this.state.budgetsOnStoreFailure === 'open')) {
        throw new SluiceError('budget_unavailable', 'Budgets cannot be checked right now; retry shortly.', { cause: err });
      }
      result = await this.local.admit({ rates: rates.map((r) => this.share(r)) });
    }
    const headers = rateHeaders(tenant, result.rates);
    result.rates.forEach((r, i) => { if (!r.allowed) this.refuse(rates[i]!, tenant, tokens, r, headers); });
    if (result.spend && !result.spend.ok) {
      this.events.limited('budget');
      throw new SluiceError('insufficient_quota', `The budget of ${tenant.name} for this period is spent (this request may cost up to $${(worstNano! / 1e9).toFixed(6)}).`);
    }
    const taken = tenant.key.tpm ? Math.min(tokens, tenant.key.tpm) : 0;
    // A refund matters at once when a few more requests like this one would reach a limit.
    const tokensTight = taken > 0 && result.rates[result.rates.length - 1]!.remaining < urgentMultiple * taken;
    if (!result.spend) return { headers, tokens: taken, urgent: tokensTight };
    const spent = result.spend.spentNano;
    const left = limits.map((l, i) => l.limitNano - spent[i]!);
    return {
      headers, tokens: taken, urgent: tokensTight || left.some((v) => v < urgentMultiple * worstNano!),
      reservation: { limits, amountNano: worstNano!, low: limits.some((l, i) => left[i]! < l.limitNano * lowShare) },
    };
  }

  /**
   * Brings an admission to actual usage: tokens used (every attempt's), and the actual cost, which may exceed the
   * reservation (every attempt is paid). Never refuses. Settlements are batched: each tenant's deltas are summed
   * and written in one store call per `settleEveryMs` (and at `flush()`), so a busy tenant costs one round trip
   * per batch, not per request. The delay mostly holds back refunds (reservations are worst cases), so near a
   * limit (an `urgent` admission) the settlement is written at once instead: a tenant is never refused for lack
   * of a refund that is waiting in a batch.
   */
  settle(tenant: Tenant, admission: Admission | undefined, usedTokens: number, actualNano: number): void {
    if (!admission) return;
    const delta = tenant.key.tpm ? usedTokens - admission.tokens : 0;
    const r = admission.reservation;
    const spendDelta = r ? actualNano - r.amountNano : 0;
    if (delta === 0 && spendDelta === 0) return;
    if (admission.urgent) {
      const rates = delta !== 0 ? [{ key: `${tenant.name}:tpm`, limit: tenant.key.tpm!, windowMs: minute, cost: delta }] : [];
      void this.write(rates, r && spendDelta !== 0 ? { limits: r.limits, amountNano: spendDelta } : undefined);
      return;
    }
    let batch = this.pending.get(tenant.name);
    if (!batch) this.pending.set(tenant.name, batch = { tenant, tokens: 0, spend: new Map() });
    batch.tokens += delta;
    if (r && spendDelta !== 0) {
      const key = r.limits.map((l) => l.key).join(' ');
      const entry = batch.spend.get(key);
      if (entry) entry.amountNano += spendDelta;
      else batch.spend.set(key, { limits: r.limits, amountNano: spendDelta });
    }
    this.timer ??= setTimeout(() => { void this.flush(); }, this.settleEveryMs);
  }

  /** Writes every pending settlement now (called on shutdown, so nothing is lost). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()];
    this.pending.clear();
    const writes: Array<Promise<void>> = [];
    for (const b of batches) {
      const tpm = b.tenant.key.tpm;
      let rates: RateCheck[] = tpm && b.tokens !== 0 ? [{ key: `${b.tenant.name}:tpm`, limit: tpm, windowMs: minute, cost: b.tokens }] : [];
      // One call per tenant; a rare second spend (a batch across midnight) goes in a call of its own.
      for (const spend of b.spend.values()) { writes.push(this.write(rates, spend)); rates = []; }
      if (rates.length > 0) writes.push(this.write(rates, undefined));
    }
    await Promise.all(writes);
  }

  private async write(rates: RateCheck[], spend: SpendCheck | undefined): Promise<void> {
    try {
      await this.store.admit({ rates, ...(spend && { spend }), force: true });
    } catch (err) {
      this.events.storeError('tenant_settle', err);
      if (rates.length > 0) await this.local.admit({ rates: rates.map((c) => this.share(c)), force: true });
    }
  }

  /** With the shared store down, each of `replicas` replicas enforces its share of a limit. */
  private share(check: RateCheck): RateCheck {
    const share = this.state.driver === 'redis' ? Math.max(1, Math.floor(check.limit / this.state.replicas)) : check.limit;
    return { ...check, limit: share, cost: Math.min(check.cost, share) };
  }

  private refuse(check: RateCheck, tenant: Tenant, tokens: number, r: RateResult, headers: Record<string, string>): never {
    const rpm = check.key.endsWith(':rpm');
    this.events.limited(rpm ? 'rpm' : 'tpm');
    const message = rpm
      ? `Rate limit reached for requests: ${tenant.key.rpm} per minute.`
      : `Rate limit reached for tokens: ${tenant.key.tpm} per minute; this request needs about ${tokens}.`;
    throw new SluiceError('rate_limit_exceeded', message, { headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))) } });
  }
}

function rateChecks(tenant: Tenant, tokens: number): RateCheck[] {
  const { rpm, tpm } = tenant.key;
  const checks: RateCheck[] = [];
  if (rpm) checks.push({ key: `${tenant.name}:rpm`, limit: rpm, windowMs: minute, cost: 1 });
  // A request larger than the whole minute's tokens is charged the minute, not refused forever.
  if (tpm && tokens > 0) checks.push({ key: `${tenant.name}:tpm`, limit: tpm, windowMs: minute, cost: Math.min(tokens, tpm) });
  return checks;
}

function rateHeaders(tenant: Tenant, results: readonly RateResult[]): Record<string, string> {
  const headers: Record<string, string> = {};
  let i = 0;
  if (tenant.key.rpm) {
    headers['x-ratelimit-limit-requests'] = String(tenant.key.rpm);
    headers['x-ratelimit-remaining-requests'] = String(results[i++]?.remaining ?? 0);
  }
  if (tenant.key.tpm && results[i]) {
    headers['x-ratelimit-limit-tokens'] = String(tenant.key.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(results[i]!.remaining);
  }
  return headers;
}

/** The spend counters of a tenant's budget periods at `now`: the UTC day and the calendar month. */
export function spendKeys(tenant: string, now: Date): { day: string; month: string } {
  const iso = now.toISOString();
  return { day: `${tenant}:spend:d:${iso.slice(0, 10)}`, month: `${tenant}:spend:m:${iso.slice(0, 7)}` };
}

function spendLimits(tenant: Tenant, now: Date): SpendLimit[] {
  const b = tenant.key.budgetUsd;
  const keys = spendKeys(tenant.name, now);
  const out: SpendLimit[] = [];
  if (b?.perDay) out.push({ key: keys.day, limitNano: Math.round(b.perDay * 1e9), ttlMs: 2 * day });
  if (b?.perMonth) out.push({ key: keys.month, limitNano: Math.round(b.perMonth * 1e9), ttlMs: 32 * day });
  return out;
}
