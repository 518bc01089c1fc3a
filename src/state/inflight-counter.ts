// Calls in progress per backend on this replica, for `balance: least-busy` tiers. Per replica, in memory: what a
// replica has in flight is a local observation, like latency.

export class InflightCounter {
  private readonly calls = new Map<string, number>();

  start(backend: string): void {
    this.calls.set(backend, (this.calls.get(backend) ?? 0) + 1);
  }

  end(backend: string): void {
    this.calls.set(backend, (this.calls.get(backend) ?? 1) - 1);
  }

  count(backend: string): number {
    return this.calls.get(backend) ?? 0;
  }
}
