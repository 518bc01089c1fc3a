// Anthropic Messages answers and stream events, as api.anthropic.com sends them, for a fake upstream to serve.
import type { Reply } from './fake-upstream.js';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

export function anthropicMessage(
  content: Block[],
  opts: { stop?: string; usage?: AnthropicUsage; model?: string } = {},
): Record<string, unknown> {
  return {
    id: 'msg_01Fake',
    type: 'message',
    role: 'assistant',
    model: opts.model ?? 'claude-fake',
    content,
    stop_reason: opts.stop ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: opts.usage ?? { input_tokens: 10, output_tokens: 5 },
  };
}

/** A whole streamed answer: text pieces and/or one tool call, split as Anthropic splits them. */
export function anthropicStream(o: {
  pieces?: string[];
  tool?: { id: string; name: string; json: string[] };
  stop?: string;
  usage?: AnthropicUsage;
}): Reply {
  const usage = o.usage ?? { input_tokens: 10, output_tokens: 5 };
  const events: unknown[] = [
    {
      type: 'message_start',
      message: {
        id: 'msg_01Stream',
        type: 'message',
        role: 'assistant',
        model: 'claude-fake',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    },
    { type: 'ping' },
  ];
  let index = 0;
  if (o.pieces) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const text of o.pieces)
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  if (o.tool) {
    events.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: o.tool.id, name: o.tool.name, input: {} },
    });
    for (const partial_json of o.tool.json)
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
    events.push({ type: 'content_block_stop', index });
  }
  events.push(
    {
      type: 'message_delta',
      delta: { stop_reason: o.stop ?? (o.tool ? 'tool_use' : 'end_turn'), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
    { type: 'message_stop' },
  );
  return { kind: 'sse', named: true, done: false, events: events.map((e) => JSON.stringify(e)) };
}

export function anthropicError(status: number, type: string, message: string): Reply {
  return { kind: 'json', status, body: { type: 'error', error: { type, message } } };
}
