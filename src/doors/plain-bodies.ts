// The Responses and Messages bodies most clients send, recognised without zod: each field the door's schema checks
// (responses-request.ts, messages-request.ts) is absent or of its ordinary form. True only where the schema would
// accept the body too; any doubt returns false, and zod then decides, and words the 400. Pure.
import {
  boolean,
  every,
  intIn,
  isObject,
  nonEmptyString,
  nullish,
  nullishObject,
  numberIn,
  oneOf,
  optionalString,
  string,
  typed,
} from '../shared/plain-values.js';

const max = Number.MAX_SAFE_INTEGER;

const choices = new Set(['auto', 'none', 'required']);
const formats = new Set(['text', 'json_object', 'json_schema']);
const verbosities = new Set(['low', 'medium', 'high']);
const format = (f: Record<string, unknown>) =>
  oneOf(f.type, formats) &&
  optionalString(f.name) &&
  (f.schema === undefined || isObject(f.schema)) &&
  boolean(f.strict);

export function isPlainResponses(b: Record<string, unknown>): boolean {
  const tc = b.tool_choice;
  return (
    nonEmptyString(b.model) &&
    (typeof b.input === 'string' || every(b.input, isObject)) &&
    string(b.instructions) &&
    boolean(b.stream) &&
    intIn(b.max_output_tokens, 1, max) &&
    numberIn(b.temperature, 0, 2) &&
    numberIn(b.top_p, 0, 1) &&
    boolean(b.parallel_tool_calls) &&
    (nullish(b.tools) || every(b.tools, typed)) &&
    (nullish(tc) || oneOf(tc, choices) || (typed(tc) && optionalString(tc.name))) &&
    nullishObject(
      b.text,
      (t) => nullishObject(t.format, format) && (nullish(t.verbosity) || oneOf(t.verbosity, verbosities)),
    ) &&
    nullishObject(b.reasoning, (r) => string(r.effort)) &&
    string(b.user) &&
    string(b.safety_identifier) &&
    string(b.prompt_cache_key)
  );
}

const roles = new Set(['user', 'assistant', 'system']);
const toolChoices = new Set(['auto', 'any', 'tool', 'none']);
const efforts = new Set(['low', 'medium', 'high', 'xhigh', 'max']);
const block = (v: unknown) => isObject(v) && nonEmptyString(v.type);
const content = (v: unknown) => typeof v === 'string' || every(v, block);
const message = (m: unknown) => isObject(m) && oneOf(m.role, roles) && content(m.content);

export function isPlainMessages(b: Record<string, unknown>): boolean {
  return (
    nonEmptyString(b.model) &&
    Number.isSafeInteger(b.max_tokens) &&
    (b.max_tokens as number) > 0 &&
    every(b.messages, message) &&
    (nullish(b.system) || content(b.system)) &&
    boolean(b.stream) &&
    (nullish(b.stop_sequences) || every(b.stop_sequences, (s) => typeof s === 'string')) &&
    numberIn(b.temperature, 0, 1) &&
    numberIn(b.top_p, 0, 1) &&
    intIn(b.top_k, 0, max) &&
    (nullish(b.tools) || every(b.tools, (t) => isObject(t) && nonEmptyString(t.name))) &&
    nullishObject(b.tool_choice, (c) => oneOf(c.type, toolChoices) && optionalString(c.name)) &&
    nullishObject(b.metadata, (m) => string(m.user_id)) &&
    nullishObject(
      b.output_config,
      (o) =>
        (nullish(o.effort) || oneOf(o.effort, efforts)) &&
        nullishObject(o.format, (f) => f.type === 'json_schema' && isObject(f.schema)),
    )
  );
}
