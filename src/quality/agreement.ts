// Whether two answers to one request say the same thing, decided without a model where the answer has a shape
// that can be compared: equal normalised text, equal JSON (JSON mode), the same tool calls, the same chosen letter
// of a multiple-choice question, the same final number. Anything else is `undecided` (a judge backend may decide).
// Pure.
import type { AnswerView } from '../shared/answer.js';

export type Agreement = 'agree' | 'disagree' | 'undecided';

export interface AgreementInput {
  /** The prompt's last user text (multiple-choice options are looked for there). */
  prompt: string;
  /** The request asked for JSON (response_format json_object or json_schema). */
  json: boolean;
}

/** Which check decided, for the log and the tests. */
export type AgreementBasis = 'text' | 'json' | 'tools' | 'choice' | 'number' | 'none';

export function compareAnswers(
  a: AnswerView,
  b: AnswerView,
  input: AgreementInput,
): { agreement: Agreement; basis: AgreementBasis } {
  if (a.toolCalls.length > 0 || b.toolCalls.length > 0)
    return { agreement: sameToolCalls(a, b) ? 'agree' : 'disagree', basis: 'tools' };
  if (normalise(a.text) === normalise(b.text)) return { agreement: 'agree', basis: 'text' };
  if (input.json) {
    const x = parseJson(a.text),
      y = parseJson(b.text);
    if (x.ok && y.ok)
      return { agreement: canonical(x.value) === canonical(y.value) ? 'agree' : 'disagree', basis: 'json' };
  }
  if (hasOptions(input.prompt)) {
    const x = chosenLetter(a.text),
      y = chosenLetter(b.text);
    if (x && y) return { agreement: x === y ? 'agree' : 'disagree', basis: 'choice' };
  }
  const x = finalNumber(a.text),
    y = finalNumber(b.text);
  if (x !== undefined && y !== undefined)
    return { agreement: Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)) ? 'agree' : 'disagree', basis: 'number' };
  return { agreement: 'undecided', basis: 'none' };
}

/** Lower case, Unicode-normalised, punctuation and articles dropped, whitespace collapsed. */
export function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function sameToolCalls(a: AnswerView, b: AnswerView): boolean {
  const key = (v: AnswerView) =>
    v.toolCalls
      .map((c) => {
        const args = parseJson(c.arguments);
        return `${c.name}(${args.ok ? canonical(args.value) : c.arguments})`;
      })
      .sort()
      .join('|');
  return key(a) === key(b);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false };
  }
}

/** JSON with object keys sorted, so that key order does not count. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A prompt that lists lettered options: "A. ...", "(B) ...", "C) ..." on their own lines, at least two of them. */
export function hasOptions(prompt: string): boolean {
  const letters = new Set<string>();
  for (const m of prompt.matchAll(/^\s*\(?([A-J])[.):]\s+\S/gm)) letters.add(m[1]!);
  return letters.size >= 2 && letters.has('A') && letters.has('B');
}

const letterPatterns: readonly RegExp[] = [
  /\banswer(?:\s+is)?\s*[:-]?\s*(?:option\s*)?\(?\**([A-J])\b\**\)?/i,
  /\b(?:option|choice)\s*\(?([A-J])\)?(?:\s+is\s+(?:correct|right))/i,
  /^\s*\**\(?([A-J])\)?\**(?:[.):]|$)/,
  /\*\*\(?([A-J])\)?[.):]?\*\*/,
];

/** The option an answer picks: "The answer is (B)", "Answer: C", "B. Paris", "**D**". */
export function chosenLetter(text: string): string | undefined {
  for (const re of letterPatterns) {
    const m = re.exec(text);
    if (m) return m[1]!.toUpperCase();
  }
  return undefined;
}

/** The answer's final number: after "####" or "answer is" when present, else the last number in the text. */
export function finalNumber(text: string): number | undefined {
  const marked = /####\s*([^\n]*)/.exec(text)?.[1] ?? lastMatch(/\banswer(?: is)?\s*[:=]?\s*([^\n.]*\d[^\n]*)/gi, text);
  const scope = marked ?? text;
  const nums = [...scope.matchAll(/-?\$?\d[\d,]*(?:\.\d+)?/g)].map((m) => Number(m[0].replace(/[$,]/g, '')));
  const pick = marked ? nums[0] : nums[nums.length - 1];
  return pick !== undefined && Number.isFinite(pick) ? pick : undefined;
}

function lastMatch(re: RegExp, text: string): string | undefined {
  let out: string | undefined;
  for (const m of text.matchAll(re)) out = m[1];
  return out;
}
