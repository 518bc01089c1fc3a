// The plain-chat check skips zod for ordinary chat bodies: it must never accept a body the chat schema refuses,
// and must accept what clients ordinarily send (or it saves nothing).
import { describe, expect, it } from 'vitest';
// Seeded, so a failure names a seed that reproduces it.
import { mulberry32 as random } from '../../src/classify/logistic-model.js';
import { isPlainChat } from '../../src/http/plain-chat.js';
import { bodySchemas } from '../../src/http/validate-body.js';
import { expectNoFalseAccept } from '../helpers/plain-check.js';

const odd = [undefined, null, '', 'x', 0, -1, 1, 1.5, 2.5, 129, 2 ** 60, -(2 ** 60), true, false, [], {}, ['a'], [1]];
const pools: Record<string, unknown[]> = {
  model: ['auto', '', 'gpt-4o', 7, null],
  stream: [true, false],
  stream_options: [{ include_usage: true }, { include_usage: null }, { include_usage: 'yes' }, { other: 1 }],
  max_tokens: [1, 32, 128000, 0],
  max_completion_tokens: [1, 4096, 0],
  n: [1, 2, 128, 0],
  temperature: [0, 0.7, 2, 2.0001, -0.1],
  top_p: [0, 0.9, 1, 1.1],
  stop: ['\n', ['a', 'b'], [], ['a', 2]],
  seed: [42, -42, 0],
  user: ['u-1'],
  tools: [
    [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
    [{ type: 'function' }],
    [{ type: 'function', function: null }],
    [{ type: 'function', function: { name: '' } }],
    [{ type: 7 }],
    [null],
  ],
  response_format: [{ type: 'json_object' }, { type: 'json_schema', json_schema: {} }, { type: 'xml' }, { type: null }],
  logprobs: [true, false],
  top_logprobs: [0, 5, 20, 21],
};
const roles = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'bot', '', null, 1];
const contents = [
  'hi',
  '',
  null,
  undefined,
  [{ type: 'text', text: 'hi' }],
  [{ type: 'image_url', image_url: { url: 'data:' } }],
  [],
  [{ text: 'no type' }],
  [{ type: 3 }],
  ['text'],
  [null],
  { type: 'text' },
  42,
];

function body(next: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const b: Record<string, unknown> = { model: next() < 0.9 ? 'auto' : pick(pools.model!) };
  const n = next() < 0.05 ? 0 : 1 + Math.floor(next() * 4);
  const messages: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (next() < 0.03) messages.push(pick(odd));
    else {
      const m: Record<string, unknown> = { role: next() < 0.9 ? pick(roles.slice(0, 6)) : pick(roles) };
      const c = next() < 0.85 ? pick(contents.slice(0, 6)) : pick(contents);
      if (c !== undefined) m.content = c;
      if (next() < 0.1) m.tool_calls = [{ id: 'c1', type: 'function' }];
      messages.push(m);
    }
  }
  b.messages = next() < 0.97 ? messages : pick(odd);
  for (const [key, values] of Object.entries(pools)) {
    if (key === 'model' || next() < 0.7) continue;
    b[key] = next() < 0.8 ? pick(values) : pick(odd);
  }
  if (next() < 0.1) b.metadata = { anything: [1, { deep: true }] };
  return b;
}

describe('isPlainChat', () => {
  it('accepts no body the chat schema refuses (20,000 generated bodies)', () => {
    // Both sides of the check are exercised: many bodies are plain, many are refused.
    expectNoFalseAccept({
      bodies: 20_000,
      body: (seed) => body(random(seed)) as Record<string, unknown>,
      plain: isPlainChat,
      schema: bodySchemas.chat,
      atLeast: { plain: 2_000, refused: 4_000 },
    });
  });

  it('accepts what the SDKs and agents ordinarily send', () => {
    const bodies = [
      { model: 'auto', messages: [{ role: 'user', content: 'Hi' }] },
      {
        model: 'auto',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'x' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'a', content: '{"ok":true}' },
        ],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        tool_choice: 'auto',
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
        temperature: 0.2,
        max_completion_tokens: 1000,
        seed: 7,
        user: 'u',
        stop: ['END'],
      },
    ];
    for (const b of bodies) {
      expect(isPlainChat(b)).toBe(true);
      expect(bodySchemas.chat.safeParse(b).success).toBe(true);
    }
  });
});
