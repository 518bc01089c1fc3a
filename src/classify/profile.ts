// What classification says about a request: tokens in, tokens expected out, and the size class. Pure.
import type { EndpointKind } from '../config/schema.js';
import { promptText } from '../openai/message-text.js';
import type { ChatMessage } from '../openai/types.js';
import { countChatTokens, countText } from './count-tokens.js';

export interface Profile {
  inputTokens: number;
  /** The client's max tokens, else the route's default expectation. */
  outputTokens: number;
  /** The output limit the client set itself, if any (a `length` finish caused by it is not a failure). */
  clientMaxTokens: number | undefined;
  sizeClass: SizeClass;
  tokensEstimated: boolean;
}

export type SizeClass = 'small' | 'medium' | 'large' | 'xlarge';

/** Edges on input + expected output tokens. */
export const defaultSizeEdges = { small: 1_000, medium: 8_000, large: 32_000 } as const;

export function sizeClassOf(total: number, edges = defaultSizeEdges): SizeClass {
  if (total <= edges.small) return 'small';
  if (total <= edges.medium) return 'medium';
  if (total <= edges.large) return 'large';
  return 'xlarge';
}

export function profileRequest(endpoint: EndpointKind, body: Record<string, unknown>, defaultMaxOutputTokens: number): Profile {
  const counted = endpoint === 'chat'
    ? countChatTokens(body.messages as ChatMessage[], body.tools)
    : countText(endpoint === 'embeddings' ? promptText(body.input) : promptText(body.prompt));
  const clientMaxTokens = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  const outputTokens = endpoint === 'embeddings' ? 0 : clientMaxTokens ?? defaultMaxOutputTokens;
  return {
    inputTokens: counted.tokens,
    outputTokens,
    clientMaxTokens,
    sizeClass: sizeClassOf(counted.tokens + outputTokens),
    tokensEstimated: counted.estimated,
  };
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}
