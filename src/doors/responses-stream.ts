// The Responses door's streams: chat chunks as the Responses API's event sequence, each event with its
// sequence_number, or an OpenAI backend's own events sent on as they came. Pure.
import {
  type DoorContext,
  type KeptItem,
  keptItems,
  firstChoice,
  nativeEventsText,
  parseChunk,
  type StreamTranslator,
  sseEvent,
  writeTokenEvent,
} from './door.js';
import { TextDelta } from '../openai/text-chunk.js';
import { asObject } from '../openai/wire-values.js';
import {
  callItem,
  echoJson,
  ending,
  messageItemJson,
  snapshotTail,
  textPartJson,
  usageJson,
} from './responses-answer.js';

interface OpenItem {
  index: number;
  id: string;
  kind: 'message' | 'call';
  toolIndex?: number;
  callId?: string;
  name?: string;
  text: string;
  /** A message's text delta event up to its delta, written once: every token's event starts with it. */
  deltaHead?: string;
  /** The same as bytes, made for the first token written as bytes. */
  deltaHeadBytes?: Buffer;
}

/** A text delta event's bytes after its delta, up to its sequence_number; and after that. */
const deltaTail = Buffer.from(',"logprobs":[],"sequence_number":');
const eventEnd = Buffer.from('}\n\n');

/** An event's text up to its fields: its SSE name and the start of its data with the same type. */
const frameHead = (type: string) => `event: ${type}\ndata: {"type":"${type}",`;

/** Chat chunks to the Responses stream events, each with its sequence_number. */
export function responsesStream(ctx: DoorContext): StreamTranslator {
  let seq = 0;
  const id = `resp_${ctx.id}`;
  let started = false;
  let finish: unknown = null;
  /** The backend's usage as the snapshot's JSON. */
  let usage: string | undefined;
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
  /** Each finished item as JSON, written once: its done event, the final snapshot and the kept item carry it. */
  const done: KeptItem[] = [];
  /** An event's text after its fields: the next sequence_number and the event's end. */
  const frameTail = () => `,"sequence_number":${seq++}}\n\n`;
  /** One event from its fields already written as JSON (no braces), with its sequence_number. */
  const frame = (type: string, fields: string) => `${frameHead(type)}${fields}${frameTail()}`;
  const ev = (type: string, data: Record<string, unknown>) => sseEvent(type, { type, ...data, sequence_number: seq++ });
  /** The snapshot's leading fields (id and the request's echo) as JSON without the closing brace, written once. */
  let head: string | undefined;
  const snapshotJson = (status: string, rest: string) =>
    `${(head ??= `{"id":"${id}",${echoJson(ctx)}`)},"status":"${status}",${rest}}`;
  /** An event whose response snapshot is already JSON. */
  const snapshotEvent = (type: string, response: string) => frame(type, `"response":${response}`);
  const start = () => {
    started = true;
    // The same snapshot twice: serialised once.
    const inProgress = snapshotJson('in_progress', snapshotTail(null, null, [], undefined));
    return snapshotEvent('response.created', inProgress) + snapshotEvent('response.in_progress', inProgress);
  };
  const close = () => {
    if (!open) return '';
    const o = open;
    open = undefined;
    if (o.kind === 'message') {
      // The text is written as JSON once and spliced into the four places that carry it.
      const text = JSON.stringify(o.text);
      const part = textPartJson(text);
      const item = messageItemJson(o.id, part);
      done.push({ id: o.id, json: item });
      const at = `"item_id":"${o.id}","output_index":${o.index},"content_index":0`;
      return (
        frame('response.output_text.done', `${at},"text":${text},"logprobs":[]`) +
        frame('response.content_part.done', `${at},"part":${part}`) +
        frame('response.output_item.done', `"output_index":${o.index},"item":${item}`)
      );
    }
    const item = JSON.stringify(callItem(o.id, o.callId!, o.name!, o.text, 'completed'));
    done.push({ id: o.id, json: item });
    return (
      ev('response.function_call_arguments.done', {
        item_id: o.id,
        output_index: o.index,
        name: o.name,
        arguments: o.text,
      }) + frame('response.output_item.done', `"output_index":${o.index},"item":${item}`)
    );
  };
  /** One piece of answer text (and the same as a JSON string literal): opens the message item when none is open. */
  const text = (piece: string, literal: string) => {
    let out = '';
    if (open?.kind !== 'message') {
      out += close();
      const id = `msg_${ctx.id}_${done.length}`;
      const index = done.length;
      const deltaHead = `${frameHead('response.output_text.delta')}"item_id":"${id}","output_index":${index},"content_index":0,"delta":`;
      open = { index, id, kind: 'message', text: '', deltaHead };
      // The same JSON as ev() would write, without its objects.
      out += frame(
        'response.output_item.added',
        `"output_index":${index},"item":{"id":"${id}","type":"message","status":"in_progress","role":"assistant","content":[]}`,
      );
      out += frame(
        'response.content_part.added',
        `"item_id":"${id}","output_index":${index},"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`,
      );
    }
    open.text += piece;
    // The event of every token, written as text: the same JSON as ev() without building an object per token.
    return `${out}${open.deltaHead}${literal},"logprobs":[]${frameTail()}`;
  };
  return {
    textInto(delta, out) {
      if (!started || open?.kind !== 'message' || delta.text === '') return false;
      open.text += delta.text;
      writeTokenEvent(out, (open.deltaHeadBytes ??= Buffer.from(open.deltaHead!)), delta, deltaTail, seq++, eventEnd);
      return true;
    },
    chunk(data, parsed) {
      if (parsed instanceof TextDelta)
        return (started ? '' : start()) + (parsed.text === '' ? '' : text(parsed.text, parsed.json));
      const json = parsed ?? parseChunk(data);
      if (!json) return '';
      if (Array.isArray(json._native)) return nativeEvents(json._native as Array<[string, string]>);
      let out = started ? '' : start();
      usage = usageJson(json) ?? usage;
      const choice = firstChoice(json);
      const delta = asObject(choice?.delta);
      if (typeof delta?.content === 'string' && delta.content !== '')
        out += text(delta.content, JSON.stringify(delta.content));
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
      return out + snapshotEvent(type, snapshotJson(status, snapshotTail(incomplete_details, null, done, usage)));
    },
    error(body) {
      const out = started ? '' : start();
      const error = {
        code: /rate_limit/.test(body.error.code) ? 'rate_limit_exceeded' : 'server_error',
        message: body.error.message,
      };
      return out + snapshotEvent('response.failed', snapshotJson('failed', snapshotTail(null, error, done, undefined)));
    },
    output: () => (nativeOutput ? keptItems(nativeOutput) : done),
  };
}
