// Requests and tokens per minute per tenant, on the shared store. Tokens are charged as estimated before the
// call (prompt + expected output) and settled to actual usage after it. When the store fails, limits fall back to
// a per-replica limiter (each replica enforcing its share) and every failure is counted (the monitored store logs
// the switch in each direction once): never silent, never blocking.
import type { StateConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { createMemoryStore } from '../state/memory-store.js';
import type { RateResult, StateStore } from '../state/store.js';
import type { Tenant } from './key-registry.js';

const minute = 60_000;

export interface LimitEvents {
  storeError(operation: string, err: unknown): void;
  limited(reason: 'rpm' | 'tpm'): void;
}

export class TenantLimits {
  private readonly local = createMemoryStore();

  constructor(private readonly store: StateStore, private readonly state: StateConfig, private readonly events: LimitEvents) {}

  /** Counts one request; throws 429 with OpenAI's rate-limit headers when over `rpm`. */
  async admitRequest(tenant: Tenant): Promise<Record<string, string>> {
    const rpm = tenant.key.rpm;
    if (!rpm) return {};
    const r = await this.rate(`${tenant.name}:rpm`, rpm, 1, 'rate_limit');
    const headers = { 'x-ratelimit-limit-requests': String(rpm), 'x-ratelimit-remaining-requests': String(r.remaining) };
    if (!r.allowed) this.refuse('rpm', `Rate limit reached for requests: ${rpm} per minute.`, r, headers);
    return headers;
  }

  /** Charges the estimated tokens; throws 429 when they do not fit in `tpm`. */
  async admitTokens(tenant: Tenant, estimate: number): Promise<Record<string, string>> {
    const tpm = tenant.key.tpm;
    if (!tpm) return {};
    const r = await this.rate(`${tenant.name}:tpm`, tpm, Math.min(estimate, tpm), 'rate_limit');
    const headers = { 'x-ratelimit-limit-tokens': String(tpm), 'x-ratelimit-remaining-tokens': String(r.remaining) };
    if (!r.allowed) this.refuse('tpm', `Rate limit reached for tokens: ${tpm} per minute; this request needs about ${estimate}.`, r, headers);
    return headers;
  }

  /** Settles the estimate to what was actually used (positive: charge more; negative: give back). */
  async settleTokens(tenant: Tenant, delta: number): Promise<void> {
    const tpm = tenant.key.tpm;
    if (!tpm || delta === 0) return;
    await this.rate(`${tenant.name}:tpm`, tpm, delta, 'rate_settle', true).catch(() => {});
  }

  private refuse(reason: 'rpm' | 'tpm', message: string, r: RateResult, headers: Record<string, string>): never {
    this.events.limited(reason);
    throw new SluiceError('rate_limit_exceeded', message, { headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))) } });
  }

  private async rate(key: string, limit: number, cost: number, operation: string, settling = false): Promise<RateResult> {
    try {
      return await this.store.rate(key, limit, minute, cost);
    } catch (err) {
      this.events.storeError(operation, err);
      const share = this.state.driver === 'redis' ? Math.max(1, Math.floor(limit / this.state.replicas)) : limit;
      const r = await this.local.rate(key, share, minute, settling ? cost : Math.min(cost, share));
      return r;
    }
  }
}
