// Observed time to first token per backend and size class (exponentially weighted), for the plan's SLO step.
// Per replica, in memory: latency is a local observation, not shared state.
import type { SizeClass } from '../classify/profile.js';

export class LatencyTracker {
  private readonly ewma = new Map<string, number>();

  constructor(private readonly alpha = 0.2) {}

  record(backend: string, size: SizeClass, ms: number): void {
    const key = `${backend}\u0000${size}`;
    const prev = this.ewma.get(key);
    this.ewma.set(key, prev === undefined ? ms : prev + this.alpha * (ms - prev));
  }

  firstTokenMs(backend: string, size: SizeClass): number | undefined {
    return this.ewma.get(`${backend}\u0000${size}`);
  }
}
