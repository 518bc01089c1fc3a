// Replays a cached JSON chat completion as an OpenAI stream: a role chunk, the content, the finish chunk, the
// usage chunk when the client asked for it. Pure.
import type { ChatCompletion } from '../openai/types.js';

export function completionToChunks(json: ChatCompletion, includeUsage: boolean): string[] {
  const head = { id: json.id, object: 'chat.completion.chunk', created: json.created, model: json.model, system_fingerprint: json.system_fingerprint ?? null };
  const chunks = (json.choices ?? []).flatMap((c) => {
    const message = c.message ?? { role: 'assistant' };
    const index = c.index ?? 0;
    const delta: Record<string, unknown> = { role: 'assistant', content: typeof message.content === 'string' ? message.content : '' };
    if (message.tool_calls) delta.tool_calls = message.tool_calls.map((t, i) => ({ index: i, ...t }));
    return [
      JSON.stringify({ ...head, choices: [{ index, delta, logprobs: null, finish_reason: null }] }),
      JSON.stringify({ ...head, choices: [{ index, delta: {}, logprobs: null, finish_reason: c.finish_reason ?? 'stop' }] }),
    ];
  });
  if (includeUsage && json.usage) chunks.push(JSON.stringify({ ...head, choices: [], usage: json.usage }));
  return chunks;
}
