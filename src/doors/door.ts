// A door is a client-facing protocol other than Chat Completions (Anthropic Messages, OpenAI Responses). It
// translates its request into the chat completions body the pipeline routes, and the pipeline's answer (a chat
// completion, or its stream of chunks) back into its own wire format. Pure: no I/O, no fastify.
import type { OpenAIErrorBody } from '../errors/sluice-error.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { NativeRequest } from '../shared/native-request.js';
import type { ByteWriter } from '../shared/byte-writer.js';
import type { TextDelta } from '../openai/text-chunk.js';
import { asObject, countOrZero } from '../openai/wire-values.js';

export type DoorName = 'chat' | 'completions' | 'embeddings' | 'messages' | 'responses';

export interface DoorContext {
  /** Unique for the request: the door's answer, item and message ids are made from it. */
  id: string;
  /** The model name the client sent (answers carry it back). */
  model: string;
  /** Sluice's count of the prompt's tokens (stream starts announce it before the backend's usage arrives). */
  inputTokens: number;
  /** The door's own request body, as the client sent it. */
  request: Record<string, unknown>;
  /** Milliseconds since the epoch, for ids and timestamps. */
  now: number;
}

/** Turns the chat chunks of a stream into the door's SSE text. */
export interface StreamTranslator {
  /**
   * SSE text for one chat chunk (its `data` JSON, and the chunk parsed, or only its text when it held nothing
   * else, when the caller has it); may be empty.
   */
  chunk(data: string, parsed?: Record<string, unknown> | TextDelta): string;
  /**
   * The same events as `chunk` for a chunk that holds only text, written as bytes into `out` when this translator
   * can (an item or block for text is open); false to have `chunk` called instead.
   */
  textInto?(delta: TextDelta, out: ByteWriter): boolean;
  /** SSE text that ends a complete stream. */
  end(): string;
  /** SSE text for an error after the commit point. */
  error(body: OpenAIErrorBody, status: number): string;
  /** The answer's output items so far, each with its JSON (a door that lets later requests refer to them). */
  output?(): KeptItem[];
}

export interface Door {
  readonly name: 'messages' | 'responses';
  /**
   * Checks the door's request shape and returns the chat completions body to route. Throws a 400 naming the field.
   * `nativeOnly`: every backend of the route speaks the door's protocol and gets the request untranslated, so what
   * only they can serve (hosted tools) is left out of the translation instead of refused.
   */
  toChat(body: unknown, opts?: { nativeOnly?: boolean }): Record<string, unknown>;
  /** Whether a backend gets this door's requests untranslated (see `native`). */
  speaksNatively?(backend: { protocol: string; endpoints: readonly string[] }): boolean;
  /** The door's JSON answer for a chat completion. */
  fromChat(json: Record<string, unknown>, ctx: DoorContext): DoorAnswer;
  stream(ctx: DoorContext): StreamTranslator;
  /** The request in its own protocol, for backends that speak it (sent to them untranslated). */
  native?(body: Record<string, unknown>, headers: Record<string, string | string[] | undefined>): NativeRequest;
  /** Earlier output items a request may refer to by id, kept in the state store (the Responses API's store). */
  items?: ItemReferences;
}

/** A door's JSON answer as text, and the output items in it that later requests may refer to. */
export interface DoorAnswer {
  text: string;
  items: KeptItem[];
}

/** An output item kept for later requests, with its id and its JSON (written once: the stream already made it). */
export interface KeptItem {
  id: string;
  json: string;
}

/** Output items that have an id, each with its JSON. */
export const keptItems = (items: ReadonlyArray<unknown>): KeptItem[] =>
  items.flatMap((item) => {
    const id = asObject(item)?.id;
    return typeof id === 'string' ? [{ id, json: JSON.stringify(item) }] : [];
  });

export interface ItemReferences {
  /** Whether this request's output items are kept for later requests to refer to. */
  keeps(body: Record<string, unknown>): boolean;
  /** The ids of items the request refers to. */
  references(body: Record<string, unknown>): string[];
  /** The body with each reference replaced by the item found; a 400 naming the one not found. */
  resolve(body: Record<string, unknown>, found: ReadonlyMap<string, Record<string, unknown>>): Record<string, unknown>;
  /** How long kept items are found. */
  ttlMs: number;
}

/**
 * A token's event into the writer: `head`, the token's text as its JSON string literal (the literal as it came when
 * it had escapes), `tail`, then `seq` and `end` when given.
 */
export function writeTokenEvent(
  out: ByteWriter,
  head: Uint8Array,
  delta: TextDelta,
  tail: Uint8Array,
  seq?: number,
  end?: Uint8Array,
): void {
  if (delta.escaped === undefined) out.around(head, delta.text, true, tail, seq, end);
  else out.around(head, delta.escaped, false, tail, seq, end);
}

/** One SSE event with a name. */
export const sseEvent = (type: string, data: unknown): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * A backend's own events (its [type, data] pairs) as SSE text: each as it came, except those `rewrite` returns new
 * data for (the ones naming the model, which carry the client's model name instead).
 */
export function nativeEventsText(
  events: ReadonlyArray<[string, string]>,
  rewrite: (type: string, data: string) => unknown,
): string {
  let out = '';
  for (const [type, data] of events) {
    const changed = rewrite(type, data);
    out += changed === undefined ? `event: ${type}\ndata: ${data}\n\n` : sseEvent(type, changed);
  }
  return out;
}

export function invalid(param: string, message: string): SluiceError {
  return new SluiceError('invalid_request', message, { param });
}

/** A JSON object string parsed for an answer's tool input; a string that is not one becomes `{}` plus the raw text. */
export function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return asObject(v) ?? { value: v };
  } catch {
    return { _raw: text };
  }
}

/** The first choice of a chat completion or chunk. */
export function firstChoice(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const choices = json.choices;
  return Array.isArray(choices) ? asObject(choices[0]) : undefined;
}

export interface ChatUsage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

export function chatUsage(json: Record<string, unknown>): ChatUsage | undefined {
  const u = asObject(json.usage);
  if (!u) return undefined;
  return {
    input: countOrZero(u.prompt_tokens),
    cached: countOrZero(asObject(u.prompt_tokens_details)?.cached_tokens),
    output: countOrZero(u.completion_tokens),
    reasoning: countOrZero(asObject(u.completion_tokens_details)?.reasoning_tokens),
  };
}

/** A chat chunk's JSON, or undefined for data that is not a JSON object (never thrown into the stream). */
export function parseChunk(data: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(data));
  } catch {
    return undefined;
  }
}
