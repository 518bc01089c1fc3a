// The Anthropic Messages door (POST /v1/messages): what the Anthropic SDKs and Claude Code speak, translated to a
// chat completions body for the pipeline and back. System prompts (a string or blocks, and `role: "system"`
// messages in the list, which stay system messages), text and image blocks, tool_use and tool_result, tools and
// tool_choice, stop_sequences, sampling fields and metadata.user_id map one to one. Thinking blocks carry
// signatures only an Anthropic backend can check: they are dropped on the way to a chat backend. Pure.
import type { Door } from './door.js';
import { chatToMessage, messagesStream } from './messages-answer.js';
import { messagesToChat } from './messages-request.js';
import type { NativeRequest } from '../shared/native-request.js';

export { anthropicErrorType } from './anthropic-errors.js';
export { chatToMessage, messagesStream } from './messages-answer.js';
export { messagesToChat, parseMessagesRequest } from './messages-request.js';

/** The protocol headers of a client's request that Anthropic backends read. */
export function anthropicHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const v = headers[name];
    if (v !== undefined) passed[name] = Array.isArray(v) ? v.join(',') : v;
  }
  return passed;
}

/** The request as the client sent it, for Anthropic backends, with the protocol headers they read. */
function nativeRequest(
  body: Record<string, unknown>,
  headers: Record<string, string | string[] | undefined>,
): NativeRequest {
  return { protocol: 'anthropic', body, headers: anthropicHeaders(headers) };
}

export const messagesDoor: Door = {
  name: 'messages',
  speaksNatively: (b) => b.protocol === 'anthropic',
  native: nativeRequest,
  toChat: messagesToChat,
  fromChat: (json, ctx) => ({ text: JSON.stringify(chatToMessage(json, ctx)), items: [] }),
  stream: messagesStream,
};
