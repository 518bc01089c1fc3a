// The judge: accept a cheap tier's answer, or escalate with a reason. Pure.
// Reasons: empty, truncated (a length stop the client's own limit did not cause), malformed (JSON mode, schema,
// tool calls), refusal (opt-in), verbose (asked for N words and the first line has more; or the
// verbosity-compensation score passes the route's threshold). A partial answer (streaming holdback) is judged only
// on what cannot change as it grows: the N-words criterion on a finished first line, gross overshoot of an implied
// short answer, and dense hedging.
import type { AnswerView, Verdict } from '../shared/answer.js';
import type { AnswerFeatureInput } from './answer-features.js';
import { firstLineTooLong } from './implied-length.js';
import { malformed, type StructureRequest } from './structure.js';

export interface JudgeSettings {
  verbosity: boolean;
  /** Escalate when the verbosity score is above this. */
  threshold: number;
  refusal: boolean;
}

export interface JudgeRequest {
  prompt: string;
  /** The output limit the client set itself: a `length` stop at it is the client's choice, not a failure. */
  clientMaxTokens: number | undefined;
  impliedWords: number | undefined;
  structure: StructureRequest;
}

export type VerbosityScorer = (input: AnswerFeatureInput) => number;

const refusalRe =
  /^\s*(?:i'?m sorry,? but )?i (?:can(?:no|')t|cannot|won'?t|am unable to|am not able to) (?:help|assist|comply|provide|do that|fulfil)/i;
const hedgeRe = /\b(might|may|perhaps|possibly|not sure|unclear|alternatively|it depends|could be|i think)\b/gi;

export function judgeAnswer(
  answer: AnswerView,
  req: JudgeRequest,
  settings: JudgeSettings,
  score: VerbosityScorer,
  partial: boolean,
): Verdict {
  const text = answer.text;
  if (!partial && text.trim() === '' && answer.toolCalls.length === 0 && !answer.refusal)
    return { kind: 'escalate', reason: 'empty' };
  if (answer.finishReason === 'length' && req.clientMaxTokens === undefined)
    return { kind: 'escalate', reason: 'truncated' };
  if (!partial) {
    const why = malformed(req.structure, text, answer.toolCalls);
    if (why) return { kind: 'escalate', reason: 'malformed' };
  }
  if (settings.refusal && (answer.refusal || refusalRe.test(text))) return { kind: 'escalate', reason: 'refusal' };
  if (!settings.verbosity || answer.toolCalls.length > 0 || req.structure.responseFormat?.type?.startsWith('json'))
    return { kind: 'accept' };
  const n = req.impliedWords;
  if (n !== undefined && (!partial || /\n/.test(text.trim())) && firstLineTooLong(text, n))
    return { kind: 'escalate', reason: 'verbose', score: 1 };
  if (partial) return partialVerdict(text, n);
  // A prompt that asks for a few words is judged by the paper's criterion alone, which the answer met.
  if (n !== undefined) return { kind: 'accept', score: 0 };
  const s = score({
    prompt: req.prompt,
    answer: text,
    ...(n !== undefined && { impliedWords: n }),
    ...(answer.logprobs && { logprobs: answer.logprobs }),
  });
  return s > settings.threshold ? { kind: 'escalate', reason: 'verbose', score: s } : { kind: 'accept', score: s };
}

function partialVerdict(text: string, implied: number | undefined): Verdict {
  const words = text.split(/\s+/).filter(Boolean).length;
  if (implied !== undefined && words > 4 * implied + 8) return { kind: 'escalate', reason: 'verbose', score: 1 };
  const hedges = (text.match(hedgeRe) ?? []).length;
  if (words >= 20 && hedges / words > 0.08) return { kind: 'escalate', reason: 'verbose', score: 1 };
  return { kind: 'accept' };
}
