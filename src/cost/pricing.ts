// Prices token usage in integer nano-dollars (1e-9 USD). Pure. Rounds once per attempt, so sums are exact.
import type { Pricing } from '../config/schema.js';

export interface TokenUsage {
  input: number;
  /** Part of `input` served from the provider's prompt cache. */
  cachedInput: number;
  /** Parts of `input` written to the prompt cache (5-minute and 1-hour entries), priced apart. */
  cacheWrite?: number;
  cacheWrite1h?: number;
  /** Completion tokens, reasoning included. */
  output: number;
  /** True when the tokenizer estimated it because the upstream reported no usage. */
  estimated: boolean;
}

const nanoPerUsd = 1_000_000_000;

/** USD per million tokens → integer micro-dollars per million tokens (exact for prices with up to 6 decimals). */
function micro(perMTok: number): number {
  return Math.round(perMTok * 1_000_000);
}

export function priceUsage(pricing: Pricing, usage: TokenUsage, opts: { requestFee?: boolean } = {}): number {
  const cached = Math.min(usage.cachedInput, usage.input);
  const cachedPrice = pricing.cachedInputPerMTok ?? pricing.inputPerMTok;
  const write = Math.min(usage.cacheWrite ?? 0, usage.input - cached);
  const write1h = Math.min(usage.cacheWrite1h ?? 0, usage.input - cached - write);
  // tokens × micro-USD/MTok = 1e-12 USD units; / 1000 → nano-dollars.
  const picoish =
    (usage.input - cached - write - write1h) * micro(pricing.inputPerMTok) +
    cached * micro(cachedPrice) +
    write * micro(pricing.cacheWritePerMTok ?? pricing.inputPerMTok) +
    write1h * micro(pricing.cacheWrite1hPerMTok ?? pricing.inputPerMTok) +
    usage.output * micro(pricing.outputPerMTok);
  const fee = opts.requestFee === false ? 0 : Math.round(pricing.perRequest * nanoPerUsd);
  return Math.round(picoish / 1000) + fee;
}

export function nanoToUsd(nano: number): number {
  return nano / nanoPerUsd;
}

/** Fixed-point string for headers and logs, e.g. 0.000123450. */
export function formatUsd(nano: number): string {
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  return `${sign}${Math.floor(abs / nanoPerUsd)}.${String(abs % nanoPerUsd).padStart(9, '0')}`;
}
