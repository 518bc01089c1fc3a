// The Anthropic Messages door (POST /v1/messages): what the Anthropic SDKs and Claude Code speak, translated to a
// chat completions body for the pipeline and back. System prompts (a string or blocks, and `role: "system"`
// messages in the list, which stay system messages), text and image blocks, tool_use and tool_result, tools and
// tool_choice, stop_sequences, sampling fields and metadata.user_id map one to one. Thinking blocks carry
// signatures only an Anthropic backend can check: they are dropped on the way to a chat backend. Pure.
import { z } from 'zod';
import {
  asRecord,
  chatUsage,
  type Door,
  type DoorContext,
  firstChoice,
  invalid,
  parseArguments,
  parseChunk,
  type StreamTranslator,
  sseEvent,
} from './door.js';
import type { NativeRequest } from '../shared/native-request.js';

const block = z.looseObject({ type: z.string().min(1) });
const content = z.union([z.string(), z.array(block)]);
const schema = z.looseObject({
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
export function parseMessagesRequest(body: unknown): z.output<typeof schema> {
  if (!asRecord(body)) throw invalid('body', 'the request body must be a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  const missing =
    issue.code === 'invalid_type' &&
    issue.path.length === 1 &&
    (body as Record<string, unknown>)[String(issue.path[0])] === undefined;
  throw invalid(path, missing ? `${path}: Field required` : `${path}: ${issue.message}`);
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
  const src = asRecord(b.source);
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
        if (asRecord(b.source)?.type === 'text') {
          parts.push({ type: 'text', text: String(asRecord(b.source)!.data ?? '') });
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

function stopReason(finish: unknown): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

function usageOf(json: Record<string, unknown>, fallbackInput: number): Record<string, number> {
  const u = chatUsage(json);
  return {
    input_tokens: u ? u.input - u.cached : fallbackInput,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u?.cached ?? 0,
    output_tokens: u?.output ?? 0,
  };
}

export function chatToMessage(json: Record<string, unknown>, ctx: DoorContext): Record<string, unknown> {
  // An Anthropic backend's own message (thinking blocks and signatures, citations, server tool results): as it came.
  const native = asRecord(json._native);
  if (native) return { ...native, model: ctx.model };
  const choice = firstChoice(json);
  const message = asRecord(choice?.message);
  const content: Array<Record<string, unknown>> = [];
  if (typeof message?.content === 'string' && message.content !== '')
    content.push({ type: 'text', text: message.content });
  const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as Array<Record<string, unknown>>) : [];
  for (const c of calls) {
    const fn = asRecord(c.function);
    content.push({
      type: 'tool_use',
      id: String(c.id ?? ''),
      name: String(fn?.name ?? ''),
      input: parseArguments(String(fn?.arguments ?? '')),
    });
  }
  return {
    id: `msg_${ctx.id}`,
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: usageOf(json, ctx.inputTokens),
  };
}

/** Chat chunks to Anthropic's events: message_start, content blocks, message_delta with usage, message_stop. */
export function messagesStream(ctx: DoorContext): StreamTranslator {
  let started = false;
  let native = false;
  /** An Anthropic backend's own events, sent on as they came (message_start with the client's model name). */
  const nativeEvents = (events: ReadonlyArray<[string, string]>) => {
    native = true;
    let out = '';
    for (const [type, data] of events) {
      if (type === 'message_start') {
        const ev = parseChunk(data);
        const message = asRecord(ev?.message);
        out += sseEvent(type, { ...ev, message: { ...message, model: ctx.model } });
      } else out += `event: ${type}\ndata: ${data}\n\n`;
    }
    return out;
  };
  let stopped = false;
  let open: { index: number; kind: 'text' | 'tool'; toolIndex?: number } | undefined;
  let nextIndex = 0;
  let finish: unknown = null;
  let usage: Record<string, number> | undefined;
  const start = () => {
    started = true;
    return (
      sseEvent('message_start', {
        type: 'message_start',
        message: {
          id: `msg_${ctx.id}`,
          type: 'message',
          role: 'assistant',
          model: ctx.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: ctx.inputTokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      }) + sseEvent('ping', { type: 'ping' })
    );
  };
  const close = () => {
    if (!open) return '';
    const index = open.index;
    open = undefined;
    return sseEvent('content_block_stop', { type: 'content_block_stop', index });
  };
  const finishEvents = () => {
    if (stopped) return '';
    stopped = true;
    return (
      close() +
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(finish), stop_sequence: null },
        usage: usage ?? { output_tokens: 0 },
      }) +
      sseEvent('message_stop', { type: 'message_stop' })
    );
  };
  return {
    chunk(data, parsed) {
      const json = parsed ?? parseChunk(data);
      if (!json) return '';
      if (Array.isArray(json._native)) return nativeEvents(json._native as Array<[string, string]>);
      let out = started ? '' : start();
      if (json.usage) usage = usageOf(json, ctx.inputTokens);
      const choice = firstChoice(json);
      const delta = asRecord(choice?.delta);
      if (typeof delta?.content === 'string' && delta.content !== '') {
        if (open?.kind !== 'text') {
          out += close();
          open = { index: nextIndex++, kind: 'text' };
          out += sseEvent('content_block_start', {
            type: 'content_block_start',
            index: open.index,
            content_block: { type: 'text', text: '' },
          });
        }
        // The event of every token, written as text: the same JSON as sseEvent() without an object per token.
        out += `event: content_block_delta\ndata: {"type":"content_block_delta","index":${open.index},"delta":{"type":"text_delta","text":${JSON.stringify(delta.content)}}}\n\n`;
      }
      for (const call of Array.isArray(delta?.tool_calls) ? (delta.tool_calls as Array<Record<string, unknown>>) : []) {
        const fn = asRecord(call.function);
        const toolIndex = typeof call.index === 'number' ? call.index : 0;
        if (open?.kind !== 'tool' || open.toolIndex !== toolIndex) {
          out += close();
          open = { index: nextIndex++, kind: 'tool', toolIndex };
          out += sseEvent('content_block_start', {
            type: 'content_block_start',
            index: open.index,
            content_block: { type: 'tool_use', id: String(call.id ?? ''), name: String(fn?.name ?? ''), input: {} },
          });
        }
        if (typeof fn?.arguments === 'string' && fn.arguments !== '') {
          out += sseEvent('content_block_delta', {
            type: 'content_block_delta',
            index: open.index,
            delta: { type: 'input_json_delta', partial_json: fn.arguments },
          });
        }
      }
      if (choice?.finish_reason != null) finish = choice.finish_reason;
      return out;
    },
    end() {
      if (native) return ''; // the backend's message_stop went out with its events
      return (started ? '' : start()) + finishEvents();
    },
    error(body, status) {
      return sseEvent('error', {
        type: 'error',
        error: { type: anthropicErrorType(status), message: body.error.message },
      });
    },
  };
}

/** Anthropic's error type for a status. */
export function anthropicErrorType(status: number): string {
  if (status === 400 || status === 405 || status === 408 || status === 431) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  return 'api_error';
}

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
  fromChat: chatToMessage,
  stream: messagesStream,
};
