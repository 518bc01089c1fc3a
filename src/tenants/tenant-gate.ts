// A tenant's limits on the shared store: requests and tokens per minute (GCRA) and spend budgets per UTC day and
// calendar month. Admission checks all of them in one atomic store call (one Redis round trip), all or nothing:
// the request, its estimated tokens and its worst-case cost are taken together or not at all, so replicas together
// cannot overshoot. Settlement brings tokens and spend to actual usage, again in one call.
// When the store fails, rate limits fall back to a per-replica limiter (each replica enforcing its share) and
// budgets fail closed (503) or open as configured; every failure is counted (the monitored store logs the switch
// in each direction once): never silent, never blocking.
import type { StateConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { createMemoryStore } from '../state/memory-store.js';
import type { RateCheck, RateResult, SpendLimit, StateStore } from '../state/store.js';
import type { Tenant } from './key-registry.js';

const minute = 60_000;
const day = 86_400_000;
/** Less than this share of a period's budget left makes the budget "low" (a route may then downgrade). */
const lowShare = 0.1;

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
}

export class TenantGate {
  private readonly local = createMemoryStore();

  constructor(private readonly store: StateStore, private readonly state: StateConfig, private readonly events: GateEvents) {}

  /**
   * Takes one request, `tokens` estimated tokens and, when `worstNano` is given and the tenant has a budget, that
   * worst-case cost. Throws 429 `rate_limit_exceeded` or `insufficient_quota` (nothing taken), or 503
   * `budget_unavailable` when the store is down and budgets fail closed.
   */
  async admit(tenant: Tenant, tokens: number, worstNano?: number, now = new Date()): Promise<Admission> {
    const rates = rateChecks(tenant, tokens);
    const limits = worstNano === undefined ? [] : spendLimits(tenant, now);
    const spend = limits.length > 0 ? { limits, amountNano: worstNano! } : undefined;
    if (rates.length === 0 && !spend) return { headers: {}, tokens: 0 };
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
    if (!result.spend) return { headers, tokens: taken };
    const spent = result.spend.spentNano;
    return { headers, tokens: taken, reservation: { limits, amountNano: worstNano!, low: limits.some((l, i) => l.limitNano - spent[i]! < l.limitNano * lowShare) } };
  }

  /**
   * Brings an admission to actual usage: tokens used (every attempt's), and the actual cost, which may exceed the
   * reservation (every attempt is paid). Never refuses; a failure is counted and the tokens settle locally.
   */
  async settle(tenant: Tenant, admission: Admission | undefined, usedTokens: number, actualNano: number): Promise<void> {
    if (!admission) return;
    const tpm = tenant.key.tpm;
    const delta = usedTokens - admission.tokens;
    const rates = tpm && delta !== 0 ? [{ key: `${tenant.name}:tpm`, limit: tpm, windowMs: minute, cost: delta }] : [];
    const r = admission.reservation;
    const spend = r && actualNano !== r.amountNano ? { limits: r.limits, amountNano: actualNano - r.amountNano } : undefined;
    if (rates.length === 0 && !spend) return;
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
