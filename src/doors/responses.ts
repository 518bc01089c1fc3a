// The OpenAI Responses door (POST /v1/responses), stateless: what the OpenAI SDKs' responses.create, the Vercel AI
// SDK's default provider, the Agents SDK and Codex speak, translated to a chat completions body and back. Input as a
// string or items (messages, function_call, function_call_output, input_image), instructions, function tools,
// tool_choice, text.format, max_output_tokens, reasoning effort. What needs server-side state or OpenAI's own tools
// (previous_response_id, conversation, background, web_search, file_search, ...) is refused by name. Pure.
import { type Door, invalid, type ItemReferences } from './door.js';
import { asObject } from '../openai/wire-values.js';
import { chatToResponse } from './responses-answer.js';
import { responsesToChat } from './responses-request.js';
import { responsesStream } from './responses-stream.js';

export { chatToResponse, responsesStream, responsesToChat };
export { parseResponsesRequest } from './responses-request.js';

/** How long output items are kept for item_reference (the AI SDK refers to earlier items when store is not false). */
export const itemTtlMs = 6 * 3_600_000;

const isReference = (v: unknown): v is { type: 'item_reference'; id: string } =>
  asObject(v)?.type === 'item_reference' && typeof asObject(v)?.id === 'string';

/** Stateless except for this: output items kept by id, so a later request can refer to them instead of resending. */
export const responseItems: ItemReferences = {
  keeps: (body) => body.store !== false,
  ttlMs: itemTtlMs,
  references: (body) => (Array.isArray(body.input) ? body.input.filter(isReference).map((r) => r.id) : []),
  resolve(body, found) {
    const input = (body.input as unknown[]).map((item, i) => {
      if (!isReference(item)) return item;
      const hit = found.get(item.id);
      if (!hit)
        throw invalid(
          `input[${i}]`,
          `Item '${item.id.slice(0, 80)}' not found: Sluice keeps output items for ${itemTtlMs / 3_600_000} hours; send the item itself (or store: false).`,
        );
      return hit;
    });
    return { ...body, input };
  },
};

export const responsesDoor: Door = {
  name: 'responses',
  speaksNatively: (b) => b.endpoints.includes('responses'),
  native: (body) => ({ protocol: 'openai-responses', body, headers: {} }),
  toChat: responsesToChat,
  fromChat: chatToResponse,
  stream: responsesStream,
  items: responseItems,
};
