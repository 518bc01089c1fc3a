// A tenant's limits on the shared store: requests and tokens per minute (GCRA) and spend budgets per UTC day and
// calendar month. Admission checks all of them in one atomic store call (one Redis round trip), all or nothing:
// the request, its estimated tokens and its worst-case cost are taken together or not at all, so replicas together
// cannot overshoot. On Redis, roomy limits are leased ahead in slices (lease-pool.ts), so most requests need no
// round trip. Settlement brings tokens and spend to actual usage, batched per tenant.
// When the store fails, rate limits fall back to a per-replica limiter (each replica enforcing its share) and
// budgets fail closed (503) or open as configured; every failure is counted (the monitored store logs the switch
// in each direction once): never silent, never blocking.
import type { StateConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { createMemoryStore } from '../state/memory-store.js';
import type { AdmitResult, RateCheck, RateResult, SpendCheck, SpendLimit, StateStore } from '../state/store.js';
import type { Tenant } from './key-registry.js';
import { defaultLeaseSettings, LeasePool, type LeaseDemand, type LeaseSettings } from './lease-pool.js';
import { rateChecks, rateHeaders, spendLimits, type Limited } from './limit-checks.js';

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
  /** The per-minute token limits this request was charged (its estimate), to settle against actual usage. */
  tokenChecks: RateCheck[];
  /** Close enough to a limit that its settlement should not wait for the next batch. */
  urgent: boolean;
}

export class TenantGate {
  private readonly local = createMemoryStore();
  private readonly pending = new Map<string, { rates: Map<string, RateCheck>; spend: Map<string, SpendCheck> }>();
  private timer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /** Leases on the shared limits (Redis only: the memory store answers without a round trip anyway). */
  private readonly pool: LeasePool | undefined;
  private readonly leaseTemplates = new Map<string, { rate?: RateCheck; spend?: SpendLimit }>();
  private readonly leaseCheckMs: number;
  private readonly settleEveryMs: number;

  constructor(
    private readonly store: StateStore,
    private readonly state: StateConfig,
    private readonly events: GateEvents,
    opts: { settleEveryMs?: number; leases?: LeaseSettings | false; now?: () => number } = {},
  ) {
    this.settleEveryMs = opts.settleEveryMs ?? 20;
    const leases = opts.leases ?? (state.driver === 'redis' && state.leases ? defaultLeaseSettings : false);
    this.pool = leases ? new LeasePool(opts.now ?? Date.now, leases) : undefined;
    this.leaseCheckMs = leases ? leases.ttlMs : 0;
  }

  /**
   * Takes one request, `tokens` estimated tokens and, when `worstNano` is given and the tenant has a budget, that
   * worst-case cost. Throws 429 `rate_limit_exceeded` or `insufficient_quota` (nothing taken), or 503
   * `budget_unavailable` when the store is down and budgets fail closed.
   */
  async admit(
    tenant: Tenant,
    o: { tokens: number; route?: string; worstNano?: number },
    now = new Date(),
  ): Promise<Admission> {
    const { tokens, worstNano } = o;
    const limited = rateChecks(tenant, tokens, o.route);
    const rates = limited.map((l) => l.check);
    const limits = worstNano === undefined ? [] : spendLimits(tenant, now);
    const spend = limits.length > 0 ? { limits, amountNano: worstNano! } : undefined;
    if (rates.length === 0 && !spend) return { headers: {}, tokenChecks: [], urgent: false };
    const tokenChecks = limited.filter((l) => l.kind === 'tokens').map((l) => l.check);
    const demands = [
      ...rates.map((r) => ({ key: r.key, cost: r.cost, limit: r.limit })),
      ...limits.map((l) => ({ key: l.key, cost: worstNano!, limit: l.limitNano })),
    ];
    if (this.pool) {
      const left = this.pool.take(demands);
      if (left) return this.fromLease(limited, tokenChecks, limits, worstNano, left);
    }
    let result: AdmitResult;
    try {
      result = await this.takeShared(rates, spend, demands);
    } catch (err) {
      this.events.storeError('tenant_admit', err);
      if (spend && !(this.state.driver === 'redis' && this.state.budgetsOnStoreFailure === 'open')) {
        throw new SluiceError('budget_unavailable', 'Budgets cannot be checked right now; retry shortly.', {
          cause: err,
        });
      }
      result = await this.local.admit({ rates: rates.map((r) => this.share(r)) });
    }
    const headers = rateHeaders(limited, result.rates);
    result.rates.forEach((r, i) => {
      if (!r.allowed) this.refuse(limited[i]!, tokens, r, headers);
    });
    if (result.spend && !result.spend.ok) {
      this.events.limited('budget');
      throw new SluiceError(
        'insufficient_quota',
        `The budget of ${tenant.name} for this period is spent (this request may cost up to $${(worstNano! / 1e9).toFixed(6)}).`,
      );
    }
    // A refund matters at once when a few more requests like this one would reach a limit.
    const tokensTight = limited.some(
      (l, i) => l.kind === 'tokens' && result.rates[i]!.remaining < urgentMultiple * l.check.cost,
    );
    if (!result.spend) return { headers, tokenChecks, urgent: tokensTight };
    const spent = result.spend.spentNano;
    const left = limits.map((l, i) => l.limitNano - spent[i]!);
    return {
      headers,
      tokenChecks,
      urgent: tokensTight || left.some((v) => v < urgentMultiple * worstNano!),
      reservation: { limits, amountNano: worstNano!, low: limits.some((l, i) => left[i]! < l.limitNano * lowShare) },
    };
  }

