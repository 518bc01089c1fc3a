// The Messages door's requests: an Anthropic Messages body checked and translated to a chat completions body.
// System prompts (a string or blocks, and `role: "system"` messages in the list, which stay system messages), text
// and image blocks, tool_use and tool_result, tools and tool_choice, stop_sequences, metadata.user_id and
// output_config map one to one; thinking blocks, which only an Anthropic backend can check, are dropped. Pure.
import { z } from 'zod';
import { invalid } from './door.js';
import { asObject } from '../openai/wire-values.js';
import { firstIssue } from '../shared/schema-issue.js';
import { isPlainMessages } from './plain-bodies.js';

const block = z.looseObject({ type: z.string().min(1) });
const content = z.union([z.string(), z.array(block)]);
/** The shape checked (exported for the test holding the plain-body check to it). */
export const messagesBodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant', 'system']), content })),
  system: content.nullish(),
  stream: z.boolean().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.int().nonnegative().nullish(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).nullish(),
  tool_choice: z.looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() }).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  output_config: z
    .looseObject({
      effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
      format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
    })
    .nullish(),
});

type Block = Record<string, unknown> & { type: string };

/** Validates a Messages request (the fields Sluice needs, and their shapes); a 400 names the first bad field. */
export function parseMessagesRequest(body: unknown): z.output<typeof messagesBodySchema> {
  const raw = asObject(body);
  if (!raw) throw invalid('body', 'the request body must be a JSON object');
  if (isPlainMessages(raw)) return raw as z.output<typeof messagesBodySchema>;
  const result = messagesBodySchema.safeParse(body);
  if (result.success) return result.data;
  const { param, missing, message } = firstIssue(result.error, body as Record<string, unknown>);
  throw invalid(param, missing ? `${param}: Field required` : `${param}: ${message}`);
}

function textOf(c: string | Block[] | null | undefined, where: string): string {
  if (c == null) return '';
  if (typeof c === 'string') return c;
  return c
    .map((b, i) => {
      if (b.type === 'text') return String(b.text ?? '');
      throw invalid(`${where}[${i}]`, `${where}[${i}]: a ${b.type} block cannot be sent here; only text`);
    })
    .join('\n\n');
}

function imagePart(b: Block, where: string): Record<string, unknown> {
  const src = asObject(b.source);
  if (src?.type === 'base64')
    return { type: 'image_url', image_url: { url: `data:${String(src.media_type)};base64,${String(src.data)}` } };
  if (src?.type === 'url') return { type: 'image_url', image_url: { url: String(src.url) } };
  throw invalid(`${where}.source`, `${where}.source: an image needs a base64 or url source`);
}

/** One Anthropic message as one or more chat messages (tool results become tool messages, first). */
function toChatMessages(
  role: 'user' | 'assistant' | 'system',
  c: string | Block[],
  where: string,
): Array<Record<string, unknown>> {
  if (role === 'system') return [{ role: 'system', content: textOf(c, `${where}.content`) }];
  if (typeof c === 'string') return [{ role, content: c }];
  const out: Array<Record<string, unknown>> = [];
  const parts: Array<Record<string, unknown>> = [];
  const toolCalls: Array<Record<string, unknown>> = [];
  c.forEach((b, i) => {
    const at = `${where}.content[${i}]`;
    switch (b.type) {
      case 'text':
        parts.push({ type: 'text', text: String(b.text ?? '') });
        break;
      case 'image':
        parts.push(imagePart(b, at));
        break;
      case 'tool_use':
        if (role !== 'assistant') throw invalid(at, `${at}: tool_use blocks belong to assistant messages`);
        toolCalls.push({
          id: String(b.id),
          type: 'function',
          function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
        });
        break;
      case 'tool_result': {
        if (role !== 'user') throw invalid(at, `${at}: tool_result blocks belong to user messages`);
        const result = b.content as string | Block[] | undefined;
        const text =
          typeof result === 'string'
            ? result
            : Array.isArray(result)
              ? result
                  .filter((r) => r.type === 'text')
                  .map((r) => String(r.text ?? ''))
                  .join('\n\n')
              : '';
        out.push({
          role: 'tool',
          tool_call_id: String(b.tool_use_id),
          content: b.is_error === true ? `Error: ${text}` : text,
        });
        break;
      }
      case 'thinking':
      case 'redacted_thinking':
        break; // signed by Anthropic; a chat backend can neither read nor check it
      case 'document':
        if (asObject(b.source)?.type === 'text') {
          parts.push({ type: 'text', text: String(asObject(b.source)!.data ?? '') });
          break;
        }
        throw invalid(at, `${at}: only text documents can be sent to this route's backends`);
      default:
        throw invalid(at, `${at}: unsupported content block type '${b.type}'`);
    }
  });
  if (role === 'assistant') {
    const text = parts
      .filter((p) => p.type === 'text')
      .map((p) => p.text as string)
      .join('');
    if (text !== '' || toolCalls.length > 0)
      out.push({ role, content: text === '' ? null : text, ...(toolCalls.length > 0 && { tool_calls: toolCalls }) });
  } else if (parts.length > 0) {
    out.push({ role, content: parts.every((p) => p.type === 'text') && parts.length === 1 ? parts[0]!.text : parts });
  }
  return out;
}

