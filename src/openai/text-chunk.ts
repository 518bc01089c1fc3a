// Most chunks of a chat completions stream carry one piece of answer text and nothing else. This reads those
// without JSON.parse (a parse and its objects cost about as much as everything else done per token), and only
// when the chunk is exactly that shape: anything else (a role, tool calls, a finish reason, usage, logprobs,
// an error, several choices, nested values, control characters) is left to the full parse. Pure.

/** A chunk's answer text, and the same text as the JSON string literal it came as (for writing it on unchanged). */
export class TextDelta {
  constructor(
    readonly text: string,
    readonly json: string,
  ) {}
}

// A top-level field with a flat value: a string without escapes, a number, a boolean or null. Not choices (a second
// one would override the first), and not usage or error, even as null: the full parse decides what those mean.
// (Refused here rather than searched for in the whole chunk: one pass over it instead of three.)
const FLAT = String.raw`"(?!choices"|usage"|error")[a-z_]+":(?:"[^"\\\u0000-\u001f]*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)`;
const TEXT_ONLY = new RegExp(
  String.raw`^\{(?:${FLAT},)*"choices":\[\{"index":0,"delta":\{"content":("(?:[^"\\\u0000-\u001f]|\\.)*")\}(?:,"logprobs":null)?,"finish_reason":null\}\](?:,${FLAT})*\}$`,
);

/** The text of a chunk that holds only text, or undefined (then parse it). */
export function textOnlyChunk(data: string): TextDelta | undefined {
  const m = TEXT_ONLY.exec(data);
  if (!m) return undefined;
  const json = m[1]!;
  if (!json.includes('\\')) return new TextDelta(json.slice(1, -1), json);
  try {
    return new TextDelta(JSON.parse(json) as string, json);
  } catch {
    return undefined; // an escape JSON does not have: the full parse reports it
  }
}