  /**
   * One store call for the request's own costs plus, where limits are roomy, a lease on top (Redis only); when the
   * lease does not fit, the request alone is tried again, so a lease never causes a refusal.
   */
  private async takeShared(
    rates: RateCheck[],
    spend: SpendCheck | undefined,
    demands: LeaseDemand[],
  ): Promise<AdmitResult> {
    const pool = this.pool;
    const exact = () => this.store.admit({ rates, ...(spend && { spend }) });
    if (!pool) return exact();
    const extras = demands.map((d) => pool.extra(d));
    // One amount goes to every spend period: lease the smallest extra of them (none if any is tight).
    const spendExtra = Math.min(...extras.slice(rates.length), Number.POSITIVE_INFINITY);
    const spendLease = spend && Number.isFinite(spendExtra) ? spendExtra : 0;
    if (extras.slice(0, rates.length).every((e) => e === 0) && spendLease === 0) return exact();
    const leased = await this.store.admit({
      rates: rates.map((r, i) => ({ ...r, cost: r.cost + extras[i]! })),
      ...(spend && { spend: { limits: spend.limits, amountNano: spend.amountNano + spendLease } }),
    });
    if (!leased.allowed) return exact();
    rates.forEach((r, i) => {
      this.grant(r.key, extras[i]!, leased.rates[i]!.remaining, { rate: r });
    });
    spend?.limits.forEach((l, j) => {
      this.grant(l.key, spendLease, l.limitNano - leased.spend!.spentNano[j]!, { spend: l });
    });
    // What the request itself would have left: the shared headroom plus the lease it just took.
    return {
      ...leased,
      rates: leased.rates.map((r, i) => ({ ...r, remaining: r.remaining + extras[i]! })),
      ...(leased.spend && { spend: { ...leased.spend, spentNano: leased.spend.spentNano.map((v) => v - spendLease) } }),
    };
  }

  private grant(
    key: string,
    extra: number,
    sharedLeft: number,
    template: { rate?: RateCheck; spend?: SpendLimit },
  ): void {
    const replaced = this.pool!.grant(key, extra, sharedLeft);
    if (extra > 0) this.leaseTemplates.set(key, template);
    if (replaced > 0) this.giveBack(key, replaced, template);
    if (this.pool!.size > 0) this.leaseTimer ??= setTimeout(() => this.expireLeases(false), this.leaseCheckMs).unref();
  }