function toolChoice(tc: { type: string; name?: string | undefined }): unknown {
  switch (tc.type) {
    case 'any':
      return 'required';
    case 'tool':
      return { type: 'function', function: { name: tc.name ?? '' } };
    case 'none':
      return 'none';
    default:
      return 'auto';
  }
}

export function messagesToChat(raw: unknown, opts: { nativeOnly?: boolean } = {}): Record<string, unknown> {
  const req = parseMessagesRequest(raw);
  const messages: Array<Record<string, unknown>> = [];
  if (req.system != null) {
    const text = textOf(req.system as string | Block[], 'system');
    if (text !== '') messages.push({ role: 'system', content: text });
  }
  req.messages.forEach((m, i) => {
    messages.push(...toChatMessages(m.role, m.content as string | Block[], `messages[${i}]`));
  });
  if (messages.length === 0) throw invalid('messages', 'messages: at least one message is required');
  const tools = req.tools?.flatMap((t, i) => {
    if (t.input_schema === undefined || (typeof t.type === 'string' && t.type !== 'custom')) {
      // Anthropic's server tools (web search, code execution, ...): Anthropic backends run them.
      if (opts.nativeOnly) return [];
      throw invalid(
        `tools[${i}]`,
        `tools[${i}]: server tool '${String(t.type ?? t.name)}' cannot be served by this route's backends; only custom tools with an input_schema`,
      );
    }
    return {
      type: 'function',
      function: {
        name: t.name,
        ...(typeof t.description === 'string' && { description: t.description }),
        parameters: t.input_schema,
      },
    };
  });
  const tc = req.tool_choice;
  return {
    model: req.model,
    messages,
    max_tokens: req.max_tokens,
    ...(req.stream === true && { stream: true, stream_options: { include_usage: true } }),
    ...(req.stop_sequences && req.stop_sequences.length > 0 && { stop: req.stop_sequences }),
    ...(req.temperature != null && { temperature: req.temperature }),
    ...(req.top_p != null && { top_p: req.top_p }),
    ...(tools && tools.length > 0 && { tools }),
    ...(tc && tools && tools.length > 0 && { tool_choice: toolChoice(tc) }),
    ...(tc?.disable_parallel_tool_use === true && tools && tools.length > 0 && { parallel_tool_calls: false }),
    ...(typeof req.metadata?.user_id === 'string' && { user: req.metadata.user_id }),
    // Structured output and effort: OpenAI's json_schema response format and reasoning_effort (its top is high).
    ...(req.output_config?.format && {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'output', schema: req.output_config.format.schema },
      },
    }),
    ...(req.output_config?.effort && {
      reasoning_effort:
        req.output_config.effort === 'low' || req.output_config.effort === 'medium' ? req.output_config.effort : 'high',
    }),
  };
}
