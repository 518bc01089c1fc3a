// The record of one upstream call, and how its usage and cost are derived. Pure.
import type { BackendConfig } from '../config/schema.js';
import { countText } from '../classify/count-tokens.js';
import { priceUsage, type TokenUsage } from '../cost/pricing.js';
import { asObject, asTokenCount } from '../openai/wire-values.js';

export type { AttemptOutcome, AttemptRecord } from '../shared/attempt-record.js';

/**
 * Usage from the upstream when it reported it, else estimated from what was sent and received. A count that is not
 * a whole number from 0 to 100M (a string, negative, 1e300) is not believed: estimated instead, and marked so.
 */
export function usageFrom(
  reported: unknown,
  estimate: { inputTokens: number; outputText: string | undefined },
): TokenUsage {
  const u = asObject(reported);
  const input = asTokenCount(u?.prompt_tokens);
  const estimateOutput = () => (estimate.outputText ? countText(estimate.outputText).tokens : 0);
  if (u && input !== undefined) {
    const details = asObject(u.prompt_tokens_details);
    const cachedInput = Math.min(asTokenCount(details?.cached_tokens) ?? 0, input);
    // Cache writes: reported by Anthropic backends (their wire puts them here), priced apart.
    const writes = {
      ...(asTokenCount(details?.cache_write_tokens) && { cacheWrite: asTokenCount(details?.cache_write_tokens) }),
      ...(asTokenCount(details?.cache_write_1h_tokens) && {
        cacheWrite1h: asTokenCount(details?.cache_write_1h_tokens),
      }),
    };
    // No completion count: the total's remainder when there is one (embeddings report prompt = total), else what
    // was generated is estimated (nothing, for embeddings).
    const total = asTokenCount(u.total_tokens);
    const output =
      u.completion_tokens == null
        ? total !== undefined && total >= input
          ? total - input
          : undefined
        : asTokenCount(u.completion_tokens);
    if (output !== undefined) return { input, cachedInput, ...writes, output, estimated: false };
    return { input, cachedInput, ...writes, output: estimateOutput(), estimated: Boolean(estimate.outputText) };
  }
  return { input: estimate.inputTokens, cachedInput: 0, output: estimateOutput(), estimated: true };
}

/** What a backend generated, as one text to count: the answer's words and its tool calls' names and arguments. */
export function generatedText(answer: {
  text: string;
  toolCalls: readonly { name: string; arguments: string }[];
}): string {
  return answer.text + answer.toolCalls.map((c) => c.name + c.arguments).join('');
}

export function priceAttempt(backend: BackendConfig, usage: TokenUsage): number {
  return priceUsage(backend.pricing, usage);
}
