// Extracts the text a model reads from a request body (chat messages or a legacy prompt). Pure.
import type { ChatMessage } from './types.js';

export function messagesText(messages: readonly ChatMessage[]): string {
  let out = '';
  for (const m of messages) {
    const c = m.content;
    if (typeof c === 'string') out += (out ? '\n' : '') + c;
    else if (Array.isArray(c)) for (const p of c) if (typeof p.text === 'string') out += (out ? '\n' : '') + p.text;
  }
  return out;
}

/** The last user message's text: what the request is asking now (the string itself when it is one). */
export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    return typeof m.content === 'string' ? m.content : messagesText([m]);
  }
  return '';
}

export function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) return prompt.filter((p): p is string => typeof p === 'string').join('\n');
  return '';
}
