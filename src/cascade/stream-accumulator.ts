// Reads one upstream chat/completions stream event by event: keeps the answer text, tool calls, finish reason
// and usage, and decides what the client gets for each event (the usage chunk only if the client asked). Pure.
import {
  asObject,
  asString,
  tokenLogprobs,
  toolCallsOf,
  type JsonObject,
  type ToolCallRead,
} from '../openai/wire-values.js';
import { type TextDelta, textOnlyChunk } from '../openai/text-chunk.js';
import type { SseEvent } from '../upstream/sse-parser.js';
import { UpstreamFailure } from '../upstream/upstream-failure.js';

import type { ToolCallSoFar } from '../shared/answer.js';

export type { ToolCallSoFar };

export class StreamAccumulator {
  text = '';
  readonly toolCalls: ToolCallSoFar[] = [];
  finishReason: string | null = null;
  /** The usage the upstream sent, as sent: `usageFrom` decides whether to believe it. */
  usage: unknown;
  /** `[DONE]` seen. */
  done = false;
  /** Events carrying answer content (text, tool calls or a finish reason). */
  contentEvents = 0;
  /** Token logprobs of the first choice, when the backend sent them. */
  readonly logprobs: number[] = [];
  refusal = '';
  /**
   * The chunk `accept` last returned the data of, parsed, or only its text when it held nothing else (a door's
   * translator reads it instead of parsing again).
   */
  last: JsonObject | TextDelta | undefined;
  /** Template for a synthesized usage chunk: id, created, model of the stream. */
  head: { id?: unknown; created?: unknown; model?: unknown; object?: unknown } = {};

  constructor(
    private readonly clientWantsUsage: boolean,
    private readonly stripLogprobs = false,
  ) {}

  /** The answer is whole: `[DONE]`, or a finish reason on an upstream that omits `[DONE]`. */
  get complete(): boolean {
    return this.done || this.finishReason !== null;
  }

  /** Returns the data to forward to the client for this event, or null to forward nothing. */
  accept(ev: SseEvent): string | null {
    if (ev.data === '[DONE]') {
      this.done = true;
      return null;
    }
    if (ev.event === 'error') throw streamError(ev.data);
    // Once the head is read, text-only chunks are read without parsing and go on unchanged.
    const piece = this.head.id !== undefined ? textOnlyChunk(ev.data) : undefined;
    if (piece) {
      if (piece.text !== '') {
        this.text += piece.text;
        this.contentEvents++;
      }
      this.last = piece;
      return ev.data;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      throw new UpstreamFailure('protocol', 'stream event is not JSON');
    }
    const chunk = asObject(parsed);
    if (!chunk) throw new UpstreamFailure('protocol', 'stream event is not a JSON object');
    if (chunk.error != null) throw streamError(ev.data);
    if (this.head.id === undefined)
      this.head = { id: chunk.id, created: chunk.created, model: chunk.model, object: chunk.object };
    const hadLogprobs = this.read(chunk);
    this.last = chunk;
    const stripUsage = 'usage' in chunk && !this.clientWantsUsage;
    if (!stripUsage && !hadLogprobs) return ev.data;
    if (stripUsage) {
      if (chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      delete chunk.usage;
    }
    return JSON.stringify(chunk);
  }

  /** Reads one chunk (any shape: what is not where it belongs is skipped); returns whether logprobs were stripped. */
  private read(chunk: JsonObject): boolean {
    if (chunk.usage != null) this.usage = chunk.usage; // believed or not by usageFrom
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return false;
    let stripped = false;
    for (const c of choices) {
      const choice = asObject(c);
      if (!choice) continue;
      const first = (choice.index ?? 0) === 0;
      if (choice.logprobs != null && this.stripLogprobs) {
        if (first) tokenLogprobs(choice.logprobs, this.logprobs);
        choice.logprobs = null;
        stripped = true;
      }
      if (!first) continue;
      if (!this.stripLogprobs) tokenLogprobs(choice.logprobs, this.logprobs);
      let content = false;
      const delta = asObject(choice.delta);
      const refusal = asString(delta?.refusal);
      if (refusal) this.refusal += refusal;
      const text = asString(delta?.content) ?? asString(choice.text);
      if (text) {
        this.text += text;
        content = true;
      }
      const calls = toolCallsOf(delta?.tool_calls);
      if (calls.length > 0) {
        this.readToolCalls(calls);
        content = true;
      }
      const finish = asString(choice.finish_reason);
      if (finish) {
        this.finishReason = finish;
        content = true;
      }
      if (content) this.contentEvents++;
    }
    return stripped;
  }

  private readToolCalls(calls: readonly ToolCallRead[]): void {
    for (const call of calls) {
      // A call's index may only name a call already begun or the next one: no holes in the list.
      const i = Math.min(call.index ?? this.toolCalls.length, this.toolCalls.length);
      const slot = (this.toolCalls[i] ??= { name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.name) slot.name += call.name;
      if (call.arguments) slot.arguments += call.arguments;
    }
  }

  /** The usage chunk a client asked for, built from this stream's usage when the upstream sent none. */
  usageChunk(usage: { input: number; output: number }): string {
    return JSON.stringify({
      ...this.head,
      choices: [],
      usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
    });
  }
}

function streamError(data: string): UpstreamFailure {
  let message = 'upstream sent an error event';
  try {
    const parsed = JSON.parse(data) as { error?: { message?: string } | string; message?: string };
    const m = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (m) message = `upstream error event: ${m}`;
  } catch {
    /* keep the generic message */
  }
  return new UpstreamFailure('protocol', message);
}