  /** Gives back what expired leases (or, at shutdown, all leases) did not use. */
  private expireLeases(all: boolean): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    for (const { key, left } of this.pool?.expire(all) ?? []) {
      const template = this.leaseTemplates.get(key);
      this.leaseTemplates.delete(key);
      if (template && left > 0) this.giveBack(key, left, template);
    }
    if (!all && this.pool && this.pool.size > 0)
      this.leaseTimer = setTimeout(() => this.expireLeases(false), this.leaseCheckMs).unref();
  }

  /** Returns unused leased capacity to the shared limits, with the next batch of settlements. */
  private giveBack(key: string, left: number, template: { rate?: RateCheck; spend?: SpendLimit }): void {
    if (template.rate) this.queue(key, [{ ...template.rate, cost: -left }], undefined);
    if (template.spend) this.queue(key, [], { limits: [template.spend], amountNano: -left });
  }

  /** An admission served from this replica's leases: no store call. */
  private fromLease(
    limited: Limited[],
    tokenChecks: RateCheck[],
    limits: SpendLimit[],
    worstNano: number | undefined,
    left: number[],
  ): Admission {
    const rates = limited.map((_, i) => ({
      allowed: true,
      remaining: Math.max(0, Math.floor(left[i]!)),
      retryAfterMs: 0,
    }));
    const admission: Admission = { headers: rateHeaders(limited, rates), tokenChecks, urgent: false };
    if (limits.length > 0) {
      const spendLeft = left.slice(limited.length);
      admission.reservation = {
        limits,
        amountNano: worstNano!,
        low: limits.some((l, i) => spendLeft[i]! < l.limitNano * lowShare),
      };
    }
    return admission;
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
    const rates = admission.tokenChecks.map((c) => ({ ...c, cost: usedTokens - c.cost })).filter((c) => c.cost !== 0);
    const r = admission.reservation;
    const spend =
      r && actualNano !== r.amountNano ? { limits: r.limits, amountNano: actualNano - r.amountNano } : undefined;
    if (rates.length === 0 && !spend) return;
    if (admission.urgent) {
      void this.write(rates, spend);
      return;
    }
    this.queue(tenant.name, rates, spend);
  }

  /** Adds deltas to the group's pending batch (summed per key) and makes sure a flush is coming. */
  private queue(group: string, rates: RateCheck[], spend: SpendCheck | undefined): void {
    let batch = this.pending.get(group);
    if (!batch) this.pending.set(group, (batch = { rates: new Map(), spend: new Map() }));
    for (const c of rates) {
      const entry = batch.rates.get(c.key);
      if (entry) entry.cost += c.cost;
      else batch.rates.set(c.key, { ...c });
    }
    if (spend) {
      const key = spend.limits.map((l) => l.key).join(' ');
      const entry = batch.spend.get(key);
      if (entry) entry.amountNano += spend.amountNano;
      else batch.spend.set(key, { ...spend });
    }
    this.timer ??= setTimeout(() => {
      void this.flush();
    }, this.settleEveryMs);
  }

  /**
   * Writes every pending settlement and gives back expired leases; `final` (shutdown) gives back every lease, so
   * nothing is lost or held.
   */
  async flush(final = false): Promise<void> {
    if (final) this.expireLeases(true); // queues the give-backs, written below
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()];
    this.pending.clear();
    const writes: Array<Promise<void>> = [];
    for (const b of batches) {
      let rates = [...b.rates.values()].filter((c) => c.cost !== 0);
      // One call per tenant; a rare second spend (a batch across midnight) goes in a call of its own.
      for (const spend of b.spend.values()) {
        writes.push(this.write(rates, spend));
        rates = [];
      }
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
    const share =
      this.state.driver === 'redis' ? Math.max(1, Math.floor(check.limit / this.state.replicas)) : check.limit;
    return { ...check, limit: share, cost: Math.min(check.cost, share) };
  }

  private refuse(l: Limited, tokens: number, r: RateResult, headers: Record<string, string>): never {
    this.events.limited(l.kind === 'requests' ? 'rpm' : 'tpm');
    const where = l.route ? ` on route ${l.route}` : '';
    const message =
      l.kind === 'requests'
        ? `Rate limit reached for requests${where}: ${l.check.limit} per minute.`
        : `Rate limit reached for tokens${where}: ${l.check.limit} per minute; this request needs about ${tokens}.`;
    throw new SluiceError('rate_limit_exceeded', message, {
      headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))) },
    });
  }
}
