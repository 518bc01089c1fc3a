// Capacity a replica takes from a tenant's shared limits ahead of need, then hands out locally: a request that fits
// in the replica's leases costs no round trip. Leases are taken atomically with a real request's admission (so
// replicas together still cannot overshoot), are small (a slice of the limit, and none once a limit runs low, so
// capacity idle in one replica's lease cannot starve another for long), and expire fast, giving back what they did
// not use. Pure: the caller does the store calls.

export interface LeaseSettings {
  /** A lease holds at most this many requests' worth of each limit... */
  requests: number;
  /** ...and at most this share of the limit. */
  share: number;
  /** No new lease while less than this share of a limit is left. */
  reserveShare: number;
  ttlMs: number;
}

export const defaultLeaseSettings: LeaseSettings = { requests: 64, share: 0.01, reserveShare: 0.2, ttlMs: 1_000 };

interface Lease {
  left: number;
  expires: number;
  /** What the shared limit had left (beyond this lease) when it was granted. */
  sharedLeft: number;
}

export interface LeaseDemand {
  key: string;
  cost: number;
  limit: number;
}

export class LeasePool {
  private readonly leases = new Map<string, Lease>();
  /** Shared headroom last seen per key, to stop leasing once a limit runs low. */
  private readonly lastLeft = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly settings = defaultLeaseSettings,
  ) {}

  /** Takes every cost from its live lease, or nothing; returns what each lease and the limit have left, or undefined. */
  take(demands: readonly LeaseDemand[]): number[] | undefined {
    const t = this.now();
    const leases = demands.map((d) => this.leases.get(d.key));
    if (demands.length === 0 || leases.some((l, i) => !l || l.expires <= t || l.left < demands[i]!.cost))
      return undefined;
    return leases.map((l, i) => {
      l!.left -= demands[i]!.cost;
      return l!.sharedLeft + l!.left;
    });
  }

  /** How much to lease on top of a request's cost for each demand (0: none, the limit is tight or unknown-small). */
  extra(d: LeaseDemand): number {
    const last = this.lastLeft.get(d.key);
    if (last !== undefined && last < d.limit * this.settings.reserveShare) return 0;
    const size = Math.min(d.cost * (this.settings.requests - 1), Math.floor(d.limit * this.settings.share));
    return size >= d.cost && d.cost > 0 ? size : 0;
  }

  /**
   * Records an admission's outcome for each key: the extra leased (0 for none) and the shared headroom left after
   * it. A lease still live for the key is replaced: what it had left is returned for giving back.
   */
  grant(key: string, extra: number, sharedLeft: number): number {
    if (this.lastLeft.size >= 10_000) this.lastLeft.clear(); // periods roll over; keep the memory bounded
    this.lastLeft.set(key, sharedLeft);
    const old = this.leases.get(key);
    if (extra <= 0) return 0;
    this.leases.set(key, { left: extra, expires: this.now() + this.settings.ttlMs, sharedLeft });
    return old ? old.left : 0;
  }

  /** Leases past their time (all of them with `all`), removed, with what they had left to give back (maybe 0). */
  expire(all = false): Array<{ key: string; left: number }> {
    const t = this.now();
    const out: Array<{ key: string; left: number }> = [];
    for (const [key, l] of this.leases) {
      if (!all && l.expires > t) continue;
      this.leases.delete(key);
      out.push({ key, left: l.left });
    }
    return out;
  }

  get size(): number {
    return this.leases.size;
  }
}
