// The Anthropic backend wire's pure parts: usage, stream events to chat chunks, errors mid-stream.
import { describe, expect, it } from 'vitest';
import { anthropicStreamTranslator, chatToAnthropic, chatUsage, fitNative } from '../../src/upstream/anthropic-wire.js';
import { UpstreamFailure } from '../../src/upstream/upstream-failure.js';

const ev = (data: unknown) => ({ data: JSON.stringify(data) });

describe('the Anthropic wire', () => {
  it('counts cache reads and writes into prompt tokens, writes split by lifetime', () => {
    expect(
      chatUsage({
        input_tokens: 10,
        output_tokens: 4,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 30,
        cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 10 },
      }),
    ).toEqual({
      prompt_tokens: 140,
      completion_tokens: 4,
      total_tokens: 144,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20, cache_write_1h_tokens: 10 },
    });
  });

  it('leaves thinking out of chat chunks and ends with usage and [DONE]', () => {
    const t = anthropicStreamTranslator();
    const out = t([
      ev({ type: 'message_start', message: { id: 'msg_1', model: 'c', usage: { input_tokens: 7, output_tokens: 1 } } }),
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } }),
      ev({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } }),
      ev({ type: 'message_stop' }),
    ]);
    const data = out.map((e) => (e.data === '[DONE]' ? e.data : JSON.parse(e.data)));
    expect(data.map((d) => (d === '[DONE]' ? d : (d.choices[0]?.delta ?? d.usage)))).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      {},
      { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16, prompt_tokens_details: expect.any(Object) },
      '[DONE]',
    ]);
    expect(data[2].choices[0].finish_reason).toBe('length');
  });

  it('throws an error event as the failure its type names (overloaded: 529, retryable)', () => {
    const t = anthropicStreamTranslator();
    let err: unknown;
    try {
      t([ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UpstreamFailure);
    expect((err as UpstreamFailure).status).toBe(529);
    expect((err as UpstreamFailure).retryable).toBe(true);
  });

  it('always sets max_tokens, and merges consecutive turns of one role', () => {
    const body = chatToAnthropic({
      model: 'c',
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
      max_completion_tokens: 99,
    });
    expect(body).toEqual({
      model: 'c',
      max_tokens: 99,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
  });

  it('turns thinking off when the tool loop’s last assistant turn came from another provider (no signed thinking)', () => {
    const toolTurn = (content: unknown[]) => ({
      model: 'c',
      max_tokens: 9,
      thinking: { type: 'adaptive' },
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'ok' }] },
      ],
    });
    const foreign = toolTurn([{ type: 'tool_use', id: 't', name: 'f', input: {} }]);
    expect(fitNative(foreign).thinking).toBeUndefined();
    const signed = toolTurn([
      { type: 'thinking', thinking: 'x', signature: 's' },
      { type: 'tool_use', id: 't', name: 'f', input: {} },
    ]);
    expect(fitNative(signed)).toBe(signed);
    const plain = toolTurn([{ type: 'text', text: 'hi' }]);
    expect(fitNative(plain)).toBe(plain);
  });
});
