// A circuit breaker for one backend. Pure: the caller passes the time.
// Closed → open after `consecutive` failures in a row, or when at least `minSamples` of the last `window`
// outcomes include `failureRate` failures. Open for a cool-down that doubles with each trip (capped); then
// half-open: traffic flows again (like Envoy readmitting an ejected host) and the first outcome decides: a success
// closes the circuit, a failure opens it again, for longer.

export interface BreakerSettings {
  consecutive: number;
  window: number;
  minSamples: number;
  failureRate: number;
  baseCooldownMs: number;
  maxCooldownMs: number;
}

export const defaultBreakerSettings: BreakerSettings = {
  consecutive: 5,
  window: 20,
  minSamples: 10,
  failureRate: 0.5,
  baseCooldownMs: 5_000,
  maxCooldownMs: 300_000,
};

/** What replicas share: when the circuit reopens for traffic, and how many times it tripped in a row. */
export interface SharedBreakerState {
  openUntil: number;
  trips: number;
}

export class CircuitBreaker {
  private outcomes: boolean[] = [];
  private consecutiveFailures = 0;
  openUntil = 0;
  trips = 0;

  constructor(private readonly s: BreakerSettings = defaultBreakerSettings) {}

  /** Whether traffic may go there now: closed, or half-open after the cool-down. */
  available(now: number): boolean {
    return now >= this.openUntil;
  }

  isOpen(now: number): boolean {
    return this.openUntil !== 0 && now < this.openUntil;
  }

  /** Records an outcome; returns 'tripped' or 'closed' when the state changed. */
  record(ok: boolean, now: number): 'tripped' | 'closed' | undefined {
    if (this.openUntil !== 0) {
      // Half-open: the first outcome after the cool-down decides (stragglers from before the trip are ignored).
      if (now < this.openUntil) return undefined;
      if (ok) {
        this.reset();
        return 'closed';
      }
      this.trip(now);
      return 'tripped';
    }
    this.outcomes.push(ok);
    if (this.outcomes.length > this.s.window) this.outcomes.shift();
    this.consecutiveFailures = ok ? 0 : this.consecutiveFailures + 1;
    const failures = this.outcomes.filter((o) => !o).length;
    const rateTrip = this.outcomes.length >= this.s.minSamples && failures / this.outcomes.length >= this.s.failureRate;
    if (this.consecutiveFailures >= this.s.consecutive || rateTrip) {
      this.trip(now);
      return 'tripped';
    }
    return undefined;
  }

  /** Adopts a state another replica published (a later reopening time wins). */
  adopt(shared: SharedBreakerState | undefined, now: number): 'tripped' | undefined {
    if (!shared || shared.openUntil <= this.openUntil || shared.openUntil <= now) return undefined;
    const wasOpen = this.isOpen(now);
    this.openUntil = shared.openUntil;
    this.trips = Math.max(this.trips, shared.trips);
    return wasOpen ? undefined : 'tripped';
  }

  shared(): SharedBreakerState {
    return { openUntil: this.openUntil, trips: this.trips };
  }

  private trip(now: number): void {
    this.trips++;
    this.openUntil = now + Math.min(this.s.baseCooldownMs * 2 ** (this.trips - 1), this.s.maxCooldownMs);
    this.outcomes = [];
    this.consecutiveFailures = 0;
  }

  private reset(): void {
    this.openUntil = 0;
    this.trips = 0;
    this.outcomes = [];
    this.consecutiveFailures = 0;
  }
}
