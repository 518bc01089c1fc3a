// What classification says about a request: tokens in, tokens expected out, the size class and the difficulty.
// Pure: the difficulty model is passed in.
import type { EndpointKind, SizeEdges } from '../config/schema.js';
import { lastUserText, promptText } from '../openai/message-text.js';
import { isJsonMode } from '../openai/response-format.js';
import type { ChatMessage } from '../openai/types.js';
import { countChatTokens, countText, estimateMargin } from './count-tokens.js';
import type { DifficultyModel } from './difficulty-model.js';
import type { DifficultyInput } from './difficulty-features.js';

export interface Profile {
  inputTokens: number;
  /** The client's max tokens, else the route's default expectation. */
  outputTokens: number;
  /** The output limit the client set itself, if any (a `length` finish caused by it is not a failure). */
  clientMaxTokens: number | undefined;
  /** Answers generated, each up to `outputTokens` (`n`, or legacy `best_of`); absent means one. */
  choices?: number;
  sizeClass: SizeClass;
  tokensEstimated: boolean;
  /** In [0,1]; absent for embeddings. */
  difficulty?: number;
}

/** The most output a request can generate: each of its answers up to `outputTokens`. */
export function maxOutputTokens(profile: Profile): number {
  return profile.outputTokens * (profile.choices ?? 1);
}

export type SizeClass = 'small' | 'medium' | 'large' | 'xlarge';

export const defaultSizeEdges: SizeEdges = { small: 1_000, medium: 8_000, large: 32_000 };

export function sizeClassOf(total: number, edges: SizeEdges = defaultSizeEdges): SizeClass {
  if (total <= edges.small) return 'small';
  if (total <= edges.medium) return 'medium';
  if (total <= edges.large) return 'large';
  return 'xlarge';
}

export interface ClassifyOptions {
  defaultMaxOutputTokens: number;
  sizeEdges?: SizeEdges;
  model?: DifficultyModel;
  /** Context windows the route's backends offer: an estimate near one of them is recounted exactly. */
  contextWindows?: readonly number[];
}

/** Whether an estimated total could fall on the other side of a size edge or a context window. */
function nearDecision(total: number, opts: ClassifyOptions): boolean {
  const edges = opts.sizeEdges ?? defaultSizeEdges;
  const limits = [edges.small, edges.medium, edges.large, ...(opts.contextWindows ?? [])];
  return limits.some((l) => Math.abs(total - l) <= l * estimateMargin);
}

export function profileRequest(endpoint: EndpointKind, body: Record<string, unknown>, opts: ClassifyOptions): Profile {
  const messages = body.messages as ChatMessage[] | undefined;
  const count = (exact: boolean) =>
    endpoint === 'chat'
      ? countChatTokens(messages!, body.tools, { exact })
      : countText(endpoint === 'embeddings' ? promptText(body.input) : promptText(body.prompt), { exact });
  const clientMaxTokens = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  const outputTokens = endpoint === 'embeddings' ? 0 : (clientMaxTokens ?? opts.defaultMaxOutputTokens);
  let counted = count(false);
  if (counted.estimated && nearDecision(counted.tokens + outputTokens, opts)) counted = count(true);
  const choices = Math.max(positiveInt(body.n) ?? 1, endpoint === 'completions' ? (positiveInt(body.best_of) ?? 1) : 1);
  const profile: Profile = {
    inputTokens: counted.tokens,
    outputTokens,
    clientMaxTokens,
    ...(choices > 1 && { choices }),
    sizeClass: sizeClassOf(counted.tokens + outputTokens, opts.sizeEdges),
    tokensEstimated: counted.estimated,
  };
  if (endpoint === 'embeddings' || !opts.model) return profile;
  profile.difficulty = opts.model.score(difficultyInput(endpoint, body, counted.tokens));
  return profile;
}

/** What the difficulty model reads of a chat or completions request. */
export function difficultyInput(
  endpoint: EndpointKind,
  body: Record<string, unknown>,
  inputTokens: number,
): DifficultyInput {
  const messages = body.messages as ChatMessage[] | undefined;
  return {
    question: endpoint === 'chat' ? lastUserText(messages!) : promptText(body.prompt),
    inputTokens,
    turns: messages?.length ?? 1,
    tools: Array.isArray(body.tools) && body.tools.length > 0,
    jsonMode: isJsonMode(body),
  };
}

/** A bounded label for metrics: difficulty in tenths ("0.5-0.6"), or "none" (embeddings, pinned backends). */
export function difficultyBand(d: number | undefined): string {
  if (d === undefined) return 'none';
  const band = Math.min(9, Math.floor(d * 10));
  return `${(band / 10).toFixed(1)}-${((band + 1) / 10).toFixed(1)}`;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}
