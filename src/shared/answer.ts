// What an answer is, apart from any wire format or stage: shared by the cascade, the judge and quality. Types only.
import type { BackendConfig } from '../config/schema.js';

export interface ToolCallSoFar {
  id?: string;
  name: string;
  arguments: string;
}

/** What the judge sees of an answer, whole or (streaming holdback) partial. */
export interface AnswerView {
  text: string;
  toolCalls: ToolCallSoFar[];
  finishReason: string | null;
  /** Per-token logprobs of the answer's first choice, when the backend returned them. */
  logprobs?: number[];
  /** The model's own refusal message (OpenAI `message.refusal`). */
  refusal?: string | null;
}

export type Verdict = { kind: 'accept'; score?: number } | { kind: 'escalate'; reason: string; score?: number };

export type JudgeFn = (answer: AnswerView, opts: { partial: boolean; backend: BackendConfig }) => Verdict;
