// Turns a request's text into the difficulty model's inputs: hashed word uni/bi-grams (presence, scaled by
// 1/sqrt(count)) and a few dense features (length, turns, numbers, code, maths, multiple choice, constraints,
// tools, JSON mode, reasoning verbs). Pure and fast: long prompts are sampled, never scanned whole for n-grams.

export const hashBits = 18;
const hashMask = (1 << hashBits) - 1;
const headChars = 12_000;
const tailChars = 4_000;

export const denseNames = [
  'bias', 'input_tokens', 'question_words', 'turns', 'digit_share', 'numbers', 'code', 'math_symbols', 'questions',
  'multiple_choice', 'numeric_options', 'option_length', 'reasoning_verbs', 'constraints', 'tools', 'json_mode',
  'sentences', 'word_length', 'ratios', 'negation', 'long_words', 'capitalised', 'money', 'rates',
] as const;
export const denseCount = denseNames.length;

export interface DifficultyInput {
  /** The text the request asks about now (the last user message, or a legacy prompt). */
  question: string;
  inputTokens: number;
  turns: number;
  tools: boolean;
  jsonMode: boolean;
}

export interface FeatureVector {
  /** Hashed n-gram indices (distinct), each with value `hashedValue`. */
  hashed: Uint32Array;
  hashedValue: number;
  dense: Float64Array;
}

const wordRe = /[a-z]+|\d+(?:[.,]\d+)?|[$%?=+*/^<>]/g;
const reasoningRe = /\b(prove|proof|derive|implement|explain why|justify|calculate|compute|solve|evaluate|determine|optimi[sz]e|design|analy[sz]e)\b/g;
const constraintRe = /\b(at least|at most|exactly|must|only|no more than|no less than|between|without|except)\b/g;
const ratioRe = /%|\b(percent|half|third|quarter|twice|thrice|ratio|fraction|average|rate)\b/g;
const negationRe = /\b(not|except|false|incorrect|least likely|never)\b/g;
const rateRe = /\b(per|each|every|hourly|daily|weekly|monthly|annually)\b/g;
const optionLineRe = /^\s*\(?([A-Ja-j])[.)]\s+(.*)$/gm;

export function extractFeatures(input: DifficultyInput): FeatureVector {
  const full = input.question;
  const text = full.length > headChars + tailChars ? full.slice(0, headChars) + '\n' + full.slice(-tailChars) : full;
  const lower = text.toLowerCase();
  const words: string[] = lower.match(wordRe) ?? [];
  const hashed = hashNgrams(words);
  const dense = new Float64Array(denseCount);
  const numbers = words.filter((w) => w.charCodeAt(0) >= 48 && w.charCodeAt(0) <= 57).length;
  const letters = words.filter((w) => w.charCodeAt(0) >= 97).length || 1;
  const options = [...text.matchAll(optionLineRe)].map((m) => m[2] ?? '');
  const rawWords = text.split(/\s+/).filter(Boolean);
  dense[0] = 1;
  dense[1] = Math.log1p(input.inputTokens) / 10;
  dense[2] = Math.log1p(words.length) / 8;
  dense[3] = Math.min(input.turns, 10) / 10;
  dense[4] = share(text, /\d/g);
  dense[5] = Math.log1p(numbers) / 4;
  dense[6] = /```|\bdef |\bfunction\b|\bclass \w+|;\s*$|\{\s*$/m.test(text) ? 1 : 0;
  dense[7] = Math.log1p(count(text, /[=+*/^√∑∫≤≥≠]/g)) / 4;
  dense[8] = Math.min(count(text, /\?/g), 5) / 5;
  dense[9] = options.length >= 3 ? 1 : 0;
  dense[10] = options.length > 0 ? options.filter((o) => /^[-\d.,/\s$%()√^+*=a-z]{1,24}$/i.test(o) && /\d/.test(o)).length / options.length : 0;
  dense[11] = options.length > 0 ? Math.log1p(options.reduce((s, o) => s + o.length, 0) / options.length) / 5 : 0;
  dense[12] = Math.min(count(lower, reasoningRe), 4) / 4;
  dense[13] = Math.min(count(lower, constraintRe), 4) / 4;
  dense[14] = input.tools ? 1 : 0;
  dense[15] = input.jsonMode ? 1 : 0;
  dense[16] = Math.log1p(count(text, /[.!?](\s|$)/g)) / 4;
  dense[17] = Math.min(words.reduce((s, w) => s + w.length, 0) / (words.length || 1), 12) / 12;
  dense[18] = Math.min(count(lower, ratioRe), 4) / 4;
  dense[19] = Math.min(count(lower, negationRe), 3) / 3;
  dense[20] = words.filter((w) => w.length >= 10).length / letters;
  dense[21] = rawWords.filter((w) => /^[A-Z][a-z]/.test(w)).length / (rawWords.length || 1);
  dense[22] = text.includes('$') ? 1 : 0;
  dense[23] = Math.min(count(lower, rateRe), 4) / 4;
  return { hashed, hashedValue: hashed.length > 0 ? 1 / Math.sqrt(hashed.length) : 0, dense };
}

function hashNgrams(words: readonly string[]): Uint32Array {
  const seen = new Set<number>();
  let prev = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const h = fnv1a(w, 0x811c9dc5);
    seen.add(h & hashMask);
    if (i > 0) seen.add((Math.imul(prev ^ 0x9e3779b9, 0x85ebca6b) ^ h) & hashMask);
    prev = h;
  }
  return Uint32Array.from(seen);
}

function fnv1a(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function count(text: string, re: RegExp): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
}

function share(text: string, re: RegExp): number {
  return text.length === 0 ? 0 : count(text, re) / text.length;
}
