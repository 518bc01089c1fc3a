// The quality state of one route: its shadow samples (shared by replicas through the state store, newest
// `window` kept), the estimate, and the policy that decides whether a request starts on the cheapest tier.
// Every replica computes the policy from the same shared samples; when the store cannot be read the last policy
// stays in force. Policy changes are logged with their evidence and exported.
import type { QualityConfig } from '../config/schema.js';
import type { StateStore } from '../state/store.js';
import { choosePolicy, coldStart, estimateQuality, startsCheap, type Policy, type QualitySample } from './threshold.js';

export interface QualityLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface QualityGauges {
  estimate(route: string, value: number): void;
  target(route: string, value: number): void;
  samples(route: string, value: number): void;
  maxDifficulty(route: string, value: number): void;
  storeError(operation: string): void;
}

export class RouteQuality {
  policy: Policy = coldStart;
  samples: readonly QualitySample[] = [];
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;
  private shownMaxDifficulty: number | undefined;

  constructor(
    readonly route: string,
    public config: QualityConfig,
    private readonly deps: { store: StateStore; log: QualityLog; gauges: QualityGauges; now: () => number },
  ) {
    deps.gauges.target(route, config.target);
  }

  private get key(): string {
    return `quality:${this.route}`;
  }

  /** Whether a request of this difficulty and stake starts on the cheapest tier. */
  startsCheap(difficulty: number, stakeNano: number): boolean {
    return startsCheap(this.policy, difficulty, stakeNano);
  }

  /** Records a sample for every replica; refreshes the policy when it is due. */
  async add(sample: QualitySample): Promise<void> {
    try {
      await this.deps.store.listPush(this.key, JSON.stringify(sample), this.config.window);
    } catch {
      this.deps.gauges.storeError('quality_push');
      return;
    }
    if (this.deps.now() - this.lastRefresh >= this.config.refreshMs) await this.refresh();
  }

  /** Seeds the shared samples (from the shadow log at start-up) when the store holds none yet. */
  async seed(samples: readonly QualitySample[]): Promise<void> {
    if (samples.length === 0) return;
    try {
      if ((await this.deps.store.listRead(this.key)).length > 0) return;
      for (const s of samples.slice(-this.config.window))
        await this.deps.store.listPush(this.key, JSON.stringify(s), this.config.window);
      this.deps.log.info(
        { route: this.route, samples: Math.min(samples.length, this.config.window) },
        'quality samples restored from the shadow log',
      );
    } catch {
      this.deps.gauges.storeError('quality_seed');
    }
  }

  /** Reads the shared samples and recomputes the estimate and the policy (one at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    this.lastRefresh = this.deps.now();
    let raw: string[];
    try {
      raw = await this.deps.store.listRead(this.key);
    } catch {
      this.deps.gauges.storeError('quality_read');
      return; // the last policy stays in force
    }
    const samples = raw.flatMap((line) => {
      try {
        return [JSON.parse(line) as QualitySample];
      } catch {
        return [];
      }
    });
    this.samples = samples;
    const old = this.policy;
    this.policy = choosePolicy(samples, {
      target: this.config.target,
      confidence: this.config.confidence,
      minSamples: this.config.minSamples,
    });
    const estimate = estimateQuality(samples);
    const { gauges } = this.deps;
    if (estimate.quality !== undefined) gauges.estimate(this.route, estimate.quality);
    gauges.samples(this.route, estimate.samples);
    const maxDifficulty = typicalMaxDifficulty(this.policy, samples);
    gauges.maxDifficulty(this.route, maxDifficulty);
    // Logged when what it means for a typical request moves by a step of 0.01 or more, or at the first policy.
    if (
      this.shownMaxDifficulty === undefined ||
      Math.abs(maxDifficulty - this.shownMaxDifficulty) >= 0.01 ||
      old.coldStart !== this.policy.coldStart
    ) {
      this.shownMaxDifficulty = maxDifficulty;
      this.deps.log.info(
        {
          route: this.route,
          threshold: { old: describe(old), new: describe(this.policy) },
          maxDifficulty,
          coldStart: this.policy.coldStart,
          evidence: {
            samples: this.policy.samples,
            undecided: estimate.undecided,
            estimate: estimate.quality,
            target: this.config.target,
            predictedQuality: this.policy.predictedQuality,
            lowerBound: this.policy.predictedLowerBound,
            predictedCostShare: this.policy.predictedCostShare,
          },
        },
        'quality threshold changed',
      );
    }
  }
}

function describe(p: Policy): number | string {
  return p.coldStart
    ? 'cold_start'
    : p.threshold === -Infinity
      ? 'none'
      : p.threshold === Infinity
        ? 'all'
        : Number(p.threshold.toPrecision(4));
}

/** The highest difficulty (in steps of 0.005) a request of the median stake starts cheap at; 0 when none. */
export function typicalMaxDifficulty(policy: Policy, samples: readonly QualitySample[]): number {
  if (policy.threshold === -Infinity || samples.length === 0) return 0;
  const stakes = samples.map((s) => s.stakeNano).sort((a, b) => a - b);
  const stake = stakes[stakes.length >> 1]!;
  let best = 0;
  for (let d = 0; d <= 1.0001; d += 0.005) if (startsCheap(policy, d, stake)) best = d;
  return Math.round(best * 1000) / 1000;
}
