// A deterministic simulated model for demos, tests and benchmarks: no network, clearly labelled as simulated.
// A mock backend has a `skill`; on prompts that look harder than its skill it becomes unsure and, like real
// models, pads its answer with hedges and alternatives (verbosity compensation). Pure: same request, same answer.
import { countText } from '../classify/count-tokens.js';
import { impliedWords } from '../judge/implied-length.js';
import type { MockConfig } from '../config/schema.js';
import { structuredAnswer } from './mock-structured.js';

export interface MockAnswer {
  /** The answer's content ('' when it is a tool call). */
  text: string;
  /** A call of one of the request's tools instead of content. */
  toolCall?: { name: string; arguments: string };
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
  unsure: boolean;
}

const hardWords =
  /\b(prove|proof|derive|derivation|implement|algorithm|theorem|optimi[sz]e|complexity|formal|rigorous|step[- ]by[- ]step|why|integral|lemma|concurrency|distributed|architecture|trade-?offs?)\b/gi;

/** How hard the prompt looks to the mock: a crude, deterministic signal from words, length and maths. */
export function perceivedDifficulty(prompt: string): number {
  const hard = (prompt.match(hardWords) ?? []).length;
  const words = prompt.split(/\s+/).filter(Boolean).length;
  const maths = (prompt.match(/[=+*/^]|\d+/g) ?? []).length;
  const score = 0.15 + 0.2 * Math.min(hard, 3) + 0.15 * Math.min(words / 200, 1) + 0.1 * Math.min(maths / 10, 1);
  return Math.min(1, score);
}

const vocabulary = [
  'the',
  'answer',
  'follows',
  'from',
  'given',
  'facts',
  'so',
  'we',
  'combine',
  'each',
  'part',
  'and',
  'check',
  'result',
  'which',
  'holds',
  'in',
  'this',
  'case',
  'first',
  'then',
  'value',
  'is',
  'clear',
  'because',
  'rule',
  'applies',
  'directly',
  'here',
  'number',
  'equals',
  'total',
  'step',
  'gives',
  'final',
  'short',
  'simple',
  'exact',
  'known',
  'method',
];
const hedges = [
  "I'm not entirely sure, but it could be",
  'Alternatively, it might be',
  'It depends on several factors, however it may also be',
  'On the other hand, one could argue it is',
  'It is possible that the answer is',
  'Perhaps, although I cannot be certain, it is',
];

/** `body` is a chat request's: JSON mode, a json_schema or tools get a structured answer (mock-structured.ts). */
export function mockAnswer(opts: {
  model: string;
  mock: MockConfig;
  prompt: string;
  promptTokens: number;
  maxTokens: number | undefined;
  body?: Record<string, unknown>;
}): MockAnswer {
  const { mock, prompt } = opts;
  const seed = hash32(prompt);
  const unsure = mock.verboseWhenUnsure && perceivedDifficulty(prompt) > mock.skill;
  const short = impliedWords(prompt);
  const structured =
    opts.body &&
    structuredAnswer(opts.body, plainWords(seed, short ?? mock.answerTokens), unsure, hedges[seed % hedges.length]!);
  if (structured) {
    const full = structured.kind === 'json' ? structured.text : structured.arguments;
    // Over the client's limit, the output stops mid-way, as a real model's does.
    const fit = withinTokens(full, opts.maxTokens);
    const finishReason =
      fit.text.length < full.length ? 'length' : structured.kind === 'tool_call' ? 'tool_calls' : 'stop';
    const base = { finishReason, promptTokens: opts.promptTokens, completionTokens: fit.tokens, unsure } as const;
    return structured.kind === 'json'
      ? { text: fit.text, ...base }
      : { text: '', toolCall: { name: structured.name, arguments: fit.text }, ...base };
  }
  const words = unsure
    ? hedgedWords(seed, Math.max(short ?? 0, mock.answerTokens) * 3)
    : plainWords(seed, short ?? mock.answerTokens);
  let out = words;
  let finishReason: MockAnswer['finishReason'] = 'stop';
  if (opts.maxTokens !== undefined && out.length > opts.maxTokens) {
    out = out.slice(0, opts.maxTokens);
    finishReason = 'length';
  }
  const label = `[simulated ${opts.model}]`;
  const body = unsure || finishReason === 'length' ? out.join(' ') : `${out.join(' ')}.`;
  const full =
    short !== undefined && !unsure ? capitalise(body) : `${label} ${unsure ? body : `So, the answer is ${body}`}`;
  // The label and the words' own tokens can take the answer past the client's limit: cut it there, as a model stops.
  const fit = withinTokens(full, opts.maxTokens);
  if (fit.text.length < full.length) finishReason = 'length';
  return { text: fit.text, finishReason, promptTokens: opts.promptTokens, completionTokens: fit.tokens, unsure };
}

/** The longest start of `text` of at most `max` tokens (all of it without a limit), ended at a word when one fits. */
function withinTokens(text: string, max: number | undefined): { text: string; tokens: number } {
  const tokens = (s: string) => countText(s, { exact: true }).tokens;
  const all = tokens(text);
  if (max === undefined || all <= max) return { text, tokens: all };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (tokens(text.slice(0, mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  const space = text.lastIndexOf(' ', lo);
  const cut = (space > 0 ? text.slice(0, space) : text.slice(0, lo)).trimEnd();
  return { text: cut, tokens: tokens(cut) };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function plainWords(seed: number, n: number): string[] {
  const out: string[] = [];
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(vocabulary[(x >>> 8) % vocabulary.length]!);
  }
  return out;
}

function hedgedWords(seed: number, n: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (out.length < n) {
    const hedge = hedges[(seed + i) % hedges.length] ?? hedges[0]!;
    out.push(...hedge.split(' '), `option-${((seed + i) % 4) + 1}.`);
    i++;
  }
  return out.slice(0, n);
}

/** FNV-1a, for deterministic choices from text. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic unit-length embedding of `dims` floats. */
export function mockEmbedding(input: string, dims = 64): Float32Array {
  const v = new Float32Array(dims);
  let h = hash32(input) || 1;
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    h >>>= 0;
    v[i] = (h / 0xffffffff) * 2 - 1;
    norm += v[i]! * v[i]!;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] = v[i]! * scale;
  return v;
}
