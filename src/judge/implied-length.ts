// How many words a prompt asks the answer to be, when it asks for few: "in 3 words", "at most five words",
// "one word", "a single number", "yes or no", "which option". Pure.
import { wordTokenize } from './word-tokenize.js';

const numberWords: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  a: 1,
  single: 1,
};
const explicit =
  /\b(?:in|with|using|at most|no more than|not more than|maximum of|max(?:imum)?|under|within|up to|exactly)\s+(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a single|a)\s+words?\b/i;
const trailing =
  /\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)\s+words?\s+(?:or less|or fewer|max(?:imum)?|at most)\b/i;
const oneThing =
  /\b(?:answer|reply|respond)\s+(?:only\s+)?(?:with|in)\s+(?:just\s+)?(?:a|one|a single)\s+(?:word|number|letter|name|digit)\b|\b(?:just|only)\s+(?:the|a)\s+(?:number|letter|name|word)\b/i;
const yesNo = /\b(?:answer|reply|respond)\s+(?:only\s+)?(?:with\s+)?["']?yes["']?\s+or\s+["']?no["']?/i;

export function impliedWords(prompt: string): number | undefined {
  const m = explicit.exec(prompt) ?? trailing.exec(prompt);
  if (m?.[1]) {
    const raw = m[1].toLowerCase().replace(/^a single$/, 'single');
    const n = numberWords[raw] ?? Number(raw);
    if (Number.isFinite(n) && n > 0) return n;
  }
  if (oneThing.test(prompt) || yesNo.test(prompt)) return 1;
  return undefined;
}

/**
 * The paper's criterion, exactly: asked for at most N words, the answer's first line, with `**` removed, has more
 * than N tokens as NLTK's word_tokenize counts them (punctuation marks are tokens).
 */
export function firstLineTooLong(answer: string, n: number): boolean {
  const first = answer.trim().split(/\r?\n/)[0] ?? '';
  return wordTokenize(first.replaceAll('**', '')).length > n;
}
