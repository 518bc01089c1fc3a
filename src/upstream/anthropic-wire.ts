// The Anthropic Messages protocol behind Sluice (`protocol: anthropic` backends): a chat completions body as an
// Anthropic request, and Anthropic's message (or its stream of events) as a chat completion (or its chunks), so
// the cascade, judge and accounting see one protocol. System and developer messages go to the top-level system
// prompt, tool calls to tool_use blocks and tool messages to tool_result blocks (consecutive turns of one role
// merged, as Anthropic requires), images to image blocks, json_schema to output_config.format. Usage carries cache
// reads as cached input and cache writes (5 minutes and 1 hour) for their own prices. Pure.
import type { Wire } from './openai-upstream.js';
import type { SseEvent } from './sse-parser.js';
import { chatCompletion } from '../openai/chat-completion.js';
import { asObject, countOrZero } from '../openai/wire-values.js';
import { httpFailure, UpstreamFailure } from './upstream-failure.js';

type Json = Record<string, unknown>;

/** Anthropic requires max_tokens; a request without one gets this. */
export const defaultMaxTokens = 4_096;
export const anthropicVersion = '2023-06-01';

function imageBlock(url: string): Json {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function contentBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const out: Json[] = [];
  for (const p of content) {
    const part = asObject(p);
    if (typeof part?.text === 'string' && part.text !== '') out.push({ type: 'text', text: part.text });
    else if (part?.type === 'image_url') {
      const url = asObject(part.image_url)?.url;
      if (typeof url === 'string') out.push(imageBlock(url));
    }
  }
  return out;
}

const textOf = (content: unknown) =>
  contentBlocks(content)
    .map((b) => (b.type === 'text' ? (b.text as string) : ''))
    .join('\n\n');

function parseInput(args: unknown): Json {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    return asObject(JSON.parse(args)) ?? {};
  } catch {
    return {};
  }
}

function toolChoice(tc: unknown, parallel: unknown): Json | undefined {
  const off = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (tc === 'required') return { type: 'any', ...off };
  if (tc === 'none') return { type: 'none' };
  const name = asObject(asObject(tc)?.function)?.name;
  if (typeof name === 'string') return { type: 'tool', name, ...off };
  return tc === 'auto' || parallel === false ? { type: 'auto', ...off } : undefined;
}

/** A chat completions body (model already the backend's) as an Anthropic Messages request. */
export function chatToAnthropic(body: Json): Json {
  const system: string[] = [];
  const messages: Array<{ role: 'user' | 'assistant'; content: Json[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of (body.messages as Json[] | undefined) ?? []) {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textOf(m.content);
        if (text !== '') system.push(text);
        break;
      }
      case 'assistant': {
        const blocks = contentBlocks(m.content);
        for (const c of (m.tool_calls as Json[] | undefined) ?? []) {
          const fn = asObject(c.function);
          blocks.push({ type: 'tool_use', id: String(c.id), name: String(fn?.name), input: parseInput(fn?.arguments) });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
      case 'function':
        push('user', [
          { type: 'tool_result', tool_use_id: String(m.tool_call_id ?? m.name ?? ''), content: textOf(m.content) },
        ]);
        break;
      default:
        push('user', contentBlocks(m.content));
    }
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as Json[]).flatMap((t) => {
        const fn = asObject(t.function);
        if (!fn || typeof fn.name !== 'string') return [];
        return [
          {
            name: fn.name,
            ...(typeof fn.description === 'string' && { description: fn.description }),
            input_schema: asObject(fn.parameters) ?? { type: 'object', properties: {} },
          },
        ];
      })
    : [];
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop : undefined;
  const format = asObject(body.response_format);
  const schema =
    format?.type === 'json_schema'
      ? asObject(asObject(format.json_schema)?.schema)
      : format?.type === 'json_object'
        ? { type: 'object' }
        : undefined;
  const effort = body.reasoning_effort;
  const tc = tools.length > 0 ? toolChoice(body.tool_choice, body.parallel_tool_calls) : undefined;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens;
  return {
    model: body.model,
    max_tokens: maxTokens,
    messages,
    ...(system.length > 0 && { system: system.join('\n\n') }),
    ...(stop && stop.length > 0 && { stop_sequences: stop }),
    ...(typeof body.temperature === 'number' && { temperature: Math.min(1, body.temperature) }),
    ...(typeof body.top_p === 'number' && { top_p: body.top_p }),
    ...(tools.length > 0 && { tools }),
    ...(tc && { tool_choice: tc }),
    ...((schema || typeof effort === 'string') && {
      output_config: {
        ...(schema && { format: { type: 'json_schema', schema } }),
        ...(effort === 'low' || effort === 'medium' || effort === 'high' ? { effort } : {}),
      },
    }),
    ...(typeof body.user === 'string' && { metadata: { user_id: body.user } }),
    ...(body.stream === true && { stream: true }),
  };
}

function finishReason(stop: unknown): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Anthropic usage as chat usage: prompt tokens are all input (cache reads and writes included). */
export function chatUsage(u: Json | undefined): Json {
  const read = countOrZero(u?.cache_read_input_tokens);
  const written = countOrZero(u?.cache_creation_input_tokens);
  const split = asObject(u?.cache_creation);
  const hour = countOrZero(split?.ephemeral_1h_input_tokens);
  const prompt = countOrZero(u?.input_tokens) + read + written;
  const output = countOrZero(u?.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: {
      cached_tokens: read,
      cache_write_tokens: Math.max(0, written - hour),
      cache_write_1h_tokens: Math.min(hour, written),
    },
  };
}

/** An Anthropic message as a chat completion. */
export function anthropicToChat(msg: Json): Json {
  const blocks = Array.isArray(msg.content) ? (msg.content as Json[]) : [];
  const text = blocks
    .filter((b) => b.type === 'text')
    .map((b) => String(b.text ?? ''))
    .join('');
  const calls = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({
      id: String(b.id),
      type: 'function',
      function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
    }));
  return chatCompletion({
    id: `chatcmpl-${String(msg.id ?? '').replace(/^msg_/, '')}`,
    created: 0,
    model: msg.model,
    text,
    toolCalls: calls,
    finishReason: finishReason(msg.stop_reason),
    usage: chatUsage(asObject(msg.usage)),
  });
}

