// The Responses door's requests: a Responses API body (input as a string or items, instructions, function tools,
// tool_choice, text.format, max_output_tokens, reasoning effort) checked and translated to a chat completions body.
// What needs server-side state or OpenAI's own tools (previous_response_id, conversation, background, web_search,
// file_search, ...) is refused by name. Pure.
import { z } from 'zod';
import { invalid } from './door.js';
import { asObject } from '../openai/wire-values.js';
import { firstIssue } from '../shared/schema-issue.js';
import { isPlainResponses } from './plain-bodies.js';

/** The shape checked (exported for the test holding the plain-body check to it). */
export const responsesBodySchema = z.looseObject({
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

export function parseResponsesRequest(body: unknown): z.output<typeof responsesBodySchema> {
  const raw = asObject(body);
  if (!raw) throw invalid('body', 'the request body must be a JSON object');
  for (const [field, used, why] of stateful) {
    if (used(raw[field])) throw invalid(field, `'${field}' is not supported: ${why}.`);
  }
  if (isPlainResponses(raw)) return raw as z.output<typeof responsesBodySchema>;
  const result = responsesBodySchema.safeParse(body);
  if (result.success) return result.data;
  const { param, missing, message } = firstIssue(result.error, raw);
  throw invalid(
    param,
    missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${message}.`,
  );
}

function contentParts(content: unknown, where: string): string | Array<Record<string, unknown>> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(where, `'${where}' must be a string or an array of content parts.`);
  const parts = content.map((p, i) => {
    const part = asObject(p);
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
      `'${at}': tools of type '${String(t.type)}' need backends that take the Responses API as sent (\`responses\` in every backend's endpoints); translated to chat completions, only function tools are supported.${String(t.type).startsWith('web_search') ? ' (Codex: set web_search = "disabled" in config.toml.)' : ''}`,
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

function formatToChat(f: NonNullable<NonNullable<z.output<typeof responsesBodySchema>['text']>['format']>): unknown {
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
