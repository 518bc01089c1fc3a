// Counts prompt tokens with the o200k BPE (gpt-tokenizer), plus OpenAI's per-message overhead and an estimate
// per image. Exact BPE costs about 0.7 µs a token, so above `exactLimitChars` the count is estimated from an
// exactly counted head and tail sample, and `profileRequest` recounts exactly whenever the estimate lands near a
// decision (a size-class edge or a context window): exactness is spent only where it can change the route.
// Billing never uses these counts when the backend reports usage.
import { countTokens, setMergeCacheSize } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../openai/types.js';

// The tokenizer remembers the merges of words it has seen, up to 100,000 by default: on varied traffic that is a
// heap that keeps growing (7 MB after 10 MB of the shared data's text). 2,000 keeps the common words, with the
// same speed on that text (about 0.5 µs a token) and under 1 MB.
setMergeCacheSize(2_000);

export interface TokenCount {
  tokens: number;
  /** True when the sampled estimate was used. */
  estimated: boolean;
}

/** Up to here every count is exact (about 300 tokens of English). */
export const exactLimitChars = 1_200;
const sampleChars = 600;
const perMessage = 3;
const replyPriming = 3;
const imageTokens = { low: 85, high: 765 } as const;

export function countText(text: string, opts: { exact?: boolean } = {}): TokenCount {
  if (opts.exact || text.length <= exactLimitChars) return { tokens: countTokens(text), estimated: false };
  // Sample from the start and the end so a long code block or table at one end does not skew the ratio.
  const head = text.slice(0, sampleChars / 2);
  const tail = text.slice(-sampleChars / 2);
  const ratio = (countTokens(head) + countTokens(tail)) / (head.length + tail.length);
  return { tokens: Math.ceil(ratio * text.length), estimated: true };
}

/** Relative error the sampled estimate is allowed before an exact recount is needed near a boundary. */
export const estimateMargin = 0.15;

/**
 * Short texts are gathered and counted in one call; a long one is counted on its own (sampled unless exact),
 * so a 100k-token message is never copied into a bigger string.
 */
export function countChatTokens(messages: readonly ChatMessage[], tools?: unknown, opts: { exact?: boolean } = {}): TokenCount {
  let small = '';
  let tokens = replyPriming;
  let estimated = false;
  const add = (text: string) => {
    if (text.length <= exactLimitChars) { small += text; return; }
    const c = countText(text, opts);
    tokens += c.tokens;
    estimated ||= c.estimated;
  };
  for (const m of messages) {
    tokens += perMessage;
    small += m.role;
    if (typeof m.name === 'string') { small += m.name; tokens += 1; }
    const c = m.content;
    if (typeof c === 'string') { small += '\n'; add(c); }
    else if (Array.isArray(c)) {
      for (const part of c) {
        if (typeof part.text === 'string') { small += '\n'; add(part.text); }
        else if (part.type === 'image_url') tokens += part.image_url?.detail === 'low' ? imageTokens.low : imageTokens.high;
      }
    }
    if (m.tool_calls) add(JSON.stringify(m.tool_calls));
  }
  if (tools !== undefined) add(JSON.stringify(tools));
  const rest = countText(small, opts);
  return { tokens: tokens + rest.tokens, estimated: estimated || rest.estimated };
}