const errorStatus: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/**
 * Turns a stream of Anthropic events into chat chunk events, [DONE] after message_stop. Throws on `error`.
 * `native`: each chunk also carries, in `_native`, the Anthropic events it came from (and those before it that
 * made no chunk: pings, thinking, signatures, block ends) as [type, data] pairs, for the Messages door to send on
 * as they came.
 */
export function anthropicStreamTranslator(native = false): (events: readonly SseEvent[]) => SseEvent[] {
  let head: Json = {};
  let usage: Json = {};
  let toolIndex = -1;
  const tools = new Map<number, number>(); // content block index → tool call index
  let raw: Array<[string, string]> = [];
  const take = () => {
    const r = raw;
    raw = [];
    return r;
  };
  const chunk = (delta: Json, finish: string | null = null): SseEvent => ({
    data: JSON.stringify({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(native && { _native: take() }),
    }),
  });
  return (events) => {
    const out: SseEvent[] = [];
    for (const ev of events) {
      let data: Json | undefined;
      try {
        data = asObject(JSON.parse(ev.data));
      } catch {
        throw new UpstreamFailure('protocol', 'an Anthropic stream event is not JSON');
      }
      if (native && data?.type !== 'error') raw.push([String(data?.type), ev.data]);
      switch (data?.type) {
        case 'message_start': {
          const m = asObject(data.message) ?? {};
          head = {
            id: `chatcmpl-${String(m.id ?? '').replace(/^msg_/, '')}`,
            object: 'chat.completion.chunk',
            created: 0,
            model: m.model,
          };
          usage = { ...asObject(m.usage) };
          out.push(chunk({ role: 'assistant', content: '' }));
          break;
        }
        case 'content_block_start': {
          const block = asObject(data.content_block);
          if (block?.type === 'tool_use') {
            tools.set(Number(data.index), ++toolIndex);
            out.push(
              chunk({
                tool_calls: [
                  { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
                ],
              }),
            );
          } else if (block?.type === 'text' && typeof block.text === 'string' && block.text !== '') {
            out.push(chunk({ content: block.text }));
          }
          break;
        }
        case 'content_block_delta': {
          const d = asObject(data.delta);
          if (d?.type === 'text_delta' && typeof d.text === 'string') out.push(chunk({ content: d.text }));
          else if (d?.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
            const index = tools.get(Number(data.index)) ?? toolIndex;
            out.push(chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] }));
          }
          break; // thinking and signature deltas stay with Anthropic: a chat client has no place for them
        }
        case 'message_delta': {
          usage = { ...usage, ...asObject(data.usage) };
          const stop = asObject(data.delta)?.stop_reason;
          if (stop != null) out.push(chunk({}, finishReason(stop)));
          break;
        }
        case 'message_stop':
          out.push(
            {
              data: JSON.stringify({
                ...head,
                choices: [],
                usage: chatUsage(usage),
                ...(native && { _native: take() }),
              }),
            },
            { data: '[DONE]' },
          );
          break;
        case 'error': {
          const e = asObject(data.error);
          const status = errorStatus[String(e?.type)] ?? 500;
          throw httpFailure(status, JSON.stringify(data), {});
        }
        default:
          break; // ping, and event types added later
      }
    }
    return out;
  };
}

/**
 * A native request made fit for an Anthropic backend after its conversation passed through another provider: with
 * thinking on, Anthropic requires the last assistant turn of a tool loop to start with a signed thinking block,
 * which a turn another provider wrote cannot have. Thinking is then turned off for this request (Anthropic's own
 * advice), instead of a 400 the client cannot fix.
 */
export function fitNative(body: Json): Json {
  const thinking = asObject(body.thinking);
  if (!thinking || thinking.type === 'disabled' || !Array.isArray(body.messages)) return body;
  const lastAssistant = (body.messages as Json[]).findLast((m) => m.role === 'assistant');
  const content = lastAssistant?.content;
  if (!Array.isArray(content) || !content.some((b) => asObject(b)?.type === 'tool_use')) return body;
  const first = asObject(content[0])?.type;
  if (first === 'thinking' || first === 'redacted_thinking') return body;
  const { thinking: _, ...rest } = body;
  return rest;
}

/** The Anthropic protocol on the wire: POST {baseUrl}/v1/messages with x-api-key and anthropic-version. */
export const anthropicWire: Wire = {
  path: () => '/v1/messages',
  headers: { 'anthropic-version': anthropicVersion },
  auth: (apiKey) => ({ 'x-api-key': apiKey }),
  speaks: (native) => native.protocol === 'anthropic',
  countTokensPath: '/v1/messages/count_tokens',
  // The client's own request (a Messages door request), with the backend's model and the stream the cascade asks.
  body: (body, native) =>
    JSON.stringify(
      native ? { ...fitNative(native.body), model: body.model, stream: body.stream === true } : chatToAnthropic(body),
    ),
  answer: (json, native) => (native ? { ...anthropicToChat(json), _native: json } : anthropicToChat(json)),
  stream: (native) => anthropicStreamTranslator(native !== undefined),
};
