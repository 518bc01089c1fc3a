// Reads labelled prompts for training and calibration, from JSONL text. Pure.
// Accepted rows (one JSON object a line):
//   RouteLLM style: {"prompt": "...", "weak_correct": bool, "strong_correct": bool, "source"?: "..."}
//   your own logs:  {"prompt": "..." | "messages": [...], "cheap_ok": bool, "strong_ok"?: bool, "source"?: "..."}
//   Sluice's shadow log: {"features": {hashed, hashed_value, dense}, "input_tokens", "cheap_ok", "strong_ok", "route"}
//     (features computed from the real request; prompts only when the route logged them; undecided rows skipped)
// The label is "the strong model does better than the cheap one": strong right and cheap wrong.
import { lastUserText } from '../openai/message-text.js';
import { denseCount, hashBits, type FeatureVector } from './difficulty-features.js';
import type { ChatMessage } from '../openai/types.js';

export interface LabelledPrompt {
  prompt: string;
  weakCorrect: boolean;
  strongCorrect: boolean;
  source: string;
  /** MMLU rows: the subject (abstract_algebra, ...). */
  subject?: string;
  /** Shadow-log rows: the features of the real request (the prompt may be absent), and its token count. */
  features?: FeatureVector;
  inputTokens?: number;
  /** GSM8K-style rows also carry the answers, for the judge. */
  weakResponse?: string;
  strongResponse?: string;
}

export function parseLabelledJsonl(text: string): { rows: LabelledPrompt[]; problems: string[] } {
  const rows: LabelledPrompt[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const features = featuresFrom(obj.features);
    const prompt =
      typeof obj.prompt === 'string'
        ? obj.prompt
        : Array.isArray(obj.messages)
          ? lastUserText(obj.messages as ChatMessage[])
          : features
            ? ''
            : undefined;
    const weak = typeof obj.weak_correct === 'boolean' ? obj.weak_correct : obj.cheap_ok;
    const strong = typeof obj.strong_correct === 'boolean' ? obj.strong_correct : (obj.strong_ok ?? true);
    if (obj.cheap_ok === null && features) {
      problems.push(`line ${i + 1}: undecided shadow sample`);
      return;
    }
    if (prompt === undefined || typeof weak !== 'boolean' || typeof strong !== 'boolean') {
      problems.push(
        `line ${i + 1}: needs prompt (or messages, or shadow-log features) and weak_correct/strong_correct (or cheap_ok/strong_ok) booleans`,
      );
      return;
    }
    rows.push({
      prompt,
      weakCorrect: weak,
      strongCorrect: strong,
      source: typeof obj.source === 'string' ? obj.source : typeof obj.route === 'string' ? obj.route : 'all',
      ...(typeof obj.subject === 'string' && { subject: obj.subject }),
      ...(features && { features }),
      ...(typeof obj.input_tokens === 'number' && { inputTokens: obj.input_tokens }),
      ...(typeof obj.weak_response === 'string' && { weakResponse: obj.weak_response }),
      ...(typeof obj.strong_response === 'string' && { strongResponse: obj.strong_response }),
    });
  });
  return { rows, problems };
}

/** A shadow log's feature vector, checked against the model's shape; undefined when absent or malformed. */
function featuresFrom(v: unknown): FeatureVector | undefined {
  const f = v as { hashed?: unknown; hashed_value?: unknown; dense?: unknown } | null | undefined;
  if (
    !f ||
    !Array.isArray(f.hashed) ||
    !Array.isArray(f.dense) ||
    typeof f.hashed_value !== 'number' ||
    f.dense.length !== denseCount
  )
    return undefined;
  const max = 1 << hashBits;
  if (
    !f.hashed.every((h) => Number.isInteger(h) && h >= 0 && h < max) ||
    !f.dense.every((d) => typeof d === 'number' && Number.isFinite(d))
  )
    return undefined;
  return {
    hashed: Uint32Array.from(f.hashed as number[]),
    hashedValue: f.hashed_value,
    dense: Float64Array.from(f.dense as number[]),
  };
}

/** The training label: routing this prompt to the strong model gains quality. */
export function strongBetter(row: LabelledPrompt): number {
  return row.strongCorrect && !row.weakCorrect ? 1 : 0;
}

/** Deterministic k-fold assignment, stratified by source so every fold holds the same mix. */
export function foldsOf(rows: readonly LabelledPrompt[], k: number, rand: () => number): number[] {
  const folds = new Array<number>(rows.length);
  const bySource = new Map<string, number[]>();
  rows.forEach((r, i) => {
    bySource.set(r.source, [...(bySource.get(r.source) ?? []), i]);
  });
  for (const idx of bySource.values()) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((row, n) => {
      folds[row] = n % k;
    });
  }
  return folds;
}
