// Replays a cached JSON chat completion as an OpenAI stream: a role chunk, the content, the finish chunk, the
// usage chunk when the client asked for it. Pure.
// The stored answer is what a backend sent, of any shape: entries that are not where they belong are skipped.
import { asObject, asString } from '../openai/wire-values.js';

export function completionToChunks(json: Record<string, unknown>, includeUsage: boolean): string[] {
  const head = {
    id: json.id,
    object: 'chat.completion.chunk',
    created: json.created,
    model: json.model,
    system_fingerprint: json.system_fingerprint ?? null,
  };
  const choices = Array.isArray(json.choices) ? json.choices : [];
  const chunks = choices.flatMap((c: unknown, i: number) => {
    const choice = asObject(c);
    if (!choice) return [];
    const message = asObject(choice.message);
    const index = Number.isSafeInteger(choice.index) ? choice.index : i;
    const delta: Record<string, unknown> = { role: 'assistant', content: asString(message?.content) ?? '' };
    if (Array.isArray(message?.tool_calls))
      delta.tool_calls = message.tool_calls.flatMap((t: unknown, n: number) => {
        const call = asObject(t);
        return call ? [{ index: n, ...call }] : [];
      });
    return [
      JSON.stringify({ ...head, choices: [{ index, delta, logprobs: null, finish_reason: null }] }),
      JSON.stringify({
        ...head,
        choices: [{ index, delta: {}, logprobs: null, finish_reason: asString(choice.finish_reason) ?? 'stop' }],
      }),
    ];
  });
  if (includeUsage && json.usage) chunks.push(JSON.stringify({ ...head, choices: [], usage: json.usage }));
  return chunks;
}
