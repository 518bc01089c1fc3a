// From shadow samples to the two figures a quality target needs: the estimate (how many delivered answers match
// the strongest tier) and the policy that decides, request by request, whether to start on the cheapest tier.
// The policy weighs risk against money: the chance the cheap start ends in an answer the strongest tier would
// not give (a non-increasing fit of the observed agreement against difficulty), over the request's expected saving.
// A request starts cheap when that ratio is at most the threshold; the threshold is the one that reaches the target
// at the least expected cost, with a one-sided confidence margin (Wilson). Pure.

export interface QualitySample {
  /** Epoch ms when the request was served. */
  at: number;
  difficulty: number;
  /** What starting on the cheapest tier would save over the strongest, expected at request time (nano-dollars). */
  stakeNano: number;
  /** Had the request started on the cheapest tier, would its answer match the strongest tier's? null: undecided. */
  cheapMatch: 0 | 1 | null;
  /** Did the delivered answer match the strongest tier's? (answers the strongest tier served count as matching) */
  deliveredMatch: 0 | 1 | null;
  /** Actual or shadow-observed cost of starting cheap (escalation included) and of starting strong (nano). */
  cheapStartNano: number;
  strongNano: number;
}

export interface Policy {
  /** Start cheap when risk / stake is at most this; -Infinity: never. */
  threshold: number;
  /** Fewer decided samples than `minSamples`: nothing starts cheap yet. */
  coldStart: boolean;
  /** Agreement fit: difficulty knots (ascending) and the agreement at each, linear between. */
  knots: number[];
  agreement: number[];
  /** Decided samples the policy rests on. */
  samples: number;
  /** Predicted quality (point and lower bound) and cost share of always-strongest at this threshold. */
  predictedQuality: number;
  predictedLowerBound: number;
  predictedCostShare: number;
}

export const coldStart: Policy = {
  threshold: -Infinity,
  coldStart: true,
  knots: [],
  agreement: [],
  samples: 0,
  predictedQuality: 1,
  predictedLowerBound: 1,
  predictedCostShare: 1,
};

/** The smallest risk counted, so that a stretch with no disagreement seen still weighs its stakes. */
const minRisk = 0.005;

export interface Estimate {
  /** Share of decided samples whose delivered answer matched the strongest tier; undefined with no samples. */
  quality: number | undefined;
  samples: number;
  undecided: number;
}

export function estimateQuality(samples: readonly QualitySample[]): Estimate {
  let n = 0,
    matched = 0,
    undecided = 0;
  for (const s of samples) {
    if (s.deliveredMatch === null) {
      undecided++;
      continue;
    }
    n++;
    matched += s.deliveredMatch;
  }
  return { quality: n === 0 ? undefined : matched / n, samples: n, undecided };
}

/** z for a one-sided confidence level (Acklam's rational approximation of the normal quantile, enough here). */
export function zFor(confidence: number): number {
  const p = confidence;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858589980675, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p > 0.97575) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  const q = p - 0.5,
    r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Wilson score lower bound of a proportion. */
export function wilsonLower(successes: number, n: number, z: number): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * Non-increasing agreement against difficulty (pool-adjacent-violators), with one prior observation at the
 * overall rate per block so that a small block cannot claim certainty. Knots are the blocks' mean difficulties;
 * between them the fit is linear, so that requests of different difficulty rank apart.
 */
export function fitAgreement(samples: readonly QualitySample[]): { knots: number[]; agreement: number[] } {
  const decided = samples.filter((s) => s.cheapMatch !== null).sort((a, b) => a.difficulty - b.difficulty);
  if (decided.length === 0) return { knots: [], agreement: [] };
  const overall = decided.reduce((s, x) => s + x.cheapMatch!, 0) / decided.length;
  const blocks: Array<{ dsum: number; sum: number; n: number }> = [];
  for (const s of decided) {
    blocks.push({ dsum: s.difficulty, sum: s.cheapMatch!, n: 1 });
    // Agreement must not rise with difficulty: merge a block into the one before while it would.
    while (
      blocks.length > 1 &&
      blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.n >=
        blocks[blocks.length - 2]!.sum / blocks[blocks.length - 2]!.n
    ) {
      const last = blocks.pop()!;
      const prev = blocks[blocks.length - 1]!;
      prev.dsum += last.dsum;
      prev.sum += last.sum;
      prev.n += last.n;
    }
  }
  const agreement: number[] = [];
  for (const b of blocks) agreement.push(Math.min(agreement[agreement.length - 1] ?? 1, (b.sum + overall) / (b.n + 1)));
  return { knots: blocks.map((b) => b.dsum / b.n), agreement };
}

