// The doors' pure translations: request bodies to chat completions, chat chunks to each door's events.
import { describe, expect, it } from 'vitest';
import type { DoorContext, StreamTranslator } from '../../src/doors/door.js';
import { anthropicErrorType, messagesStream, messagesToChat } from '../../src/doors/messages.js';
import { chatToResponse, echoJson, usageJson } from '../../src/doors/responses-answer.js';
import { chatToResponseObject, echo, usageOf } from './responses-reference.js';
import { responseItems, responsesStream, responsesToChat } from '../../src/doors/responses.js';
import type { SluiceError } from '../../src/errors/sluice-error.js';
import { textOnlyChunk } from '../../src/openai/text-chunk.js';
import { ByteWriter } from '../../src/shared/byte-writer.js';

const ctx: DoorContext = { id: 'abc', model: 'claude-x', inputTokens: 12, request: {}, now: 1_700_000_000_000 };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: 'c', choices: [{ index: 0, delta, finish_reason: finish }] });
const events = (sse: string) =>
  sse
    .split('\n\n')
    .filter(Boolean)
    .map((e) => JSON.parse(e.split('\n')[1]!.slice(6)) as Record<string, unknown>);
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as SluiceError;
  }
  throw new Error('did not throw');
};

describe('the Messages door', () => {
  it('numbers content blocks: text, then two tool calls, each opened and closed in turn', () => {
    const t = messagesStream(ctx);
    let sse = t.chunk(chunk({ role: 'assistant', content: 'Checking.' }));
    sse += t.chunk(chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{}' } }] }));
    sse += t.chunk(chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: 'g', arguments: '{"x":1}' } }] }));
    sse += t.chunk(chunk({}, 'tool_calls'));
    sse += t.end();
    const e = events(sse);
    expect(e.map((x) => `${x.type}${x.index === undefined ? '' : `:${x.index}`}`)).toEqual([
      'message_start',
      'ping',
      'content_block_start:0',
      'content_block_delta:0',
      'content_block_stop:0',
      'content_block_start:1',
      'content_block_delta:1',
      'content_block_stop:1',
      'content_block_start:2',
      'content_block_delta:2',
      'content_block_stop:2',
      'message_delta',
      'message_stop',
    ]);
    expect(e[0]).toMatchObject({ message: { id: 'msg_abc', model: 'claude-x', usage: { input_tokens: 12 } } });
    expect(e.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('ends an empty stream well formed, and skips data that is not JSON', () => {
    const t = messagesStream(ctx);
    expect(t.chunk('not json')).toBe('');
    expect(events(t.end()).map((x) => x.type)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
  });

  it('maps statuses to Anthropic error types', () => {
    expect([400, 401, 403, 404, 413, 429, 500, 502, 529].map(anthropicErrorType)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'request_too_large',
      'rate_limit_error',
      'api_error',
      'api_error',
      'overloaded_error',
    ]);
  });

  it('refuses blocks a chat backend cannot take, naming where they are', () => {
    const e = thrown(() =>
      messagesToChat({
        model: 'm',
        max_tokens: 5,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'tool_use', id: 'x', name: 'n' },
            ],
          },
        ],
      }),
    );
    expect(e.param).toBe('messages[0].content[1]');
    expect(thrown(() => messagesToChat({ model: 'm', max_tokens: 0, messages: [] })).param).toBe('max_tokens');
  });

  it('keeps image blocks as image parts and an is_error tool result as an error', () => {
    const chat = messagesToChat({
      model: 'm',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'text', text: 'What is this?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'look', input: { q: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: 'timeout' }] },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'text', text: 'What is this?' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'look', arguments: '{"q":1}' } }],
      },
      { role: 'tool', tool_call_id: 't1', content: 'Error: timeout' },
    ]);
  });
});

