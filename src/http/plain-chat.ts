// The chat completions body most clients send, recognised without zod: each field the chat schema checks
// (validate-body.ts) is absent or of its ordinary form. True only where the schema would accept the body too; any
// doubt returns false, and zod then decides, and words the 400. zod's run cost ~3 µs and a copy of the body. Pure.
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
  string,
  typed,
} from '../shared/plain-values.js';

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const formats = new Set(['text', 'json_object', 'json_schema']);
const max = Number.MAX_SAFE_INTEGER;

const message = (m: unknown) => isObject(m) && oneOf(m.role, roles) && (string(m.content) || every(m.content, typed));
const tool = (t: unknown) =>
  typed(t) && (t.function === undefined || (isObject(t.function) && nonEmptyString(t.function.name)));

export function isPlainChat(b: Record<string, unknown>): boolean {
  return (
    nonEmptyString(b.model) &&
    every(b.messages, message) &&
    b.messages.length > 0 &&
    boolean(b.stream) &&
    nullishObject(b.stream_options, (so) => boolean(so.include_usage)) &&
    intIn(b.max_tokens, 1, max) &&
    intIn(b.max_completion_tokens, 1, max) &&
    intIn(b.n, 1, 128) &&
    numberIn(b.temperature, 0, 2) &&
    numberIn(b.top_p, 0, 1) &&
    (string(b.stop) || every(b.stop, (s) => typeof s === 'string')) &&
    intIn(b.seed, -max, max) &&
    string(b.user) &&
    (nullish(b.tools) || every(b.tools, tool)) &&
    nullishObject(b.response_format, (rf) => oneOf(rf.type, formats)) &&
    boolean(b.logprobs) &&
    intIn(b.top_logprobs, 0, 20)
  );
}
