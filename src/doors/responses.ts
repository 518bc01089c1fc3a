// The OpenAI Responses door (POST /v1/responses), stateless: what the OpenAI SDKs' responses.create, the Vercel AI
// SDK's default provider, the Agents SDK and Codex speak, translated to a chat completions body and back. Input as a
// string or items (messages, function_call, function_call_output, input_image), instructions, function tools,
// tool_choice, text.format, max_output_tokens, reasoning effort. What needs server-side state or OpenAI's own tools
// (previous_response_id, conversation, background, web_search, file_search, ...) is refused by name. Pure.
import { z } from 'zod';
import {
  asRecord,
  chatUsage,
  type Door,
  type DoorContext,
  firstChoice,
  invalid,
  type ItemReferences,
  parseChunk,
  type StreamTranslator,
  sseEvent,
} from './door.js';

const schema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.looseObject({}))]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string(), name: z.string().optional() })])
    .nullish(),
  text: z
    .looseObject({
      format: z
        .looseObject({
          type: z.enum(['text', 'json_object', 'json_schema']),
          name: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .nullish(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
});

type Item = Record<string, unknown>;
type ChatMessage = Record<string, unknown>;

/** Fields that need state Sluice does not keep, or OpenAI's hosted features: a 400 that names them. */
const stateful: Array<[string, (v: unknown) => boolean, string]> = [
  ['previous_response_id', (v) => v != null, 'Sluice keeps no responses: send the whole conversation in input'],
  ['conversation', (v) => v != null, 'Sluice keeps no conversations: send the whole conversation in input'],
  ['background', (v) => v === true, 'background responses need stored state, which Sluice does not keep'],
  ['prompt', (v) => v != null, 'stored prompt templates live on OpenAI; send instructions and input instead'],
];

export function parseResponsesRequest(body: unknown): z.output<typeof schema> {
  const raw = asRecord(body);
  if (!raw) throw invalid('body', 'the request body must be a JSON object');
  for (const [field, used, why] of stateful) {
    if (used(raw[field])) throw invalid(field, `'${field}' is not supported: ${why}.`);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  const missing = issue.code === 'invalid_type' && issue.path.length === 1 && raw[String(issue.path[0])] === undefined;
  throw invalid(
    param,
    missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${issue.message}.`,
  );
}

function contentParts(content: unknown, where: string): string | Array<Record<string, unknown>> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(where, `'${where}' must be a string or an array of content parts.`);
  const parts = content.map((p, i) => {
    const part = asRecord(p);
    const at = `${where}[${i}]`;
    switch (part?.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return { type: 'text', text: String(part.text ?? '') };
      case 'refusal':
        return { type: 'text', text: String(part.refusal ?? '') };
      case 'input_image':
        if (typeof part.image_url !== 'string')
          throw invalid(at, `'${at}': only images given by image_url (a URL or data URL) can be sent; not file_id.`);
        return {
          type: 'image_url',
          image_url: { url: part.image_url, ...(typeof part.detail === 'string' && { detail: part.detail }) },
        };
      default:
        throw invalid(at, `'${at}': content part type '${String(part?.type)}' is not supported.`);
    }
  });
  return parts.length === 1 && parts[0]!.type === 'text' ? (parts[0]!.text as string) : parts;
}

const textOfParts = (c: string | Array<Record<string, unknown>>) =>
  typeof c === 'string' ? c : c.map((p) => (p.type === 'text' ? String(p.text) : '')).join('');

function itemsToMessages(items: readonly Item[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  items.forEach((item, i) => {
    const at = `input[${i}]`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
        throw invalid(`${at}.role`, `'${at}.role' must be user, assistant, system or developer.`);
      const content = contentParts(item.content, `${at}.content`);
      // developer is OpenAI's newer name for system; system is what every chat backend takes.
      out.push({
        role: role === 'developer' ? 'system' : role,
        content: role === 'user' ? content : textOfParts(content),
      });
      return;
    }
    if (type === 'function_call') {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string')
        throw invalid(at, `'${at}': a function_call item needs call_id and name.`);
      const call = {
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' },
      };
      const last = out.at(-1);
      if (last?.role === 'assistant' && (last.tool_calls || typeof last.content === 'string'))
        last.tool_calls = [...((last.tool_calls as unknown[]) ?? []), call];
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string')
        throw invalid(`${at}.call_id`, `'${at}.call_id': a function_call_output item needs call_id.`);
      const output =
        typeof item.output === 'string' ? item.output : textOfParts(contentParts(item.output, `${at}.output`));
      out.push({ role: 'tool', tool_call_id: item.call_id, content: output });
      return;
    }
    if (type === 'reasoning') return; // encrypted for the model that wrote it; a chat backend cannot read it
    if (type === 'item_reference')
      throw invalid(at, `'${at}': item references need stored responses, which Sluice does not keep.`);
    throw invalid(at, `'${at}': input item type '${String(type)}' is not supported.`);
  });
  return out;
}

function functionToChat(t: Record<string, unknown>, at: string): Record<string, unknown> {
  if (t.type !== 'function' || typeof t.name !== 'string')
    throw invalid(
      at,
      `'${at}': the built-in tool '${String(t.type)}' is not supported; only function tools are.${String(t.type).startsWith('web_search') ? ' (Codex: set web_search = "disabled" in config.toml.)' : ''}`,
    );
  return {
    type: 'function',
    function: {
      name: t.name,
      ...(typeof t.description === 'string' && { description: t.description }),
      parameters: t.parameters ?? { type: 'object', properties: {} },
      ...(typeof t.strict === 'boolean' && { strict: t.strict }),
    },
  };
}

/** Function tools, and the function tools of a namespace (a named group, as Codex sends them) one by one. */
function toolsToChat(
  tools: ReadonlyArray<Record<string, unknown>>,
  nativeOnly: boolean | undefined,
): Array<Record<string, unknown>> {
  return tools.flatMap((t, i) =>
    t.type === 'namespace' && Array.isArray(t.tools)
      ? (t.tools as Array<Record<string, unknown>>).map((f, j) => functionToChat(f, `tools[${i}].tools[${j}]`))
      : // Hosted tools (web_search, file_search, ...) run on backends that serve /responses themselves.
        nativeOnly && t.type !== 'function'
        ? []
        : [functionToChat(t, `tools[${i}]`)],
  );
}

function toolChoiceToChat(tc: string | { type: string; name?: string | undefined }): unknown {
  if (typeof tc === 'string') return tc;
  if (tc.type === 'function' && tc.name) return { type: 'function', function: { name: tc.name } };
  throw invalid(
    'tool_choice',
    `'tool_choice' of type '${tc.type}' is not supported; use auto, none, required or a function.`,
  );
}

function formatToChat(f: NonNullable<NonNullable<z.output<typeof schema>['text']>['format']>): unknown {
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (!f.schema) throw invalid('text.format.schema', "Missing required parameter: 'text.format.schema'.");
  return {
    type: 'json_schema',
    json_schema: { name: f.name ?? 'output', schema: f.schema, ...(f.strict != null && { strict: f.strict }) },
  };
}

export function responsesToChat(raw: unknown, opts: { nativeOnly?: boolean } = {}): Record<string, unknown> {
  const req = parseResponsesRequest(raw);
  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  if (typeof req.input === 'string') messages.push({ role: 'user', content: req.input });
  else messages.push(...itemsToMessages(req.input));
  if (messages.length === 0) throw invalid('input', "'input' must hold at least one message.");
  const chatTools = req.tools && req.tools.length > 0 ? toolsToChat(req.tools, opts.nativeOnly) : undefined;
  const tools = chatTools && chatTools.length > 0 ? chatTools : undefined;
  const format = req.text?.format ? formatToChat(req.text.format) : undefined;
  const user = req.safety_identifier ?? req.user;
  const effort = req.reasoning?.effort;
  return {
    model: req.model,
    messages,
    ...(req.stream === true && { stream: true, stream_options: { include_usage: true } }),
    ...(req.max_output_tokens != null && { max_completion_tokens: req.max_output_tokens }),
    ...(req.temperature != null && { temperature: req.temperature }),
    ...(req.top_p != null && { top_p: req.top_p }),
    ...(tools && { tools }),
    ...(tools &&
      req.tool_choice != null &&
      !(opts.nativeOnly && typeof req.tool_choice === 'object' && req.tool_choice.type !== 'function') && {
        tool_choice: toolChoiceToChat(req.tool_choice),
      }),
    ...(tools && req.parallel_tool_calls != null && { parallel_tool_calls: req.parallel_tool_calls }),
    ...(format !== undefined && { response_format: format }),
    ...(req.text?.verbosity && { verbosity: req.text.verbosity }),
    ...(effort && { reasoning_effort: effort }),
    ...(user && { user }),
    ...(req.prompt_cache_key && { prompt_cache_key: req.prompt_cache_key }),
  };
}

// --- answers ---

function usageOf(json: Record<string, unknown>): Record<string, unknown> | undefined {
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
function echo(ctx: DoorContext): Record<string, unknown> {
  const r = ctx.request;
  return {
    object: 'response',
    created_at: Math.floor(ctx.now / 1000),
    model: ctx.model,
    instructions: typeof r.instructions === 'string' ? r.instructions : null,
    max_output_tokens: typeof r.max_output_tokens === 'number' ? r.max_output_tokens : null,
    metadata: asRecord(r.metadata) ?? {},
    parallel_tool_calls: r.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: asRecord(r.reasoning) ?? { effort: null, summary: null },
    store: r.store !== false, // kept for item_reference unless the request says no
    temperature: typeof r.temperature === 'number' ? r.temperature : 1,
    text: asRecord(r.text) ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_p: typeof r.top_p === 'number' ? r.top_p : 1,
    truncation: 'disabled',
    user: typeof r.user === 'string' ? r.user : null,
  };
}

function ending(finish: unknown): { status: string; incomplete_details: unknown } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

const messageItem = (id: string, text: string, status: string) => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

const callItem = (id: string, callId: string, name: string, args: string, status: string) => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

export function chatToResponse(json: Record<string, unknown>, ctx: DoorContext): Record<string, unknown> {
  // A backend's own Responses answer (it serves /responses): as it came, with the client's model name.
  const native = asRecord(json._native);
  if (native) return { ...native, model: ctx.model };
  const choice = firstChoice(json);
  const message = asRecord(choice?.message);
  const output: unknown[] = [];
  const text = typeof message?.content === 'string' ? message.content : '';
  if (text !== '') output.push(messageItem(`msg_${ctx.id}_0`, text, 'completed'));
  const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as Array<Record<string, unknown>>) : [];
  calls.forEach((c, i) => {
    const fn = asRecord(c.function);
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
    let out = '';
    for (const [type, data] of events) {
      const ev = data.includes('"response":') ? parseChunk(data) : undefined;
      const response = asRecord(ev?.response);
      if (!response) {
        out += `event: ${type}\ndata: ${data}\n\n`;
        continue;
      }
      if (Array.isArray(response.output) && type !== 'response.created' && type !== 'response.in_progress')
        nativeOutput = response.output;
      out += sseEvent(type, { ...ev, response: { ...response, model: ctx.model } });
    }
    return out;
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
      const delta = asRecord(choice?.delta);
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
        const fn = asRecord(call.function);
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

/** How long output items are kept for item_reference (the AI SDK refers to earlier items when store is not false). */
export const itemTtlMs = 6 * 3_600_000;

const isReference = (v: unknown): v is { type: 'item_reference'; id: string } =>
  asRecord(v)?.type === 'item_reference' && typeof asRecord(v)?.id === 'string';

/** Stateless except for this: output items kept by id, so a later request can refer to them instead of resending. */
export const responseItems: ItemReferences = {
  keeps: (body) => body.store !== false,
  ttlMs: itemTtlMs,
  references: (body) => (Array.isArray(body.input) ? body.input.filter(isReference).map((r) => r.id) : []),
  resolve(body, found) {
    const input = (body.input as unknown[]).map((item, i) => {
      if (!isReference(item)) return item;
      const hit = found.get(item.id);
      if (!hit)
        throw invalid(
          `input[${i}]`,
          `Item '${item.id.slice(0, 80)}' not found: Sluice keeps output items for ${itemTtlMs / 3_600_000} hours; send the item itself (or store: false).`,
        );
      return hit;
    });
    return { ...body, input };
  },
  output: (answer) => (Array.isArray(answer.output) ? (answer.output as Array<Record<string, unknown>>) : []),
};

export const responsesDoor: Door = {
  name: 'responses',
  speaksNatively: (b) => b.endpoints.includes('responses'),
  native: (body) => ({ protocol: 'openai-responses', body, headers: {} }),
  toChat: responsesToChat,
  fromChat: chatToResponse,
  stream: responsesStream,
  items: responseItems,
};