describe('the Responses door', () => {
  it('writes usage as text exactly as the object serialises, odd counts included', () => {
    const usages: unknown[] = [
      { prompt_tokens: 14, completion_tokens: 200, total_tokens: 214 },
      {
        prompt_tokens: 1200,
        completion_tokens: 30,
        prompt_tokens_details: { cached_tokens: 1024 },
        completion_tokens_details: { reasoning_tokens: 12 },
      },
      { prompt_tokens: -3, completion_tokens: 1.5, prompt_tokens_details: null, completion_tokens_details: 'x' },
      { prompt_tokens: 1e21, completion_tokens: Number.NaN },
      {},
    ];
    for (const usage of usages) expect(usageJson({ usage })).toBe(JSON.stringify(usageOf({ usage })));
    expect(usageJson({})).toBeUndefined();
  });

  it("writes the request's echo as text exactly as the object serialises, whatever the request holds", () => {
    const requests: Array<Record<string, unknown>> = [
      {},
      {
        instructions: 'Be "brief"\n',
        max_output_tokens: 64,
        metadata: { a: '1', é: 'ü' },
        parallel_tool_calls: false,
        reasoning: { effort: 'high' },
        store: false,
        temperature: 0.2,
        text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' } } },
        tool_choice: { type: 'function', name: 'f' },
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
        top_p: 0.5,
        user: 'u\u2028',
      },
      { instructions: 3, max_output_tokens: '64', metadata: [1], reasoning: 'x', text: null, tools: {}, user: 1 },
      { temperature: Number.NaN, tool_choice: 'required', store: true },
    ];
    for (const request of requests) {
      const c = { ...ctx, model: 'gpt-"x"', request };
      expect(`{${echoJson(c)}}`).toBe(JSON.stringify(echo(c)));
    }
  });

  it('writes the JSON answer as text exactly as the object serialises, with its items for the store', () => {
    const completion = (message: Record<string, unknown>, finish: unknown, usage?: unknown) => ({
      id: 'c',
      choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
      ...(usage !== undefined && { usage }),
    });
    const chats: Array<Record<string, unknown>> = [
      completion({ content: 'Paris "is" the\ncapital \u2028 é 😀' }, 'stop', {
        prompt_tokens: 3,
        completion_tokens: 4,
      }),
      completion({ content: 'cut' }, 'length'),
      completion({ content: '' }, 'content_filter', null),
      completion(
        {
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"q":"\u00e9"}' } },
            { type: 'function', function: {} },
          ],
        },
        'tool_calls',
        { prompt_tokens: 1200, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 1024 } },
      ),
      completion(
        { content: 'text and a call', tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{}' } }] },
        'stop',
      ),
      { choices: [] },
      {},
      {
        _native: {
          id: 'resp_upstream',
          model: 'backend-model',
          output: [{ id: 'msg_1', type: 'message' }, { type: 'x' }],
        },
      },
    ];
    const requests: Array<Record<string, unknown>> = [
      {},
      { instructions: 'Be brief.', tools: [{ type: 'function', name: 'look' }], store: false, metadata: { k: 'v' } },
    ];
    for (const chat of chats)
      for (const request of requests) {
        const c = { ...ctx, request };
        const answer = chatToResponse(chat, c);
        const reference = chatToResponseObject(chat, c);
        expect(answer.text).toBe(JSON.stringify(reference));
        const output = (reference.output as Array<{ id?: unknown }>).filter((o) => typeof o.id === 'string');
        expect(answer.items).toEqual(output.map((o) => ({ id: o.id, json: JSON.stringify(o) })));
      }
  });

  it('turns items into chat messages: developer as system, images, consecutive calls in one assistant turn', () => {
    const chat = responsesToChat({
      model: 'm',
      input: [
        { role: 'developer', content: 'Rules.' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Both?' },
            { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call', call_id: 'b', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'a', output: '1' },
        { type: 'function_call_output', call_id: 'b', output: [{ type: 'input_text', text: '2' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Rules.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Both?' },
          { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: '1' },
      { role: 'tool', tool_call_id: 'b', content: '2' },
    ]);
  });

  it('ends a stream cut after the commit point with response.failed, sequence numbers continuing', () => {
    const t = responsesStream(ctx);
    const before = events(t.chunk(chunk({ content: 'Hi' })));
    const failed = events(
      t.error(
        { error: { message: 'upstream went away', type: 'server_error', param: null, code: 'upstream_error' } },
        502,
      ),
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      type: 'response.failed',
      sequence_number: before.length,
      response: { id: 'resp_abc', status: 'failed', error: { code: 'server_error', message: 'upstream went away' } },
    });
  });

  it('resolves item references from what was found, and names one that was not', () => {
    const body = {
      model: 'm',
      input: [
        { type: 'item_reference', id: 'fc_1' },
        { type: 'item_reference', id: 'x' },
      ],
    };
    expect(responseItems.references(body)).toEqual(['fc_1', 'x']);
    const item = { id: 'fc_1', type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' };
    expect(thrown(() => responseItems.resolve(body, new Map([['fc_1', item]]))).param).toBe('input[1]');
    expect(responseItems.resolve({ ...body, input: [body.input[0]] }, new Map([['fc_1', item]])).input).toEqual([item]);
    expect(responseItems.keeps({ store: false })).toBe(false);
    expect(responseItems.keeps({})).toBe(true);
  });
});

describe("a door's per-token events written as bytes", () => {
  // A stream as the cascade hands it on: text chunks read by the text-only reader, the rest parsed.
  const stream = [
    chunk({ role: 'assistant', content: '' }),
    ...['Hel', 'lo \u00e9', ' \u20ac5', ' \u{1F600}', ' \\"q\\"', ' \u6771'].map((t) =>
      chunk({ content: JSON.parse(`"${t}"`) as string }),
    ),
    chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{}' } }] }),
    ...[' after', ' the call'].map((t) => chunk({ content: t })),
    chunk({}, 'stop'),
  ];
  const asText = (t: StreamTranslator) =>
    stream.map((data) => t.chunk(data, textOnlyChunk(data) ?? JSON.parse(data))).join('') + t.end();
  const asBytes = (t: StreamTranslator) => {
    const w = new ByteWriter();
    const out: Buffer[] = [];
    let wrote = 0;
    for (const data of stream) {
      const delta = textOnlyChunk(data);
      if (delta && t.textInto!(delta, w)) wrote++;
      else {
        const text = t.chunk(data, delta ?? JSON.parse(data));
        out.push(...(w.take() ?? []).map((b) => Buffer.from(b)), Buffer.from(text));
      }
    }
    out.push(...(w.take() ?? []).map((b) => Buffer.from(b)), Buffer.from(t.end()));
    return { bytes: Buffer.concat(out), wrote };
  };
  for (const [name, make] of [
    ['Responses', responsesStream],
    ['Messages', messagesStream],
  ] as const)
    it(`are the bytes of the ${name} door's text events, in order with the rest`, () => {
      const { bytes, wrote } = asBytes(make(ctx));
      expect(bytes.toString()).toBe(asText(make(ctx)));
      expect(wrote).toBe(6); // every text chunk but those that open an item or block
    });
});
