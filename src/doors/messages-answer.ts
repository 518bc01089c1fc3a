// The Messages door's answers: a chat completion as an Anthropic message, chat chunks as Anthropic's stream events
// (or an Anthropic backend's own events, sent on as they came). Pure.
import {
  chatUsage,
  type DoorContext,
  firstChoice,
  nativeEventsText,
  parseArguments,
  parseChunk,
  type StreamTranslator,
  sseEvent,
  writeTokenEvent,
} from './door.js';
import { TextDelta } from '../openai/text-chunk.js';
import { asObject } from '../openai/wire-values.js';
import { anthropicErrorType } from './anthropic-errors.js';

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
  const native = asObject(json._native);
  if (native) return { ...native, model: ctx.model };
  const choice = firstChoice(json);
  const message = asObject(choice?.message);
  const content: Array<Record<string, unknown>> = [];
  if (typeof message?.content === 'string' && message.content !== '')
    content.push({ type: 'text', text: message.content });
  const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as Array<Record<string, unknown>>) : [];
  for (const c of calls) {
    const fn = asObject(c.function);
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

/** A text block's delta event up to its text; and after it. */
const textHead = (index: number) =>
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":`;
const textEnd = Buffer.from('}}\n\n');
const ping = 'event: ping\ndata: {"type":"ping"}\n\n';
const messageStop = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

/** Chat chunks to Anthropic's events: message_start, content blocks, message_delta with usage, message_stop. */
export function messagesStream(ctx: DoorContext): StreamTranslator {
  let started = false;
  let native = false;
  /** An Anthropic backend's own events, sent on as they came (message_start with the client's model name). */
  const nativeEvents = (events: ReadonlyArray<[string, string]>) => {
    native = true;
    return nativeEventsText(events, (type, data) => {
      if (type !== 'message_start') return undefined;
      const ev = parseChunk(data);
      return { ...ev, message: { ...asObject(ev?.message), model: ctx.model } };
    });
  };
  let stopped = false;
  /** The open content block; a text block's delta event head as bytes, made for its first token written as bytes. */
  let open: { index: number; kind: 'text' | 'tool'; toolIndex?: number; headBytes?: Buffer } | undefined;
  let nextIndex = 0;
  let finish: unknown = null;
  let usage: Record<string, number> | undefined;
  // The events every stream has, written as text: the same JSON as sseEvent() without building an object for each.
  const start = () => {
    started = true;
    return (
      `event: message_start\ndata: {"type":"message_start","message":{"id":${JSON.stringify(`msg_${ctx.id}`)},"type":"message","role":"assistant","model":${JSON.stringify(ctx.model)},"content":[],"stop_reason":null,"stop_sequence":null,` +
      `"usage":{"input_tokens":${ctx.inputTokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}\n\n${ping}`
    );
  };
  const close = () => {
    if (!open) return '';
    const index = open.index;
    open = undefined;
    return `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}\n\n`;
  };
  const finishEvents = () => {
    if (stopped) return '';
    stopped = true;
    const usageJson = JSON.stringify(usage ?? { output_tokens: 0 });
    return `${close()}event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"${stopReason(finish)}","stop_sequence":null},"usage":${usageJson}}\n\n${messageStop}`;
  };
  /** One piece of answer text, as a JSON string literal: opens a text block when none is open. */
  const text = (literal: string) => {
    let out = '';
    if (open?.kind !== 'text') {
      out += close();
      open = { index: nextIndex++, kind: 'text' };
      out += `event: content_block_start\ndata: {"type":"content_block_start","index":${open.index},"content_block":{"type":"text","text":""}}\n\n`;
    }
    // The event of every token, written as text: the same JSON as sseEvent() without an object per token.
    return `${out}${textHead(open.index)}${literal}}}\n\n`;
  };
  return {
    textInto(delta, out) {
      if (!started || open?.kind !== 'text' || delta.text === '') return false;
      writeTokenEvent(out, (open.headBytes ??= Buffer.from(textHead(open.index))), delta, textEnd);
      return true;
    },
    chunk(data, parsed) {
      if (parsed instanceof TextDelta) return (started ? '' : start()) + (parsed.text === '' ? '' : text(parsed.json));
      const json = parsed ?? parseChunk(data);
      if (!json) return '';
      if (Array.isArray(json._native)) return nativeEvents(json._native as Array<[string, string]>);
      let out = started ? '' : start();
      if (json.usage) usage = usageOf(json, ctx.inputTokens);
      const choice = firstChoice(json);
      const delta = asObject(choice?.delta);
      if (typeof delta?.content === 'string' && delta.content !== '') out += text(JSON.stringify(delta.content));
      for (const call of Array.isArray(delta?.tool_calls) ? (delta.tool_calls as Array<Record<string, unknown>>) : []) {
        const fn = asObject(call.function);
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
