// Counts prompt tokens with the o200k BPE (gpt-tokenizer), plus OpenAI's per-message overhead and an estimate
// per image. Above `exactLimitChars` of text it counts a head sample exactly and scales by length: past that
// size the exact count cannot change a routing decision, and exact BPE on 100k tokens costs tens of ms.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../openai/types.js';

export interface TokenCount {
  tokens: number;
  /** True when the sampled estimate was used. */
  estimated: boolean;
}

export const exactLimitChars = 32_000;
const sampleChars = 8_000;
const perMessage = 3;
const replyPriming = 3;
const imageTokens = { low: 85, high: 765 } as const;

export function countText(text: string): TokenCount {
  if (text.length <= exactLimitChars) return { tokens: countTokens(text), estimated: false };
  // Sample from the start and the end so a long code block or table at one end does not skew the ratio.
  const head = text.slice(0, sampleChars / 2);
  const tail = text.slice(-sampleChars / 2);
  const ratio = (countTokens(head) + countTokens(tail)) / (head.length + tail.length);
  return { tokens: Math.ceil(ratio * text.length), estimated: true };
}

export function countChatTokens(messages: readonly ChatMessage[], tools?: unknown): TokenCount {
  let text = '';
  let extra = replyPriming;
  for (const m of messages) {
    extra += perMessage;
    text += m.role;
    if (typeof m.name === 'string') { text += m.name; extra += 1; }
    const c = m.content;
    if (typeof c === 'string') text += '\n' + c;
    else if (Array.isArray(c)) {
      for (const part of c) {
        if (typeof part.text === 'string') text += '\n' + part.text;
        else if (part.type === 'image_url') extra += part.image_url?.detail === 'low' ? imageTokens.low : imageTokens.high;
      }
    }
    if (m.tool_calls) text += JSON.stringify(m.tool_calls);
  }
  if (tools !== undefined) text += JSON.stringify(tools);
  const counted = countText(text);
  return { tokens: counted.tokens + extra, estimated: counted.estimated };
}
