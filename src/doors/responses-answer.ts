// The Responses door's answers: a chat completion as a Responses API response (output items, status, usage), and
// the pieces its stream shares. Pure.
import { chatUsage, type DoorContext, firstChoice } from './door.js';
import { asObject } from '../openai/wire-values.js';

export function usageOf(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const u = chatUsage(json);
  if (!u) return undefined;
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

/** The same as `JSON.stringify(usageOf(json))`, written as text (a stream's last snapshot carries it). */
export function usageJson(json: Record<string, unknown>): string | undefined {
  const u = chatUsage(json);
  if (!u) return undefined;
  return (
    `{"input_tokens":${u.input},"input_tokens_details":{"cached_tokens":${u.cached}},"output_tokens":${u.output},` +
    `"output_tokens_details":{"reasoning_tokens":${u.reasoning}},"total_tokens":${u.input + u.output}}`
  );
}

/** The response object's fields that echo the request. */
export function echo(ctx: DoorContext): Record<string, unknown> {
  const r = ctx.request;
  return {
    object: 'response',
    created_at: Math.floor(ctx.now / 1000),
    model: ctx.model,
    instructions: typeof r.instructions === 'string' ? r.instructions : null,
    max_output_tokens: typeof r.max_output_tokens === 'number' ? r.max_output_tokens : null,
    metadata: asObject(r.metadata) ?? {},
    parallel_tool_calls: r.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: asObject(r.reasoning) ?? { effort: null, summary: null },
    store: r.store !== false, // kept for item_reference unless the request says no
    temperature: typeof r.temperature === 'number' ? r.temperature : 1,
    text: asObject(r.text) ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_p: typeof r.top_p === 'number' ? r.top_p : 1,
    truncation: 'disabled',
    user: typeof r.user === 'string' ? r.user : null,
  };
}

const json = JSON.stringify;

/**
 * The same fields as `echo`, as JSON without braces, written as text: a stream's three snapshots start with them,
 * and a template costs a fraction of building the object and serialising it (the tests hold the two equal).
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

export const messageItem = (id: string, text: string, status: string) => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

export const callItem = (id: string, callId: string, name: string, args: string, status: string) => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

export function chatToResponse(json: Record<string, unknown>, ctx: DoorContext): Record<string, unknown> {
  // A backend's own Responses answer (it serves /responses): as it came, with the client's model name.
  const native = asObject(json._native);
  if (native) return { ...native, model: ctx.model };
  const choice = firstChoice(json);
  const message = asObject(choice?.message);
  const output: unknown[] = [];
  const text = typeof message?.content === 'string' ? message.content : '';
  if (text !== '') output.push(messageItem(`msg_${ctx.id}_0`, text, 'completed'));
  const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as Array<Record<string, unknown>>) : [];
  calls.forEach((c, i) => {
    const fn = asObject(c.function);
    const callId = String(c.id ?? `call_${ctx.id}_${i}`);
    const item = callItem(
      `fc_${ctx.id}_${output.length}`,
      callId,
      String(fn?.name ?? ''),
      String(fn?.arguments ?? ''),
      'completed',
    );
    output.push(item);
  });
  return {
    id: `resp_${ctx.id}`,
    ...echo(ctx),
    ...ending(choice?.finish_reason),
    error: null,
    output,
    usage: usageOf(json) ?? null,
  };
}
