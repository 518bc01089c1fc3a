// The Responses door's JSON answer built as objects, the plain way: the reference the door's text templates are
// held byte-for-byte equal to (the door writes text because building and serialising these costs several µs).
import { chatUsage, type DoorContext, firstChoice } from '../../src/doors/door.js';
import { callItem, ending } from '../../src/doors/responses-answer.js';
import { asObject } from '../../src/openai/wire-values.js';

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
    store: r.store !== false,
    temperature: typeof r.temperature === 'number' ? r.temperature : 1,
    text: asObject(r.text) ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_p: typeof r.top_p === 'number' ? r.top_p : 1,
    truncation: 'disabled',
    user: typeof r.user === 'string' ? r.user : null,
  };
}

const messageItem = (id: string, text: string, status: string) => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

export function chatToResponseObject(json: Record<string, unknown>, ctx: DoorContext): Record<string, unknown> {
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
    output.push(
      callItem(
        `fc_${ctx.id}_${output.length}`,
        String(c.id ?? `call_${ctx.id}_${i}`),
        String(fn?.name ?? ''),
        String(fn?.arguments ?? ''),
        'completed',
      ),
    );
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
