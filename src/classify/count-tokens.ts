// Counts prompt tokens with the o200k BPE (gpt-tokenizer), as OpenAI's chat formula does: each message's role and
// content counted on their own, plus a per-message overhead and an estimate per image. Exact BPE costs 0.2-0.7 µs a
// token, so:
// - texts seen recently (system prompts, few-shot examples, the chat history every turn resends) come from a cache
//   of exact counts;
// - up to `exactLimitChars` of new text per request is counted exactly; beyond that the count is estimated from an
//   exactly counted head and tail sample, and `profileRequest` recounts exactly whenever the estimate lands near a
//   decision (a size-class edge or a context window): exactness is spent only where it can change the route.
// Billing never uses these counts when the backend reports usage.
import { loadO200k } from './o200k-encoding.js';
import { RecentMap } from '../shared/recent-map.js';
import type { ChatMessage } from '../openai/types.js';

// The tokenizer remembers the merges of words it has seen, up to 100,000 by default: on varied traffic that is a
// heap that keeps growing (7 MB after 10 MB of the shared data's text). 2,000 keeps the common words, with the
// same speed on that text (about 0.5 µs a token) and under 1 MB.
const o200k = loadO200k();
o200k.setMergeCacheSize(2_000);
// Prompts are text: `<|endoftext|>` written by a user is counted as the characters it is, as OpenAI counts it,
// never refused (the library throws on special-token text by default).
const asText = { disallowedSpecial: new Set<string>() };
const bpeCount = (text: string): number => o200k.countTokens(text, asText);

/** Past this many characters without whitespace, a "word" is counted in slices: BPE time grows with its square. */
const longRunChars = 1_024;
const sliceChars = 512;
const longRun = new RegExp(`\\S{${longRunChars + 1},}`, 'g');

/**
 * Exact tokens, except inside whitespace-free runs longer than 1,024 characters (a base64 blob, a minified line,
 * one 1 MB word), which are counted in 512-character slices: within one token per slice of the exact count, and
 * linear instead of quadratic (a 1 MB word would take minutes).
 */
function countTokens(text: string): number {
  if (text.length <= longRunChars) return bpeCount(text);
  longRun.lastIndex = 0;
  let m = longRun.exec(text);
  if (!m) return bpeCount(text);
  let tokens = 0;
  let at = 0;
  while (m) {
    if (m.index > at) tokens += bpeCount(text.slice(at, m.index));
    const end = m.index + m[0].length;
    for (let i = m.index; i < end; i += sliceChars) tokens += bpeCount(text.slice(i, Math.min(end, i + sliceChars)));
    at = end;
    m = longRun.exec(text);
  }
  if (at < text.length) tokens += bpeCount(text.slice(at));
  return tokens;
}

export interface TokenCount {
  tokens: number;
  /** True when the sampled estimate was used. */
  estimated: boolean;
}

/** New text up to this many characters a request is counted exactly (about 300 tokens of English). */
export const exactLimitChars = 1_200;
const sampleChars = 600;
const perMessage = 3;
const replyPriming = 3;
const imageTokens = { low: 85, high: 765 } as const;

export function countText(text: string, opts: { exact?: boolean } = {}): TokenCount {
  if (opts.exact || text.length <= exactLimitChars) return { tokens: countTokens(text), estimated: false };
  return estimate(text);
}

/** Sampled from the start and the end, so a long code block or table at one end does not skew the ratio. */
function estimate(text: string): TokenCount {
  if (text.length <= sampleChars) return { tokens: countTokens(text), estimated: false };
  const head = text.slice(0, sampleChars / 2);
  const tail = text.slice(-sampleChars / 2);
  const ratio = (countTokens(head) + countTokens(tail)) / (head.length + tail.length);
  return { tokens: Math.ceil(ratio * text.length), estimated: true };
}

/** Relative error the sampled estimate is allowed before an exact recount is needed near a boundary. */
export const estimateMargin = 0.15;

/** Exact counts of recently counted texts: system prompts, few-shot examples, the history every turn resends. */
const recent = new RecentMap<number>(5_000, 1_000_000, (text) => text.length);

/**
 * Each text is counted on its own: from the cache, else exactly while the request's budget of new characters
 * lasts; short texts past the budget are gathered and counted together (sampled if long), and a text over the
 * exact limit on its own, so a 100k-token message is never copied into a bigger string.
 */
export function countChatTokens(
  messages: readonly ChatMessage[],
  tools?: unknown,
  opts: { exact?: boolean } = {},
): TokenCount {
  let tokens = replyPriming;
  let estimated = false;
  let budget = opts.exact ? Number.POSITIVE_INFINITY : exactLimitChars;
  let rest = '';
  const add = (text: string) => {
    if (text.length > exactLimitChars) {
      const c = countText(text, opts);
      tokens += c.tokens;
      estimated ||= c.estimated;
      return;
    }
    const known = recent.get(text);
    if (known !== undefined) {
      tokens += known;
      return;
    }
    if (text.length > budget) {
      rest += rest === '' ? text : `\n${text}`;
      return;
    }
    budget -= text.length;
    const n = countTokens(text);
    recent.set(text, n);
    tokens += n;
  };
  for (const m of messages) {
    tokens += perMessage;
    add(m.role);
    if (typeof m.name === 'string') {
      add(m.name);
      tokens += 1;
    }
    const c = m.content;
    if (typeof c === 'string') add(c);
    else if (Array.isArray(c)) {
      for (const part of c) {
        if (typeof part.text === 'string') add(part.text);
        else if (part.type === 'image_url')
          tokens += part.image_url?.detail === 'low' ? imageTokens.low : imageTokens.high;
      }
    }
    if (m.tool_calls) add(JSON.stringify(m.tool_calls));
  }
  if (tools !== undefined) add(JSON.stringify(tools));
  if (rest !== '') {
    const c = rest.length <= budget ? { tokens: countTokens(rest), estimated: false } : estimate(rest);
    tokens += c.tokens;
    estimated ||= c.estimated;
  }
  return { tokens, estimated };
}
