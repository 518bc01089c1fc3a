// An OpenAI-compatible upstream on 127.0.0.1 that answers with real recorded model answers: each prompt of the
// routing data set maps to what the cheap (Mixtral) and the strong (GPT-4) model said. GSM8K rows carry both real
// answers; MMLU rows only whether each model was right, so their answers are letters derived from that: one
// (hashed) correct letter, which a model that was right picks; a model that was wrong picks another (hashed) letter,
// so two wrong models agree a third of the time on four options. Used by bench:quality and the demo.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countText } from '../src/classify/count-tokens.js';
import type { LabelledPrompt } from '../src/classify/difficulty-data.js';

export interface ReplayRow {
  row: LabelledPrompt;
  weak: string;
  strong: string;
}

const letters = 'ABCDEFGHIJ';

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** The two answers a row replays. */
export function replayAnswers(row: LabelledPrompt): ReplayRow {
  if (row.weakResponse !== undefined && row.strongResponse !== undefined)
    return { row, weak: row.weakResponse, strong: row.strongResponse };
  const options = Math.max(2, new Set([...row.prompt.matchAll(/^\s*\(?([A-J])[.)]\s/gm)].map((m) => m[1])).size);
  const correct = hash(row.prompt) % options;
  const pick = (right: boolean, who: string) =>
    letters[right ? correct : (correct + 1 + (hash(who + row.prompt) % (options - 1))) % options]!;
  return {
    row,
    weak: `The answer is ${pick(row.weakCorrect, 'weak')}.`,
    strong: `The answer is ${pick(row.strongCorrect, 'strong')}.`,
  };
}

export interface ReplayUpstream {
  url: string;
  calls: { weak: number; strong: number; other: number };
  close(): Promise<void>;
}

/**
 * Serves `weakModel` and `strongModel` (the request's `model`), looking the prompt up by the last user message.
 * Any other model (an agreement judge) answers SAME. `latencyMs` is waited before each answer.
 */
export async function startReplayUpstream(
  rows: readonly ReplayRow[],
  o: { weakModel: string; strongModel: string; latencyMs: number },
): Promise<ReplayUpstream> {
  const byPrompt = new Map(rows.map((r) => [r.row.prompt, r]));
  const calls = { weak: 0, strong: 0, other: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model: string;
        messages: Array<{ role: string; content: string }>;
      };
      const prompt = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const found = byPrompt.get(prompt);
      let content: string;
      if (body.model === o.weakModel && found) {
        content = found.weak;
        calls.weak++;
      } else if (body.model === o.strongModel && found) {
        content = found.strong;
        calls.strong++;
      } else {
        content = 'SAME';
        calls.other++;
      }
      const usage = { prompt_tokens: countText(prompt).tokens + 8, completion_tokens: countText(content).tokens };
      const json = JSON.stringify({
        id: `chatcmpl-replay-${calls.weak + calls.strong + calls.other}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: body.model,
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      }, o.latencyMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A deterministic shuffle (Fisher-Yates on a seeded stream). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
