import { describe, expect, it } from 'vitest';
import {
  agreementAt,
  choosePolicy,
  estimateQuality,
  fitAgreement,
  startsCheap,
  wilsonLower,
  zFor,
  type QualitySample,
} from '../../src/quality/threshold.js';

/** A deterministic stream in [0, 1). */
function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function sample(difficulty: number, cheapMatch: 0 | 1 | null, o: Partial<QualitySample> = {}): QualitySample {
  return {
    at: 0,
    difficulty,
    stakeNano: 1_000,
    cheapMatch,
    deliveredMatch: 1,
    cheapStartNano: 100,
    strongNano: 1_000,
    ...o,
  };
}

/** Easy prompts (d < 0.5) the cheap tier gets right; harder ones it matches half the time. */
function traffic(n: number, seed = 1): QualitySample[] {
  const rand = lcg(seed);
  return Array.from({ length: n }, () => {
    const d = rand();
    return sample(d, d < 0.5 || rand() < 0.5 ? 1 : 0);
  });
}

describe('statistics', () => {
  it('has the normal quantiles', () => {
    expect(zFor(0.9)).toBeCloseTo(1.2816, 3);
    expect(zFor(0.975)).toBeCloseTo(1.96, 3);
    expect(zFor(0.999)).toBeCloseTo(3.0902, 3);
  });
  it('bounds a proportion from below, tighter with more samples', () => {
    expect(wilsonLower(90, 100, 1.2816)).toBeLessThan(0.9);
    expect(wilsonLower(900, 1000, 1.2816)).toBeGreaterThan(wilsonLower(90, 100, 1.2816));
    expect(wilsonLower(0, 0, 1.96)).toBe(0);
  });
  it('estimates quality from decided samples only', () => {
    expect(
      estimateQuality([
        sample(0, 1),
        sample(0, 0, { deliveredMatch: 0 }),
        sample(0, null, { deliveredMatch: null }),
        sample(0, 1),
      ]),
    ).toEqual({ quality: 2 / 3, samples: 3, undecided: 1 });
    expect(estimateQuality([]).quality).toBeUndefined();
  });
});

describe('fitAgreement', () => {
  it('never rises with difficulty', () => {
    const fit = fitAgreement(traffic(2_000));
    for (let i = 1; i < fit.agreement.length; i++) expect(fit.agreement[i]!).toBeLessThanOrEqual(fit.agreement[i - 1]!);
    expect(agreementAt(fit, 0.1)).toBeGreaterThan(0.95);
    expect(agreementAt(fit, 0.9)).toBeGreaterThan(0.35);
    expect(agreementAt(fit, 0.9)).toBeLessThan(0.65);
  });
});

describe('choosePolicy', () => {
  const opts = { target: 0.85, confidence: 0.9, minSamples: 200 };
  it('keeps every request on the strongest tier until it has enough evidence', () => {
    const policy = choosePolicy(traffic(150), opts);
    expect(policy.threshold).toBe(-Infinity);
    expect(startsCheap(policy, 0, 1_000)).toBe(false);
  });
  it('starts the easy requests cheap, holding the target with its margin', () => {
    const policy = choosePolicy(traffic(2_000), opts);
    expect(policy.predictedLowerBound).toBeGreaterThanOrEqual(0.85);
    expect(policy.predictedCostShare).toBeLessThan(0.6);
    expect(startsCheap(policy, 0.2, 1_000)).toBe(true);
    expect(startsCheap(policy, 0.95, 1_000)).toBe(false);
    // Measured on fresh traffic, the policy's quality holds the target.
    const fresh = traffic(20_000, 99);
    const matched = fresh.reduce((n, s) => n + (startsCheap(policy, s.difficulty, s.stakeNano) ? s.cheapMatch! : 1), 0);
    expect(matched / fresh.length).toBeGreaterThanOrEqual(0.85);
  });
  it('starts fewer requests cheap for a higher target', () => {
    const data = traffic(2_000);
    const share = (target: number) => {
      const p = choosePolicy(data, { ...opts, target });
      return data.filter((s) => startsCheap(p, s.difficulty, s.stakeNano)).length;
    };
    expect(share(0.95)).toBeLessThan(share(0.85));
    expect(share(0.9995)).toBe(0);
  });
  it('sends everything cheap when the cheap tier always agrees', () => {
    const policy = choosePolicy(
      Array.from({ length: 300 }, (_, i) => sample(i / 300, 1)),
      opts,
    );
    expect(startsCheap(policy, 0.99, 1_000)).toBe(true);
    expect(policy.predictedCostShare).toBeCloseTo(0.1, 5);
  });
  it('weighs the money at stake: at equal risk the request that saves more starts cheap first', () => {
    const rand = lcg(5);
    const data = Array.from({ length: 1_000 }, () => {
      const stake = rand() < 0.5 ? 100 : 10_000;
      return sample(0.5, rand() < 0.85 ? 1 : 0, {
        stakeNano: stake,
        strongNano: stake * 1.1,
        cheapStartNano: stake * 0.1,
      });
    });
    const policy = choosePolicy(data, { ...opts, target: 0.9 });
    expect(startsCheap(policy, 0.5, 10_000)).toBe(true);
    expect(startsCheap(policy, 0.5, 100)).toBe(false);
  });
  it('never starts cheap when nothing would be saved', () => {
    const policy = choosePolicy(
      Array.from({ length: 300 }, (_, i) => sample(i / 300, 1)),
      opts,
    );
    expect(startsCheap(policy, 0.1, 0)).toBe(false);
  });
});
