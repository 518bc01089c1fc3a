// The Responses door's streams: chat chunks as the Responses API's event sequence, each event with its
// sequence_number, or an OpenAI backend's own events sent on as they came. Pure.
import {
  type DoorContext,
  firstChoice,
  nativeEventsText,
  parseChunk,
  type StreamTranslator,
  sseEvent,
} from './door.js';
import { asObject } from '../openai/wire-values.js';
import { callItem, echo, ending, messageItem, usageOf } from './responses-answer.js';

interface OpenItem {
  index: number;
  id: string;
  kind: 'message' | 'call';
  toolIndex?: number;
  callId?: string;
  name?: string;
  text: string;
}

/** Chat chunks to the Responses stream events, each with its sequence_number. */
export function responsesStream(ctx: DoorContext): StreamTranslator {
  let seq = 0;
  const id = `resp_${ctx.id}`;
  let started = false;
  let finish: unknown = null;
  let usage: Record<string, unknown> | undefined;
  let open: OpenItem | undefined;
  let native = false;
  let nativeOutput: unknown[] | undefined;
  /** A backend's own events, sent on as they came; those holding the response carry the client's model name. */
  const nativeEvents = (events: ReadonlyArray<[string, string]>) => {
    native = true;
    return nativeEventsText(events, (type, data) => {
      const ev = data.includes('"response":') ? parseChunk(data) : undefined;
      const response = asObject(ev?.response);
      if (!response) return undefined;
      if (Array.isArray(response.output) && type !== 'response.created' && type !== 'response.in_progress')
        nativeOutput = response.output;
      return { ...ev, response: { ...response, model: ctx.model } };
    });
  };
  const done: unknown[] = [];
  const ev = (type: string, data: Record<string, unknown>) => sseEvent(type, { type, ...data, sequence_number: seq++ });
  let echoed: Record<string, unknown> | undefined;
  const snapshot = (fields: Record<string, unknown>) => ({
    id,
    ...(echoed ??= echo(ctx)),
    status: 'in_progress',
    incomplete_details: null,
    error: null,
    output: [],
    usage: null,
    ...fields,
  });
  const start = () => {
    started = true;
    // The same snapshot twice: serialised once.
    const inProgress = JSON.stringify(snapshot({}));
    const frame = (type: string) =>
      `event: ${type}\ndata: {"type":"${type}","response":${inProgress},"sequence_number":${seq++}}\n\n`;
    return frame('response.created') + frame('response.in_progress');
  };
  const close = () => {
    if (!open) return '';
    const o = open;
    open = undefined;
    if (o.kind === 'message') {
      const item = messageItem(o.id, o.text, 'completed');
      done.push(item);
      const at = { item_id: o.id, output_index: o.index, content_index: 0 };
      return (
        ev('response.output_text.done', { ...at, text: o.text, logprobs: [] }) +
        ev('response.content_part.done', { ...at, part: item.content[0] }) +
        ev('response.output_item.done', { output_index: o.index, item })
      );
    }
    const item = callItem(o.id, o.callId!, o.name!, o.text, 'completed');
    done.push(item);
    return (
      ev('response.function_call_arguments.done', {
        item_id: o.id,
        output_index: o.index,
        name: o.name,
        arguments: o.text,
      }) + ev('response.output_item.done', { output_index: o.index, item })
    );
  };
  return {
    chunk(data, parsed) {
      const json = parsed ?? parseChunk(data);
      if (!json) return '';
      if (Array.isArray(json._native)) return nativeEvents(json._native as Array<[string, string]>);
      let out = started ? '' : start();
      usage = usageOf(json) ?? usage;
      const choice = firstChoice(json);
      const delta = asObject(choice?.delta);
      if (typeof delta?.content === 'string' && delta.content !== '') {
        if (open?.kind !== 'message') {
          out += close();
          open = { index: done.length, id: `msg_${ctx.id}_${done.length}`, kind: 'message', text: '' };
          out += ev('response.output_item.added', {
            output_index: open.index,
            item: { ...messageItem(open.id, '', 'in_progress'), content: [] },
          });
          out += ev('response.content_part.added', {
            item_id: open.id,
            output_index: open.index,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          });
        }
        open.text += delta.content;
        // The event of every token, written as text: the same JSON as ev() without building an object per token.
        out += `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"${open.id}","output_index":${open.index},"content_index":0,"delta":${JSON.stringify(delta.content)},"logprobs":[],"sequence_number":${seq++}}\n\n`;
      }
      for (const call of Array.isArray(delta?.tool_calls) ? (delta.tool_calls as Array<Record<string, unknown>>) : []) {
        const fn = asObject(call.function);
        const toolIndex = typeof call.index === 'number' ? call.index : 0;
        if (open?.kind !== 'call' || open.toolIndex !== toolIndex) {
          out += close();
          const callId = String(call.id ?? `call_${ctx.id}_${toolIndex}`);
          open = {
            index: done.length,
            id: `fc_${ctx.id}_${done.length}`,
            kind: 'call',
            toolIndex,
            callId,
            name: String(fn?.name ?? ''),
            text: '',
          };
          out += ev('response.output_item.added', {
            output_index: open.index,
            item: callItem(open.id, callId, open.name!, '', 'in_progress'),
          });
        }
        if (typeof fn?.arguments === 'string' && fn.arguments !== '') {
          open.text += fn.arguments;
          out += ev('response.function_call_arguments.delta', {
            item_id: open.id,
            output_index: open.index,
            delta: fn.arguments,
          });
        }
      }
      if (choice?.finish_reason != null) finish = choice.finish_reason;
      return out;
    },
    end() {
      if (native) return ''; // the backend's response.completed went out with its events
      const out = (started ? '' : start()) + close();
      const { status, incomplete_details } = ending(finish);
      const type = status === 'completed' ? 'response.completed' : 'response.incomplete';
      return (
        out + ev(type, { response: snapshot({ status, incomplete_details, output: [...done], usage: usage ?? null }) })
      );
    },
    error(body) {
      const out = started ? '' : start();
      const error = {
        code: /rate_limit/.test(body.error.code) ? 'rate_limit_exceeded' : 'server_error',
        message: body.error.message,
      };
      return out + ev('response.failed', { response: snapshot({ status: 'failed', error, output: [...done] }) });
    },
    output: () => nativeOutput ?? done,
  };
}
