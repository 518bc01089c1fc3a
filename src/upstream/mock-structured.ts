// What the simulated model answers when a chat request asks for structure: JSON mode, a json_schema, or tools.
// A sure model answers well formed, so SDK code that parses structured output works against the demo config; an
// unsure one wraps its JSON in hedging prose or cuts a tool call's arguments short, as weak models do, so the
// cascade's malformed check can be seen escalating. Deterministic and pure.
import { isJsonMode } from '../openai/response-format.js';
import type { ChatMessage } from '../openai/types.js';

export type StructuredAnswer = { kind: 'json'; text: string } | { kind: 'tool_call'; name: string; arguments: string };

interface Schema {
  type?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
}

interface FunctionTool {
  type?: unknown;
  function?: { name?: unknown; parameters?: Schema };
}

/**
 * The structured answer the request asks for, or undefined for plain text. `words` is the answer the model would
 * give in prose; `hedge` the phrase an unsure model opens with.
 */
export function structuredAnswer(
  body: Record<string, unknown>,
  words: readonly string[],
  unsure: boolean,
  hedge: string,
): StructuredAnswer | undefined {
  const tool = chosenTool(body);
  if (tool) {
    const args = JSON.stringify(example(tool.parameters ?? {}, words));
    // Unsure: the arguments stop short of their closing brace, as a model that loses its way mid-call.
    return { kind: 'tool_call', name: tool.name, arguments: unsure ? args.slice(0, -1) : args };
  }
  if (!isJsonMode(body)) return undefined;
  const format = body.response_format as { type: string; json_schema?: { schema?: Schema } };
  const value =
    format.type === 'json_schema' && format.json_schema?.schema
      ? example(format.json_schema.schema, words)
      : { answer: words.join(' '), simulated: true };
  const json = JSON.stringify(value);
  return { kind: 'json', text: unsure ? `${hedge}: ${json}` : json };
}

/** The function the model calls: the one tool_choice names, else the first offered, unless the turn is over. */
function chosenTool(body: Record<string, unknown>): { name: string; parameters?: Schema } | undefined {
  const tools = (Array.isArray(body.tools) ? body.tools : []) as FunctionTool[];
  const functions = tools.filter((t) => t?.type === 'function' && typeof t.function?.name === 'string');
  if (functions.length === 0) return undefined;
  const choice = body.tool_choice as string | { function?: { name?: unknown } } | undefined;
  if (choice === 'none') return undefined;
  const named =
    typeof choice === 'object' && choice !== null
      ? functions.find((t) => t.function!.name === choice.function?.name)
      : undefined;
  // With `auto`, a model that has just been given a tool's result answers in words.
  const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
  if (!named && choice !== 'required' && messages.at(-1)?.role === 'tool') return undefined;
  const fn = (named ?? functions[0]!).function!;
  return { name: fn.name as string, ...(fn.parameters && { parameters: fn.parameters }) };
}

/** A value of the schema's shape, filled from the answer's words. */
export function example(schema: Schema, words: readonly string[], depth = 0): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return words.slice(0, 4).join(' ');
    case 'number':
      return words.length / 2;
    case 'integer':
      return words.length;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return depth < 4 && schema.items ? [example(schema.items, words, depth + 1)] : [];
    default: {
      const out: Record<string, unknown> = {};
      if (depth < 4)
        for (const [key, prop] of Object.entries(schema.properties ?? {}))
          out[key] = example(prop ?? {}, words, depth + 1);
      return out;
    }
  }
}
