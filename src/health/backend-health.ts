// Backend health shared by replicas: each replica feeds its own breakers with the outcomes it sees, publishes a
// trip to the store at once, and adopts the trips of others on a background sync (every `syncMs`), so the
// request path never waits on the store. `sluice_backend_up` follows; every transition is logged.
import type { StateStore } from '../state/store.js';
import { CircuitBreaker, defaultBreakerSettings, type BreakerSettings } from './circuit-breaker.js';

export interface HealthEvents {
  /** The circuit opened or closed (log it). */
  transition(backend: string, up: boolean, source: 'local' | 'shared'): void;
  /** Current value for the gauge. */
  gauge(backend: string, up: boolean): void;
  storeError(operation: string, err: unknown): void;
}

export class BackendHealth {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly events: HealthEvents,
    private readonly opts: { now?: () => number; syncMs?: number; settings?: BreakerSettings; enabled?: boolean } = {},
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private breaker(id: string): CircuitBreaker {
    let b = this.breakers.get(id);
    if (!b) this.breakers.set(id, (b = new CircuitBreaker(this.opts.settings ?? defaultBreakerSettings)));
    return b;
  }

  isHealthy(id: string): boolean {
    return this.breakers.get(id)?.available(this.now()) ?? true;
  }

  record(id: string, ok: boolean): void {
    if (this.opts.enabled === false) return;
    const b = this.breaker(id);
    const change = b.record(ok, this.now());
    if (change) {
      this.events.transition(id, change === 'closed', 'local');
      this.events.gauge(id, change === 'closed');
    }
    if (change === 'tripped') {
      void this.store
        .publishBreaker(id, b.shared(), b.openUntil - this.now())
        .catch((err: unknown) => this.events.storeError('breaker_publish', err));
    }
  }

  /** Adopts what other replicas published and refreshes the gauges. */
  async sync(backendIds: readonly string[]): Promise<void> {
    let shared: Map<string, { openUntil: number; trips: number }> | undefined;
    try {
      shared = await this.store.readBreakers(backendIds);
    } catch (err) {
      this.events.storeError('breaker_read', err); // breakers stay local until the store answers again
    }
    const now = this.now();
    for (const id of backendIds) {
      const b = this.breaker(id);
      if (b.adopt(shared?.get(id), now) === 'tripped') this.events.transition(id, false, 'shared');
      this.events.gauge(id, !b.isOpen(now));
    }
  }

  start(backendIds: () => readonly string[]): void {
    this.timer = setInterval(() => void this.sync(backendIds()), this.opts.syncMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
