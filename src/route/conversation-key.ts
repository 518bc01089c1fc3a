// Which conversation a request continues, for prompt-cache affinity: the client's prompt_cache_key, else its user,
// else an x-session-id header, else, once it has earlier turns, a hash of its stable start (system prompts, tools
// and the first user message, which every later turn resends unchanged). A first turn without a key continues
// nothing: undefined. Pure.
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../openai/types.js';

export function conversationKey(body: Record<string, unknown>, sessionHeader: unknown): string | undefined {
  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '') return `k:${body.prompt_cache_key}`;
  if (typeof body.user === 'string' && body.user !== '') return `u:${body.user}`;
  if (typeof sessionHeader === 'string' && sessionHeader !== '') return `s:${sessionHeader}`;
  const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
  if (!messages.some((m) => m.role === 'assistant' || m.role === 'tool')) return undefined;
  const hash = createHash('sha256');
  if (body.tools !== undefined) hash.update(JSON.stringify(body.tools));
  for (const m of messages) {
    hash.update(m.role);
    const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? null);
    // Its length and both ends name a long text well enough, without hashing megabytes on every turn.
    hash.update(text.length > 16_384 ? `${text.length}:${text.slice(0, 8_192)}${text.slice(-8_192)}` : text);
    if (m.role === 'user') break;
  }
  return `h:${hash.digest('base64url').slice(0, 22)}`;
}
