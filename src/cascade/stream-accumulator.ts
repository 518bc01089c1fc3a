// Reads one upstream chat/completions stream event by event: keeps the answer text, tool calls, finish reason
// and usage, and decides what the client gets for each event (the usage chunk only if the client asked). Pure.
import type { ChatChunk, ToolCall, Usage } from '../openai/types.js';
import type { SseEvent } from '../upstream/sse-parser.js';
import { UpstreamFailure } from '../upstream/upstream-failure.js';

export interface ToolCallSoFar {
  id?: string;
  name: string;
  arguments: string;
}

export class StreamAccumulator {
  text = '';
  readonly toolCalls: ToolCallSoFar[] = [];
  finishReason: string | null = null;
  usage: Usage | undefined;
  /** `[DONE]` seen. */
  done = false;
  /** Events carrying answer content (text, tool calls or a finish reason). */
  contentEvents = 0;
  /** Token logprobs of the first choice, when the backend sent them. */
  readonly logprobs: number[] = [];
  refusal = '';
  /** Template for a synthesized usage chunk: id, created, model of the stream. */
  head: { id?: unknown; created?: unknown; model?: unknown; object?: unknown } = {};

  constructor(private readonly clientWantsUsage: boolean, private readonly stripLogprobs = false) {}

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
    let chunk: ChatChunk & { error?: unknown };
    try {
      chunk = JSON.parse(ev.data) as ChatChunk & { error?: unknown };
    } catch {
      throw new UpstreamFailure('protocol', 'stream event is not JSON');
    }
    if (chunk.error !== undefined) throw streamError(ev.data);
    if (this.head.id === undefined) this.head = { id: chunk.id, created: chunk.created, model: chunk.model, object: chunk.object };
    const hadLogprobs = this.read(chunk);
    const stripUsage = 'usage' in chunk && !this.clientWantsUsage;
    if (!stripUsage && !hadLogprobs) return ev.data;
    if (stripUsage) {
      if (chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      delete chunk.usage;
    }
    return JSON.stringify(chunk);
  }

  /** Reads one chunk; returns whether it carried logprobs that must be stripped. */
  private read(chunk: ChatChunk): boolean {
    if (chunk.usage) this.usage = chunk.usage;
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return false;
    let stripped = false;
    for (const choice of choices) {
      if (choice.logprobs != null && this.stripLogprobs) { this.readLogprobs(choice); choice.logprobs = null; stripped = true; }
      if ((choice.index ?? 0) !== 0) continue;
      if (!this.stripLogprobs) this.readLogprobs(choice);
      let content = false;
      const delta = choice.delta;
      if (typeof delta?.refusal === 'string') this.refusal += delta.refusal;
      const text = delta?.content ?? (choice as { text?: unknown }).text;
      if (typeof text === 'string' && text !== '') { this.text += text; content = true; }
      if (delta?.tool_calls) { this.readToolCalls(delta.tool_calls); content = true; }
      if (choice.finish_reason) { this.finishReason = choice.finish_reason; content = true; }
      if (content) this.contentEvents++;
    }
    return stripped;
  }

  private readLogprobs(choice: NonNullable<ChatChunk['choices']>[number]): void {
    if ((choice.index ?? 0) !== 0) return;
    const content = (choice.logprobs as { content?: Array<{ logprob?: unknown }> } | null | undefined)?.content;
    if (Array.isArray(content)) for (const t of content) if (typeof t.logprob === 'number') this.logprobs.push(t.logprob);
  }

  private readToolCalls(calls: readonly ToolCall[]): void {
    for (const call of calls) {
      const i = call.index ?? this.toolCalls.length;
      const slot = (this.toolCalls[i] ??= { name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
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
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (m) message = `upstream error event: ${m}`;
  } catch { /* keep the generic message */ }
  return new UpstreamFailure('protocol', message);
}
