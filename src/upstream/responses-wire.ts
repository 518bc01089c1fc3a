// A Responses-door request to an OpenAI-compatible backend that lists `responses` among its endpoints: sent to its
// /responses as the client sent it (only the model replaced), and the answer read as a chat completion for the
// cascade, the judge and accounting, the backend's own response (or events) carried beside it in `_native` for
// the door to send on as they came. Pure.
import type { SseEvent } from './sse-parser.js';
import { chatCompletion } from '../openai/chat-completion.js';
import { asObject, countOrZero } from '../openai/wire-values.js';
import { httpFailure, UpstreamFailure } from './upstream-failure.js';

type Json = Record<string, unknown>;

/** Responses usage as chat usage. */
export function chatUsageOf(u: Json | undefined): Json | undefined {
  if (!u) return undefined;
  const input = countOrZero(u.input_tokens);
  const output = countOrZero(u.output_tokens);
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: countOrZero(asObject(u.input_tokens_details)?.cached_tokens) },
    completion_tokens_details: { reasoning_tokens: countOrZero(asObject(u.output_tokens_details)?.reasoning_tokens) },
  };
}

function finishOf(response: Json, calls: number): string {
  if (response.status === 'incomplete')
    return asObject(response.incomplete_details)?.reason === 'content_filter' ? 'content_filter' : 'length';
  return calls > 0 ? 'tool_calls' : 'stop';
}

/** A Responses API response as a chat completion, the response itself in `_native`. */
export function responseToChat(response: Json): Json {
  const output = Array.isArray(response.output) ? (response.output as Json[]) : [];
  let text = '';
  const calls: Json[] = [];
  for (const item of output) {
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const c of item.content as Json[]) if (c.type === 'output_text') text += String(c.text ?? '');
    } else if (item.type === 'function_call') {
      calls.push({
        id: String(item.call_id ?? item.id ?? ''),
        type: 'function',
        function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') },
      });
    }
  }
  const usage = chatUsageOf(asObject(response.usage));
  return {
    ...chatCompletion({
      id: String(response.id ?? ''),
      created: countOrZero(response.created_at),
      model: response.model,
      text,
      toolCalls: calls,
      finishReason: finishOf(response, calls.length),
      ...(usage && { usage }),
    }),
    _native: response,
  };
}

/**
 * Responses stream events as chat chunks, each carrying in `_native` the [type, data] pairs it came from (and the
 * events before it that made no chunk), [DONE] after response.completed or response.incomplete. Throws on
 * response.failed and error events.
 */
export function responsesStreamTranslator(): (events: readonly SseEvent[]) => SseEvent[] {
  let head: Json = { object: 'chat.completion.chunk' };
  let raw: Array<[string, string]> = [];
  const callIndex = new Map<number, number>(); // output_index → tool call index
  const chunk = (choices: unknown[], extra: Json = {}): SseEvent => {
    const native = raw;
    raw = [];
    return { data: JSON.stringify({ ...head, choices, ...extra, _native: native }) };
  };
  const delta = (d: Json, finish: string | null = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
  return (events) => {
    const out: SseEvent[] = [];
    for (const ev of events) {
      let data: Json | undefined;
      try {
        data = asObject(JSON.parse(ev.data));
      } catch {
        throw new UpstreamFailure('protocol', 'a Responses stream event is not JSON');
      }
      const type = String(data?.type ?? ev.event ?? '');
      if (type === 'error' || type === 'response.failed') {
        const error = asObject(data?.error) ?? asObject(asObject(data?.response)?.error);
        throw httpFailure(error?.code === 'rate_limit_exceeded' ? 429 : 502, JSON.stringify({ error }), {});
      }
      raw.push([type, ev.data]);
      switch (type) {
        case 'response.created': {
          const r = asObject(data?.response) ?? {};
          head = { id: r.id, object: 'chat.completion.chunk', created: countOrZero(r.created_at), model: r.model };
          out.push(delta({ role: 'assistant', content: '' }));
          break;
        }
        case 'response.output_text.delta':
          out.push(delta({ content: String(data?.delta ?? '') }));
          break;
        case 'response.output_item.added': {
          const item = asObject(data?.item);
          if (item?.type === 'function_call') {
            const index = callIndex.size;
            callIndex.set(countOrZero(data?.output_index), index);
            out.push(
              delta({
                tool_calls: [
                  { index, id: item.call_id, type: 'function', function: { name: item.name, arguments: '' } },
                ],
              }),
            );
          }
          break;
        }
        case 'response.function_call_arguments.delta': {
          const index = callIndex.get(countOrZero(data?.output_index)) ?? 0;
          out.push(delta({ tool_calls: [{ index, function: { arguments: String(data?.delta ?? '') } }] }));
          break;
        }
        case 'response.completed':
        case 'response.incomplete': {
          const r = asObject(data?.response) ?? {};
          out.push(
            chunk([{ index: 0, delta: {}, finish_reason: finishOf(r, callIndex.size) }], {
              usage: chatUsageOf(asObject(r.usage)) ?? null,
            }),
            { data: '[DONE]' },
          );
          break;
        }
        default:
          break; // the other events travel in _native with the next chunk
      }
    }
    return out;
  };
}
