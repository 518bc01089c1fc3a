// Reading values out of an upstream's answer, which is JSON of any shape: a backend can send `null` where an object
// belongs, a string where a number does, `1e300` tokens. Every read of the answer goes through these, so a strange
// answer is read as "absent" instead of throwing a TypeError, and no counter or budget ever sees a bogus number.
// Pure.

export type JsonObject = Record<string, unknown>;

export function asObject(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/** The value of a JSON text, or undefined when it is not JSON (a JSON text never parses to undefined). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Far above any context window; a count past it is a broken backend, not a bill. */
export const maxPlausibleTokens = 100_000_000;

/** A token count: a whole number from 0 to `maxPlausibleTokens`, else undefined. */
/** A count a wire carries (usage fields): the number when it is finite and not negative, else 0. */
export function countOrZero(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

export function asTokenCount(v: unknown): number | undefined {
  return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= maxPlausibleTokens
    ? (v as number)
    : undefined;
}

/** The numeric logprobs of `choice.logprobs.content`, skipping entries that are not. */
export function tokenLogprobs(logprobs: unknown, into: number[] = []): number[] {
  const content = asObject(logprobs)?.content;
  if (!Array.isArray(content)) return into;
  for (const t of content) {
    const lp = asObject(t)?.logprob;
    if (typeof lp === 'number' && Number.isFinite(lp)) into.push(lp);
  }
  return into;
}

export interface ToolCallRead {
  index?: number;
  id?: string;
  name?: string;
  arguments?: string;
}

/** `message.tool_calls` or a stream delta's: the well-formed entries, in order. */
export function toolCallsOf(v: unknown): ToolCallRead[] {
  if (!Array.isArray(v)) return [];
  const out: ToolCallRead[] = [];
  for (const c of v) {
    const call = asObject(c);
    if (!call) continue;
    const fn = asObject(call.function);
    const read: ToolCallRead = {};
    if (Number.isSafeInteger(call.index) && (call.index as number) >= 0 && (call.index as number) < 1024)
      read.index = call.index as number;
    if (typeof call.id === 'string') read.id = call.id;
    if (typeof fn?.name === 'string') read.name = fn.name;
    if (typeof fn?.arguments === 'string') read.arguments = fn.arguments;
    out.push(read);
  }
  return out;
}
