// Most chunks of a chat completions stream carry one piece of answer text and nothing else. This reads those
// without JSON.parse (a parse and its objects cost about as much as everything else done per token), and only
// when the chunk is exactly that shape: anything else (a role, tool calls, a finish reason, usage, logprobs,
// an error, several choices, nested values, control characters) is left to the full parse. Pure.

/** A chunk's answer text, and the same text as the JSON string literal it came as (for writing it on unchanged). */
export class TextDelta {
  /** `escaped`: the JSON string literal, when it has escapes (else the literal is the text between quotes). */
  constructor(
    readonly text: string,
    readonly escaped?: string,
  ) {}

  get json(): string {
    return this.escaped ?? `"${this.text}"`;
  }
}

// A top-level field with a flat value: a string without escapes, a number, a boolean or null. Not choices (a second
// one would override the first), and not usage or error, even as null: the full parse decides what those mean.
// (Refused here rather than searched for in the whole chunk: one pass over it instead of three.)
const FLAT = String.raw`"(?!choices"|usage"|error")[a-z_]+":(?:"[^"\\\u0000-\u001f]*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)`;
/** The whole chunk's shape, without a capture group: `test` then allocates nothing (a match array per token did). */
export const TEXT_ONLY = new RegExp(
  String.raw`^\{(?:${FLAT},)*"choices":\[\{"index":0,"delta":\{"content":"(?:[^"\\\u0000-\u001f]|\\.)*"\}(?:,"logprobs":null)?,"finish_reason":null\}\](?:,${FLAT})*\}$`,
);

/**
 * Where the content's text starts in a chunk of that shape: after the first `"delta":{"content":"`. No flat field can
 * hold it (their strings have no quotes, and their values never start with a brace).
 */
const CONTENT = '"delta":{"content":"';

/** The text of a chunk that holds only text, or undefined (then parse it). */
export function textOnlyChunk(data: string): TextDelta | undefined {
  if (!TEXT_ONLY.test(data)) return undefined;
  const start = data.indexOf(CONTENT) + CONTENT.length;
  let end = data.indexOf('"', start);
  const slash = data.indexOf('\\', start);
  if (slash === -1 || slash > end) return new TextDelta(data.slice(start, end));
  // Escapes: the literal ends at the first quote that is not one (the shape is already known to be well formed).
  for (end = slash; data.charCodeAt(end) !== 34 /* " */; end++) if (data.charCodeAt(end) === 92 /* \ */) end++;
  const literal = data.slice(start - 1, end + 1);
  try {
    return new TextDelta(JSON.parse(literal) as string, literal);
  } catch {
    return undefined; // an escape JSON does not have: the full parse reports it
  }
}
