// A chat completion body from its parts: what a wire that speaks another protocol answers the cascade with. Pure.
import type { JsonObject } from './wire-values.js';

export interface ChatCompletionParts {
  id: string;
  created: number;
  model: unknown;
  text: string;
  toolCalls: JsonObject[];
  finishReason: string;
  usage?: JsonObject;
}

export function chatCompletion(p: ChatCompletionParts): JsonObject {
  return {
    id: p.id,
    object: 'chat.completion',
    created: p.created,
    model: p.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: p.text === '' && p.toolCalls.length > 0 ? null : p.text,
          ...(p.toolCalls.length > 0 && { tool_calls: p.toolCalls }),
        },
        logprobs: null,
        finish_reason: p.finishReason,
      },
    ],
    ...(p.usage && { usage: p.usage }),
  };
}
