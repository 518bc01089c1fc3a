// The simulated model's structured answers: what it calls, what it fills in, and how an unsure one breaks them.
import { describe, expect, it } from 'vitest';
import { countText } from '../../src/classify/count-tokens.js';
import { mockAnswer } from '../../src/upstream/mock-model.js';
import { example, structuredAnswer } from '../../src/upstream/mock-structured.js';

const words = ['paris', 'is', 'the', 'capital', 'of', 'france'];
const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['c', 'f'] } },
    },
  },
};
const search = {
  type: 'function',
  function: { name: 'search', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
};
const ask = (extra: Record<string, unknown>) => ({ messages: [{ role: 'user', content: 'weather?' }], ...extra });

describe('structuredAnswer', () => {
  it('answers in words when nothing structured is asked', () => {
    expect(structuredAnswer(ask({}), words, false, 'Maybe')).toBeUndefined();
    expect(structuredAnswer(ask({ response_format: { type: 'text' } }), words, false, 'Maybe')).toBeUndefined();
  });
  it('calls the first tool, or the one tool_choice names, with arguments of its schema', () => {
    const first = structuredAnswer(ask({ tools: [weather, search] }), words, false, 'Maybe');
    expect(first).toEqual({
      kind: 'tool_call',
      name: 'get_weather',
      arguments: JSON.stringify({ city: 'paris is the capital', days: 6, unit: 'c' }),
    });
    const named = structuredAnswer(
      ask({ tools: [weather, search], tool_choice: { type: 'function', function: { name: 'search' } } }),
      words,
      false,
      'Maybe',
    );
    expect(named).toMatchObject({ kind: 'tool_call', name: 'search' });
  });
  it('calls no tool with tool_choice none, nor after a tool result unless a call is required', () => {
    expect(structuredAnswer(ask({ tools: [weather], tool_choice: 'none' }), words, false, 'Maybe')).toBeUndefined();
    const afterResult = {
      tools: [weather],
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    };
    expect(structuredAnswer(afterResult, words, false, 'Maybe')).toBeUndefined();
    expect(structuredAnswer({ ...afterResult, tool_choice: 'required' }, words, false, 'Maybe')).toMatchObject({
      kind: 'tool_call',
    });
  });
  it('answers JSON mode with an object and json_schema with the schema shape', () => {
    const obj = structuredAnswer(ask({ response_format: { type: 'json_object' } }), words, false, 'Maybe');
    expect(JSON.parse((obj as { text: string }).text)).toEqual({ answer: words.join(' '), simulated: true });
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        ok: { type: ['boolean', 'null'] },
      },
    };
    const shaped = structuredAnswer(
      ask({ response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }),
      words,
      false,
      'Maybe',
    );
    expect(JSON.parse((shaped as { text: string }).text)).toEqual({
      name: 'paris is the capital',
      tags: ['paris is the capital'],
      ok: true,
    });
  });
  it('when unsure, wraps JSON in a hedge and cuts tool arguments short: neither parses', () => {
    const json = structuredAnswer(ask({ response_format: { type: 'json_object' } }), words, true, 'Maybe') as {
      text: string;
    };
    expect(json.text.startsWith('Maybe: {')).toBe(true);
    expect(() => JSON.parse(json.text)).toThrow();
    const call = structuredAnswer(ask({ tools: [weather] }), words, true, 'Maybe') as { arguments: string };
    expect(() => JSON.parse(call.arguments)).toThrow();
  });
});

it('example stops at a depth instead of following a recursive schema forever', () => {
  const node: Record<string, unknown> = { type: 'object' };
  node.properties = { child: node };
  expect(JSON.stringify(example(node, words))).toBe('{"child":{"child":{"child":{"child":{}}}}}');
});

describe("mockAnswer respects the client's limit", () => {
  const mock = { latencyMs: 0, tokensPerSecond: 0, answerTokens: 30, skill: 0.5, verboseWhenUnsure: true };
  const prompts = [
    'hi',
    'Name a colour in one word',
    'Prove the Riemann hypothesis and explain every step in detail.',
    'What is 2 + 2?',
  ];
  it('never generates more tokens than max_tokens, and says length when it stops there', () => {
    for (const prompt of prompts) {
      for (const maxTokens of [1, 3, 5, 20, 60]) {
        for (const body of [undefined, ask({ response_format: { type: 'json_object' } }), ask({ tools: [weather] })]) {
          const a = mockAnswer({
            model: 'mock-small',
            mock,
            prompt,
            promptTokens: 10,
            maxTokens,
            ...(body && { body }),
          });
          const generated = a.text + (a.toolCall?.arguments ?? '');
          expect(a.completionTokens, `${prompt} / ${maxTokens}`).toBeLessThanOrEqual(maxTokens);
          expect(a.completionTokens).toBe(countText(generated, { exact: true }).tokens);
          const whole = mockAnswer({
            model: 'mock-small',
            mock,
            prompt,
            promptTokens: 10,
            maxTokens: undefined,
            ...(body && { body }),
          });
          if (whole.completionTokens > maxTokens) expect(a.finishReason).toBe('length');
        }
      }
    }
  });
});
