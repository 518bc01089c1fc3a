import { describe, expect, it } from 'vitest';
import { completionToChunks } from '../../src/cache/cached-stream.js';
import { usageFrom } from '../../src/cascade/attempt.js';
import { StreamAccumulator } from '../../src/cascade/stream-accumulator.js';
import { countText } from '../../src/classify/count-tokens.js';
import { asTokenCount, maxPlausibleTokens, tokenLogprobs, toolCallsOf } from '../../src/openai/wire-values.js';

describe('reading values out of an upstream answer of any shape', () => {
  it('believes only whole token counts from 0 to the plausible maximum', () => {
    for (const ok of [0, 1, 128_000, maxPlausibleTokens]) expect(asTokenCount(ok)).toBe(ok);
    for (const bad of [-1, 1.5, '5', null, undefined, NaN, Infinity, 1e300, maxPlausibleTokens + 1, {}])
      expect(asTokenCount(bad)).toBeUndefined();
  });

  it('usage: reported counts when believable, the estimate (marked) when not', () => {
    const estimate = { inputTokens: 40, outputText: 'four words of answer' };
    const out = countText(estimate.outputText).tokens;
    expect(
      usageFrom({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } }, estimate),
    ).toEqual({ input: 10, cachedInput: 4, output: 5, estimated: false });
    expect(usageFrom({ prompt_tokens: 10, total_tokens: 10 }, { inputTokens: 40, outputText: undefined })).toEqual({
      input: 10,
      cachedInput: 0,
      output: 0,
      estimated: false,
    }); // embeddings
    expect(usageFrom({ prompt_tokens: 10 }, { inputTokens: 40, outputText: undefined })).toEqual({
      input: 10,
      cachedInput: 0,
      output: 0,
      estimated: false,
    });
    expect(usageFrom({ prompt_tokens: 10, total_tokens: 17 }, estimate)).toEqual({
      input: 10,
      cachedInput: 0,
      output: 7,
      estimated: false,
    });
    expect(usageFrom({ prompt_tokens: 10 }, estimate)).toEqual({
      input: 10,
      cachedInput: 0,
      output: out,
      estimated: true,
    }); // no completion count
    expect(usageFrom({ prompt_tokens: 10, completion_tokens: -5 }, estimate)).toEqual({
      input: 10,
      cachedInput: 0,
      output: out,
      estimated: true,
    });
    expect(
      usageFrom({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 99 } }, estimate)
        .cachedInput,
    ).toBe(10);
    for (const bad of [
      null,
      'x',
      [],
      { prompt_tokens: -1 },
      { prompt_tokens: '10' },
      { prompt_tokens: 1e300, completion_tokens: 1 },
    ]) {
      expect(usageFrom(bad, estimate)).toEqual({ input: 40, cachedInput: 0, output: out, estimated: true });
    }
  });

  it('logprobs and tool calls: the well-formed entries, in order', () => {
    expect(tokenLogprobs({ content: [{ logprob: -0.5 }, null, { logprob: 'x' }, 5, { logprob: -1 }] })).toEqual([
      -0.5, -1,
    ]);
    expect(tokenLogprobs('x')).toEqual([]);
    expect(toolCallsOf('none')).toEqual([]);
    expect(
      toolCallsOf([
        null,
        5,
        { index: 'a', id: 'c', function: null },
        { index: 1, function: { name: 'f', arguments: '{}' } },
      ]),
    ).toEqual([{ id: 'c' }, { index: 1, name: 'f', arguments: '{}' }]);
  });

  it('a stream whose tool calls name far-off indexes still leaves a list without holes', () => {
    const acc = new StreamAccumulator(false);
    const event = (delta: unknown) => ({ data: JSON.stringify({ choices: [{ index: 0, delta }] }) });
    acc.accept(event({ tool_calls: [{ index: 500, id: 'a', function: { name: 'f', arguments: '{"x"' } }] }));
    acc.accept(event({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
    acc.accept(event({ tool_calls: [{ index: 7, id: 'b', function: { name: 'g', arguments: '{}' } }] }));
    expect(acc.toolCalls).toEqual([
      { id: 'a', name: 'f', arguments: '{"x":1}' },
      { id: 'b', name: 'g', arguments: '{}' },
    ]);
    expect(() => acc.accept({ data: 'null' })).toThrow(/not a JSON object/);
  });

  it('a cached answer of any shape replays as a stream without throwing', () => {
    expect(
      completionToChunks(
        {
          choices: [
            null,
            { message: null },
            { index: 2, message: { content: 5, tool_calls: [null, { id: 't' }] }, finish_reason: 3 },
          ],
        },
        true,
      ),
    ).toHaveLength(4);
    expect(completionToChunks({ choices: 'x' }, false)).toEqual([]);
  });
});
