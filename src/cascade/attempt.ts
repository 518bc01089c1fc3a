// The record of one upstream call, and how its usage and cost are derived. Pure.
import type { BackendConfig } from '../config/schema.js';
import { countText } from '../classify/count-tokens.js';
import { priceUsage, type TokenUsage } from '../cost/pricing.js';
import type { Usage } from '../openai/types.js';

export type AttemptOutcome = 'accepted' | 'escalated' | 'failed' | 'aborted';

export interface AttemptRecord {
  /** Index of the tier in the route's configuration. */
  tier: number;
  backend: string;
  outcome: AttemptOutcome;
  /** Why it was escalated or failed (verdict or failure reason). */
  reason?: string;
  status?: number;
  error?: string;
  usage: TokenUsage;
  costNano: number;
  durationMs: number;
  /** Stream attempts: time from the call to its first event. */
  firstEventMs?: number;
  /** Judge score, when the answer was judged. */
  score?: number;
  /** A failure that says the backend is unwell (not the request's fault, not a rate limit). */
  healthFailure?: boolean;
}

/** Usage from the upstream when it reported it, else estimated from what was sent and received. */
export function usageFrom(reported: Usage | null | undefined, estimate: { inputTokens: number; outputText: string | undefined }): TokenUsage {
  if (reported && typeof reported.prompt_tokens === 'number') {
    return {
      input: reported.prompt_tokens,
      cachedInput: reported.prompt_tokens_details?.cached_tokens ?? 0,
      output: reported.completion_tokens ?? 0,
      estimated: false,
    };
  }
  const output = estimate.outputText ? countText(estimate.outputText).tokens : 0;
  return { input: estimate.inputTokens, cachedInput: 0, output, estimated: true };
}

export function priceAttempt(backend: BackendConfig, usage: TokenUsage): number {
  return priceUsage(backend.pricing, usage);
}
