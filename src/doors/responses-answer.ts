// The Responses door's answers: a chat completion as a Responses API response (output items, status, usage), and
// the pieces its stream shares. Pure.
import { chatUsage, type DoorAnswer, type DoorContext, firstChoice, type KeptItem, keptItems } from './door.js';
import { asObject } from '../openai/wire-values.js';

/** The answer's usage in the Responses API's shape, as JSON (a stream's last snapshot and the JSON answer carry it). */
export function usageJson(json: Record<string, unknown>): string | undefined {
  const u = chatUsage(json);
  if (!u) return undefined;
  return (
    `{"input_tokens":${u.input},"input_tokens_details":{"cached_tokens":${u.cached}},"output_tokens":${u.output},` +
    `"output_tokens_details":{"reasoning_tokens":${u.reasoning}},"total_tokens":${u.input + u.output}}`
  );
}

const json = JSON.stringify;

/**
 * The response object's fields that echo the request, as JSON without braces, written as text: every snapshot and
 * the JSON answer start with them, and a template costs a fraction of building the object and serialising it (the
 * tests hold it equal to the object a reference implementation builds).
 */
export function echoJson(ctx: DoorContext): string {
  const r = ctx.request;
  const metadata = asObject(r.metadata);
  const reasoning = asObject(r.reasoning);
  const text = asObject(r.text);
  return (
    `"object":"response","created_at":${Math.floor(ctx.now / 1000)},"model":${json(ctx.model)},` +
    `"instructions":${typeof r.instructions === 'string' ? json(r.instructions) : 'null'},` +
    `"max_output_tokens":${typeof r.max_output_tokens === 'number' ? json(r.max_output_tokens) : 'null'},` +
    `"metadata":${metadata ? json(metadata) : '{}'},"parallel_tool_calls":${r.parallel_tool_calls !== false},` +
    `"previous_response_id":null,"reasoning":${reasoning ? json(reasoning) : '{"effort":null,"summary":null}'},` +
    `"store":${r.store !== false},"temperature":${typeof r.temperature === 'number' ? json(r.temperature) : '1'},` +
    `"text":${text ? json(text) : '{"format":{"type":"text"}}'},"tool_choice":${json(r.tool_choice ?? 'auto')},` +
    `"tools":${Array.isArray(r.tools) ? json(r.tools) : '[]'},"top_p":${typeof r.top_p === 'number' ? json(r.top_p) : '1'},` +
    `"truncation":"disabled","user":${typeof r.user === 'string' ? json(r.user) : 'null'}`
  );
}

export function ending(finish: unknown): { status: string; incomplete_details: unknown } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** An output_text part as JSON, from its text already written as a JSON string. */
export const textPartJson = (literal: string) =>
  `{"type":"output_text","text":${literal},"annotations":[],"logprobs":[]}`;

/** A finished message item as JSON, from its part's JSON (ids are made from hex and need no escaping). */
export const messageItemJson = (id: string, part: string) =>
  `{"id":"${id}","type":"message","status":"completed","role":"assistant","content":[${part}]}`;

export const callItem = (id: string, callId: string, name: string, args: string, status: string) => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

/** A response snapshot's fields after its status, as JSON: what ended it, its finished items and its usage. */
export const snapshotTail = (
  incompleteDetails: unknown,
  error: unknown,
  output: ReadonlyArray<KeptItem>,
  usage: string | undefined,
) =>
  `"incomplete_details":${json(incompleteDetails)},"error":${json(error)},"output":[${output.map((o) => o.json).join(',')}],"usage":${usage ?? 'null'}`;

/**
 * A chat completion as a Responses API response, written as text (a fraction of building the object and serialising
 * it: the tests hold the two equal), with its output items for the store.
 */
export function chatToResponse(chat: Record<string, unknown>, ctx: DoorContext): DoorAnswer {
  // A backend's own Responses answer (it serves /responses): as it came, with the client's model name.
  const native = asObject(chat._native);
  if (native)
    return {
      text: json({ ...native, model: ctx.model }),
      items: Array.isArray(native.output) ? keptItems(native.output) : [],
    };
  const choice = firstChoice(chat);
  const message = asObject(choice?.message);
  const items: KeptItem[] = [];
  const text = typeof message?.content === 'string' ? message.content : '';
  if (text !== '') {
    const id = `msg_${ctx.id}_0`;
    items.push({ id, json: messageItemJson(id, textPartJson(json(text))) });
  }
  const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as Array<Record<string, unknown>>) : [];
  calls.forEach((c, i) => {
    const fn = asObject(c.function);
    const id = `fc_${ctx.id}_${items.length}`;
    const callId = String(c.id ?? `call_${ctx.id}_${i}`);
    items.push({
      id,
      json: json(callItem(id, callId, String(fn?.name ?? ''), String(fn?.arguments ?? ''), 'completed')),
    });
  });
  const { status, incomplete_details } = ending(choice?.finish_reason);
  return {
    text: `{"id":"resp_${ctx.id}",${echoJson(ctx)},"status":"${status}",${snapshotTail(incomplete_details, null, items, usageJson(chat))}}`,
    items,
  };
}
