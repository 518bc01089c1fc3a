// Pricing in integer nano-dollars.
import { describe, expect, it } from 'vitest';
import { formatUsd, priceUsage } from '../../src/cost/pricing.js';

const p = (input: number, output: number, extra: Record<string, number> = {}) => ({
  inputPerMTok: input,
  outputPerMTok: output,
  perRequest: 0,
  ...extra,
});
const u = (input: number, output: number, cachedInput = 0) => ({ input, output, cachedInput, estimated: false });

describe('priceUsage', () => {
  it('prices input and output per million tokens', () => {
    expect(priceUsage(p(2.5, 10), u(1_000_000, 1_000_000))).toBe(12_500_000_000);
    expect(priceUsage(p(0.15, 0.6), u(1000, 500))).toBe(450_000);
  });
  it('prices cached input at the cached rate, falling back to the input rate', () => {
    expect(priceUsage(p(2, 8, { cachedInputPerMTok: 0.5 }), u(1000, 0, 400))).toBe(600 * 2000 + 400 * 500);
    expect(priceUsage(p(2, 8), u(1000, 0, 400))).toBe(2_000_000);
  });
  it('adds a fixed fee per request', () => {
    expect(priceUsage(p(0, 0, { perRequest: 0.001 }), u(10, 10))).toBe(1_000_000);
  });
  it('stays exact for sub-nano unit prices (rounds once)', () => {
    expect(priceUsage(p(0.0375, 0), u(3, 0))).toBe(113); // 112.5 → 113
    expect(priceUsage(p(0.0375, 0), u(1_000_000, 0))).toBe(37_500_000);
  });
});

describe('formatUsd', () => {
  it('prints fixed 9 decimals, negatives included', () => {
    expect(formatUsd(18_000)).toBe('0.000018000');
    expect(formatUsd(12_500_000_000)).toBe('12.500000000');
    expect(formatUsd(-450)).toBe('-0.000000450');
    expect(formatUsd(0)).toBe('0.000000000');
  });
});