/** The fitted agreement at a difficulty: linear between knots, flat past the ends. */
export function agreementAt(
  fit: { knots: readonly number[]; agreement: readonly number[] },
  difficulty: number,
): number {
  const { knots, agreement } = fit;
  if (knots.length === 0) return 0;
  if (difficulty <= knots[0]!) return agreement[0]!;
  const last = knots.length - 1;
  if (difficulty >= knots[last]!) return agreement[last]!;
  let lo = 0,
    hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (knots[mid]! <= difficulty) lo = mid;
    else hi = mid;
  }
  const span = knots[hi]! - knots[lo]!;
  const t = span > 0 ? (difficulty - knots[lo]!) / span : 0;
  return agreement[lo]! + t * (agreement[hi]! - agreement[lo]!);
}

/** The ratio a request is ranked by: risk of a mismatch per nano-dollar saved (lower starts cheap first). */
export function riskPerSaving(
  fit: { knots: readonly number[]; agreement: readonly number[] },
  difficulty: number,
  stakeNano: number,
): number {
  if (stakeNano <= 0) return Infinity;
  // The tiny difficulty term ranks equal fits (flat stretches) by difficulty still.
  return (Math.max(minRisk, 1 - agreementAt(fit, difficulty)) + 1e-6 * difficulty) / stakeNano;
}

export function startsCheap(policy: Policy, difficulty: number, stakeNano: number): boolean {
  if (policy.threshold === -Infinity) return false;
  return riskPerSaving(policy, difficulty, stakeNano) <= policy.threshold;
}

export interface ChooseOptions {
  target: number;
  confidence: number;
  minSamples: number;
}

/**
 * The threshold with the least expected cost whose quality lower bound reaches the target. Samples are a uniform
 * share of the route's traffic, so each stands for the same number of requests; quality counts each sample's
 * delivered answer as matching when it started strong, and as its observed cheap-start agreement otherwise.
 */
export function choosePolicy(samples: readonly QualitySample[], opts: ChooseOptions): Policy {
  const decided = samples.filter((s) => s.cheapMatch !== null);
  if (decided.length < opts.minSamples) return { ...coldStart, samples: decided.length };
  const fit = fitAgreement(decided);
  const ranked = decided
    .map((s) => ({ s, r: riskPerSaving(fit, s.difficulty, s.stakeNano) }))
    .sort((a, b) => a.r - b.r);
  const z = zFor(opts.confidence);
  const n = ranked.length;
  const strongTotal = ranked.reduce((sum, x) => sum + x.s.strongNano, 0);
  let cost = strongTotal,
    mismatches = 0;
  let best = { k: 0, cost: strongTotal, mismatches: 0 };
  for (let k = 1; k <= n; k++) {
    const { s, r } = ranked[k - 1]!;
    if (r === Infinity) break;
    cost += s.cheapStartNano - s.strongNano;
    mismatches += 1 - s.cheapMatch!;
    // A cut between two equal ratios cannot be enforced: only consider the end of a run of equal ones.
    if (k < n && ranked[k]!.r === r) continue;
    if (wilsonLower(n - mismatches, n, z) >= opts.target && cost < best.cost) best = { k, cost, mismatches };
  }
  const threshold =
    best.k === 0 ? -Infinity : best.k === n ? ranked[n - 1]!.r : (ranked[best.k - 1]!.r + ranked[best.k]!.r) / 2;
  return {
    threshold,
    coldStart: false,
    knots: fit.knots,
    agreement: fit.agreement,
    samples: n,
    predictedQuality: (n - best.mismatches) / n,
    predictedLowerBound: wilsonLower(n - best.mismatches, n, z),
    predictedCostShare: strongTotal > 0 ? best.cost / strongTotal : 1,
  };
}
