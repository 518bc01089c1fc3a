// Reads labelled prompts for training and calibration, from JSONL text. Pure.
// Accepted rows (one JSON object a line):
//   RouteLLM style: {"prompt": "...", "weak_correct": bool, "strong_correct": bool, "source"?: "..."}
//   your own logs:  {"prompt": "..." | "messages": [...], "cheap_ok": bool, "strong_ok"?: bool, "source"?: "..."}
// The label is "the strong model does better than the cheap one": strong right and cheap wrong.
import { lastUserText } from '../openai/message-text.js';
import type { ChatMessage } from '../openai/types.js';

export interface LabelledPrompt {
  prompt: string;
  weakCorrect: boolean;
  strongCorrect: boolean;
  source: string;
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
    const prompt = typeof obj.prompt === 'string' ? obj.prompt : Array.isArray(obj.messages) ? lastUserText(obj.messages as ChatMessage[]) : undefined;
    const weak = typeof obj.weak_correct === 'boolean' ? obj.weak_correct : obj.cheap_ok;
    const strong = typeof obj.strong_correct === 'boolean' ? obj.strong_correct : obj.strong_ok ?? true;
    if (prompt === undefined || typeof weak !== 'boolean' || typeof strong !== 'boolean') {
      problems.push(`line ${i + 1}: needs prompt (or messages) and weak_correct/strong_correct (or cheap_ok/strong_ok) booleans`);
      return;
    }
    rows.push({
      prompt, weakCorrect: weak, strongCorrect: strong, source: typeof obj.source === 'string' ? obj.source : 'all',
      ...(typeof obj.weak_response === 'string' && { weakResponse: obj.weak_response }),
      ...(typeof obj.strong_response === 'string' && { strongResponse: obj.strong_response }),
    });
  });
  return { rows, problems };
}

/** The training label: routing this prompt to the strong model gains quality. */
export function strongBetter(row: LabelledPrompt): number {
  return row.strongCorrect && !row.weakCorrect ? 1 : 0;
}

/** Deterministic k-fold assignment, stratified by source so every fold holds the same mix. */
export function foldsOf(rows: readonly LabelledPrompt[], k: number, rand: () => number): number[] {
  const folds = new Array<number>(rows.length);
  const bySource = new Map<string, number[]>();
  rows.forEach((r, i) => bySource.set(r.source, [...(bySource.get(r.source) ?? []), i]));
  for (const idx of bySource.values()) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((row, n) => { folds[row] = n % k; });
  }
  return folds;
}
