// The one interface to state that replicas may share. `memory` is the embedded default (one process); `redis`
// shares it across replicas. Only the redis implementation imports ioredis.

export interface RateResult {
  allowed: boolean;
  /** Units still available in the window after this call (0 when refused). */
  remaining: number;
  /** When refused: how long until `cost` units fit. */
  retryAfterMs: number;
}

export interface SpendLimit {
  key: string;
  /** Nano-dollars allowed in the period. */
  limitNano: number;
  /** How long the counter lives (a little past the end of its period). */
  ttlMs: number;
}

export interface ReserveResult {
  ok: boolean;
  /** Spent so far in each period, after this call (unchanged when refused). */
  spentNano: number[];
}

/** GCRA over a sliding window: at most `limit` units per `windowMs`, bursts up to the whole limit. */
export interface RateCheck {
  key: string;
  limit: number;
  windowMs: number;
  /** Units to take; a negative cost gives units back (settling an estimate). */
  cost: number;
}

/** Adds `amountNano` to every counter (a negative amount settles a reservation down). */
export interface SpendCheck {
  limits: readonly SpendLimit[];
  amountNano: number;
}

export interface AdmitCheck {
  rates?: readonly RateCheck[];
  spend?: SpendCheck;
  /** Settling: apply everything, even past a limit (usage already happened). */
  force?: boolean;
}

export interface AdmitResult {
  /** Every rate and the spend fit, and all were taken. */
  allowed: boolean;
  /** One per rate check, in order: what it would leave, or how long until it fits. */
  rates: RateResult[];
  /** Present when a spend was checked; `ok` false when it would pass a limit. */
  spend?: ReserveResult;
}

export interface StateStore {
  readonly kind: 'memory' | 'redis';
  /**
   * A tenant's rate limits and spend reservation in one atomic step and one round trip: all are taken only if
   * all fit (a refused check consumes nothing, and neither do the others), so concurrent callers on any replica
   * cannot overshoot together. Negative costs and amounts always apply.
   */
  admit(check: AdmitCheck): Promise<AdmitResult>;
  /** Publishes a backend's tripped circuit so other replicas skip it too (expires when the cool-down ends). */
  publishBreaker(backend: string, state: { openUntil: number; trips: number }, ttlMs: number): Promise<void>;
  /** The circuits other replicas published, by backend. */
  readBreakers(backends: readonly string[]): Promise<Map<string, { openUntil: number; trips: number }>>;
  /** Keys managed through the admin API, by SHA-256: the serialised key settings, or undefined. */
  keyGet(sha256: string): Promise<string | undefined>;
  keyPut(sha256: string, value: string): Promise<void>;
  /** Current values of spend counters (nano-dollars; 0 when absent). */
  spendRead(keys: readonly string[]): Promise<number[]>;
  /** Appends to a shared list kept to its newest `max` entries (quality evidence), in one step. */
  listPush(key: string, value: string, max: number): Promise<void>;
  /** A shared list, oldest first (empty when absent). */
  listRead(key: string): Promise<string[]>;
  cacheGet(key: string): Promise<string | undefined>;
  cacheSet(key: string, value: string, ttlMs: number): Promise<void>;
  /** Resolves when the store answers; rejects when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The GCRA step, shared by both stores' logic (the Lua script mirrors it). Pure. */
export function gcra(
  tat: number,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
  force = false,
): { tat: number; result: RateResult } {
  const interval = windowMs / limit;
  const start = Math.max(tat, now);
  const next = Math.max(now, start + cost * interval);
  const used = next - now;
  if (cost > 0 && used > windowMs && !force) {
    return {
      tat,
      result: {
        allowed: false,
        remaining: Math.max(0, Math.floor((windowMs - (start - now)) / interval)),
        retryAfterMs: Math.ceil(used - windowMs),
      },
    };
  }
  return {
    tat: next,
    result: { allowed: true, remaining: Math.max(0, Math.floor((windowMs - used) / interval)), retryAfterMs: 0 },
  };
}
