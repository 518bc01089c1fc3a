// Verbosity-compensation features of an answer, in the sense of "Verbosity ≠ Veracity" (Zhang et al. 2024): an
// unsure model pads its answer with hedges, alternatives, repetition and self-corrections, ends without a clear
// conclusion, and (when logprobs are known) shows low confidence; and an answer whose written-out arithmetic is
// false is wrong whatever its tone. Generic text signals, no task-specific rules.
// Pure; no tokenizer (word counts stand in for tokens), so it runs in microseconds.

import { checkArithmetic, normaliseNumber } from './arithmetic.js';

export const answerFeatureNames = [
  'bias',
  'length',
  'length_vs_implied',
  'hedges',
  'alternatives',
  'self_corrections',
  'final_candidates',
  'no_conclusion',
  'abrupt_end',
  'repetition',
  'compressibility',
  'question_numbers_unused',
  'fractional_result',
  'steps',
  'false_arithmetic',
  'unsupported_final',
  'first_token_doubt',
  'mean_logprob_doubt',
] as const;
export const answerFeatureCount = answerFeatureNames.length;

export interface AnswerFeatureInput {
  prompt: string;
  answer: string;
  /** Words the prompt implies (a word, a number, "3 words"...), when it implies few. */
  impliedWords?: number;
  logprobs?: readonly number[];
}

const hedgeRe =
  /\b(might|may|perhaps|possibly|probably|likely|unclear|not sure|uncertain|i think|i believe|it seems|seems to|appears|could be|approximately|roughly|assum(?:e|ing)|estimate)\b/g;
const alternativeRe =
  /\b(alternatively|on the other hand|another possibility|either|depending on|or it could|it depends)\b/g;
const correctionRe =
  /\b(wait|actually|correction|mistake|re-?evaluate|recheck|re-?calculate|let me (?:re|try)|let's (?:re|try again)|however)\b/g;
const conclusionRe = /####|final answer|the answer is|answer:|therefore|thus|in total|in conclusion|so,? the|hence/i;
const numberRe = /-?\d[\d,]*(?:\.\d+)?/g;

export function answerFeatures(input: AnswerFeatureInput): Float64Array {
  const f = new Float64Array(answerFeatureCount);
  const answer = input.answer;
  const lower = answer.toLowerCase();
  const words = lower.split(/\s+/).filter(Boolean);
  const n = words.length || 1;
  const lines = answer.trim().split(/\n+/);
  const lastLine = lines[lines.length - 1] ?? '';
  const answerNumbers = numbersIn(answer);
  const lastNumbers = new Set(numbersIn(lastLine));
  const questionNumbers = new Set(numbersIn(input.prompt));
  const final = answerNumbers[answerNumbers.length - 1];
  f[0] = 1;
  f[1] = Math.log1p(words.length) / 7;
  f[2] = input.impliedWords ? Math.min(Math.log2(words.length / input.impliedWords + 1) / 4, 1) : 0;
  f[3] = Math.min((count(lower, hedgeRe) / n) * 20, 1);
  f[4] = Math.min((count(lower, alternativeRe) / n) * 40, 1);
  f[5] = Math.min((count(lower, correctionRe) / n) * 40, 1);
  f[6] = Math.min(Math.max(lastNumbers.size - 1, 0) / 3, 1);
  // A short answer needs no conclusion marker: these two only speak for answers long enough to need one.
  const long = words.length >= 30;
  f[7] = long && !(conclusionRe.test(lastLine) || conclusionRe.test(answer.slice(-200))) ? 1 : 0;
  f[8] = long && !/[.!?)\]"'`*\d%$]/.test(answer.trimEnd().slice(-1)) ? 1 : 0; // the last character only
  f[9] = repetition(words);
  f[10] = 1 - distinctShare(lower, 5);
  const inAnswer = new Set(answerNumbers); // a Set: prompts and answers full of numbers made this quadratic
  f[11] =
    questionNumbers.size === 0 ? 0 : [...questionNumbers].filter((q) => !inAnswer.has(q)).length / questionNumbers.size;
  f[12] = final !== undefined && /\.\d*[1-9]/.test(final) ? 1 : 0;
  f[13] = Math.min(count(answer, /=/g) / 10, 1);
  const eq = checkArithmetic(answer);
  f[14] = eq.wrong > 0 ? 1 : 0;
  f[15] = final !== undefined && eq.results.size > 0 && !eq.results.has(final) && !questionNumbers.has(final) ? 1 : 0;
  if (input.logprobs && input.logprobs.length > 0) {
    f[16] = 1 - Math.exp(input.logprobs[0]!);
    f[17] = Math.min(-input.logprobs.reduce((s, v) => s + v, 0) / input.logprobs.length, 3) / 3;
  }
  return f;
}

function numbersIn(text: string): string[] {
  return (text.match(numberRe) ?? []).map(normaliseNumber);
}

function count(text: string, re: RegExp): number {
  re.lastIndex = 0;
  let c = 0;
  while (re.exec(text) !== null) c++;
  return c;
}

/** Share of word trigrams that repeat an earlier one. */
function repetition(words: readonly string[]): number {
  if (words.length < 6) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (let i = 2; i < words.length; i++) {
    const k = `${words[i - 2]} ${words[i - 1]} ${words[i]}`;
    if (seen.has(k)) repeats++;
    else seen.add(k);
  }
  return repeats / (words.length - 2);
}

/** Distinct character n-grams over all n-grams: low for compressible (repetitive) text. */
function distinctShare(text: string, n: number): number {
  const total = text.length - n + 1;
  if (total <= 0) return 1;
  const limit = Math.min(total, 4000);
  const seen = new Set<string>();
  for (let i = 0; i < limit; i++) seen.add(text.slice(i, i + n));
  return seen.size / limit;
}
