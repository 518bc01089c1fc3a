// `protocol: anthropic` backends: Sluice speaks the Messages API to them (x-api-key, anthropic-version, max_tokens
// always set, system top-level, tool_use and tool_result blocks, images, json_schema) and the chat protocol to
// everything else, so a cascade can mix providers through every door. Upstreams are fake servers on 127.0.0.1
// answering exactly as api.anthropic.com and an OpenAI-compatible server do.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicError, anthropicMessage, anthropicStream } from '../helpers/anthropic-fake.js';
import { chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let claude: FakeUpstream;
let gpt: FakeUpstream;
let app: TestApp;
let openai: OpenAI;
let anthropic: Anthropic;

const claudeBackend = (id: string, url: string) => ({
  id,
  protocol: 'anthropic',
  baseUrl: url.replace(/\/v1$/, ''),
  model: 'claude-haiku-4-5',
  apiKeyEnv: 'ANTHROPIC_KEY',
  pricing: {
    inputPerMTok: 1,
    cachedInputPerMTok: 0.1,
    cacheWritePerMTok: 1.25,
    cacheWrite1hPerMTok: 2,
    outputPerMTok: 5,
  },
  contextWindow: 200_000,
});

beforeAll(async () => {
  claude = await startFakeUpstream();
  gpt = await startFakeUpstream();
  app = await startTestApp(
    {
      backends: [
        claudeBackend('haiku', claude.url),
        {
          id: 'gpt',
          protocol: 'openai',
          baseUrl: gpt.url,
          model: 'gpt-strong',
          apiKeyEnv: 'OPENAI_KEY',
          pricing: { inputPerMTok: 3, outputPerMTok: 15 },
        },
      ],
      routes: [
        { name: 'claude-only', tiers: [{ backends: ['haiku'] }] },
        { name: 'mixed', tiers: [{ backends: ['haiku'] }, { backends: ['gpt'] }], maxAttempts: 3 },
        { name: 'reverse', tiers: [{ backends: ['gpt'] }, { backends: ['haiku'] }], maxAttempts: 3 },
        { name: 'failover', tiers: [{ backends: ['haiku', 'gpt'] }] },
      ],
    },
    { env: { ANTHROPIC_KEY: 'sk-ant-upstream', OPENAI_KEY: 'sk-openai-upstream' } },
  );
  openai = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'k', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: app.url, apiKey: 'k', maxRetries: 0 });
});
beforeEach(() => {
  claude.script(() => ({ kind: 'json', body: anthropicMessage([{ type: 'text', text: 'Paris.' }]) }));
  gpt.script(() => ({ kind: 'json', body: chatCompletion('Paris, from GPT.') }));
});
afterAll(async () => {
  await app.close();
  await claude.close();
  await gpt.close();
});

describe('an Anthropic backend behind the chat completions door', () => {
  it('sends a Messages request with its headers, and answers a chat completion', async () => {
    const res = await openai.chat.completions.create({
      model: 'claude-only',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'No lists.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What city is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      stop: 'END',
      temperature: 1.5,
      user: 'u-1',
    });
    expect(res.choices[0]!.message.content).toBe('Paris.');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const sent = claude.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      system: 'Be brief.\n\nNo lists.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What city is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
      ],
      stop_sequences: ['END'],
      temperature: 1,
      metadata: { user_id: 'u-1' },
    });
  });

  it('translates tools, tool calls and tool results both ways', async () => {
    claude.script(() => ({
      kind: 'json',
      body: anthropicMessage([
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      ]),
    }));
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
    ];
    const first = await openai.chat.completions.create({
      model: 'claude-only',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.tool_calls).toEqual([
      { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(claude.requests.at(-1)!.body).toMatchObject({
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    await openai.chat.completions.create({
      model: 'claude-only',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: 'toolu_1', content: '21 C' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(claude.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '21 C' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('streams text and tool input as chat chunks, with usage', async () => {
    claude.script(() =>
      anthropicStream({
        pieces: ['Par', 'is.'],
        tool: { id: 'toolu_2', name: 'lookup', json: ['{"q":', '"paris"}'] },
        usage: { input_tokens: 30, output_tokens: 12, cache_read_input_tokens: 5 },
      }),
    );
    let text = '';
    let args = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null = null;
    for await (const c of await openai.chat.completions.create({
      model: 'claude-only',
      messages: [{ role: 'user', content: 'Paris?' }],
      stream: true,
      stream_options: { include_usage: true },
    })) {
      text += c.choices[0]?.delta.content ?? '';
      args += c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      usage = c.usage ?? usage;
    }
    expect(text).toBe('Paris.');
    expect(args).toBe('{"q":"paris"}');
    expect(finish).toBe('tool_calls');
    expect(usage).toMatchObject({
      prompt_tokens: 35,
      completion_tokens: 12,
      prompt_tokens_details: { cached_tokens: 5 },
    });
    expect(claude.requests.at(-1)!.body.stream).toBe(true);
  });

  it('prices cache reads and both kinds of cache writes at their own prices', async () => {
    claude.script(() => ({
      kind: 'json',
      body: anthropicMessage([{ type: 'text', text: 'ok' }], {
        usage: {
          input_tokens: 1_000,
          output_tokens: 100,
          cache_read_input_tokens: 10_000,
          cache_creation_input_tokens: 3_000,
          cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000 },
        },
      }),
    }));
    const { response } = await openai.chat.completions
      .create({ model: 'claude-only', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    // 1,000 × $1 + 10,000 × $0.10 + 2,000 × $1.25 + 1,000 × $2 + 100 × $5, per million tokens.
    expect(response.headers.get('x-sluice-cost-usd')).toBe('0.007000000');
    expect(await app.metric('sluice_tokens_total', { backend: 'haiku', type: 'cache_write' })).toBe(3_000);
  });

  it('fails over on 529 overloaded and 429 (retryable), not on 400', async () => {
    for (const [status, type] of [
      [529, 'overloaded_error'],
      [429, 'rate_limit_error'],
    ] as const) {
      claude.script(() => anthropicError(status, type, 'busy'));
      const { data, response } = await openai.chat.completions
        .create({ model: 'failover', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(data.choices[0]!.message.content).toBe('Paris, from GPT.');
      expect(response.headers.get('x-sluice-backend')).toBe('gpt');
    }
    claude.script(() => anthropicError(400, 'invalid_request_error', 'messages: bad'));
    const bad = await openai.chat.completions
      .create({ model: 'failover', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as Error).message).toContain('messages: bad');
  });

  it('an error event in the stream before the commit point moves to the next backend', async () => {
    claude.script(() => ({
      kind: 'sse',
      named: true,
      done: false,
      events: [JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })],
    }));
    gpt.script(() => ({ kind: 'json', body: chatCompletion('unused') }));
    gpt.script(() => ({
      kind: 'sse',
      events: [
        JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'g',
          choices: [{ index: 0, delta: { content: 'From GPT.' }, finish_reason: 'stop' }],
        }),
      ],
    }));
    let text = '';
    for await (const c of await openai.chat.completions.create({
      model: 'failover',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    }))
      text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('From GPT.');
  });
});

describe('cascades across protocols, through every door', () => {
  it('a cheap Anthropic tier escalates to a strong OpenAI tier (Messages door, Anthropic SDK)', async () => {
    claude.script(() => anthropicError(500, 'api_error', 'Internal server error'));
    const { data, response } = await anthropic.messages
      .create({ model: 'mixed', max_tokens: 64, messages: [{ role: 'user', content: 'Capital of France?' }] })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Paris, from GPT.' }]);
    expect(response.headers.get('x-sluice-backend')).toBe('gpt');
    expect(app.logs.filter((l) => l.msg === 'request' && l.door === 'messages').at(-1)).toMatchObject({
      protocol: 'openai',
      attempts: [{ backend: 'haiku', outcome: 'failed' }, { backend: 'gpt' }],
    });
  });

  it('a cheap OpenAI tier escalates to a strong Anthropic tier (Responses door, OpenAI SDK)', async () => {
    gpt.script(() => ({ kind: 'json', status: 503, body: { error: { message: 'down', type: 'server_error' } } }));
    const r = await openai.responses.create({ model: 'reverse', input: 'Capital of France?' });
    expect(r.output_text).toBe('Paris.');
    expect(app.logs.filter((l) => l.msg === 'request' && l.door === 'responses').at(-1)).toMatchObject({
      protocol: 'anthropic',
      backend: 'haiku',
    });
    expect(await app.metric('sluice_door_requests_total', { door: 'responses', protocol: 'anthropic' })).toBe(1);
  });

  it('a judged escalation from an Anthropic stream to an OpenAI one keeps the client’s stream whole', async () => {
    // A hedging, padded cheap answer: the judge escalates before anything reaches the client.
    const padded =
      'I think it might possibly be Paris, but I am not entirely sure; perhaps it could also be Lyon, '.repeat(6);
    claude.script(() => anthropicStream({ pieces: [padded] }));
    gpt.script(() => ({
      kind: 'sse',
      events: [
        JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'g',
          choices: [{ index: 0, delta: { content: 'Paris.' }, finish_reason: 'stop' }],
        }),
      ],
    }));
    const final = await anthropic.messages
      .stream({
        model: 'mixed',
        max_tokens: 300,
        messages: [{ role: 'user', content: 'Capital of France? One word.' }],
      })
      .finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: 'Paris.' }]);
    expect(app.logs.filter((l) => l.msg === 'request' && l.door === 'messages').at(-1)).toMatchObject({
      escalations: ['verbose'],
      backend: 'gpt',
    });
  });
});

describe('the Messages door in front of an Anthropic backend: the request as the client sent it', () => {
  const thinking = { type: 'thinking', thinking: 'Paris is the capital.', signature: 'EqQBCgIYAhIM-signed' };

  it('passes the body (thinking signatures, unknown fields, system messages) and the betas on untranslated', async () => {
    claude.script(() => ({
      kind: 'json',
      body: {
        ...anthropicMessage([{ type: 'text', text: 'Paris.' }]),
        content: [thinking, { type: 'text', text: 'Paris.' }],
      },
    }));
    const body = {
      model: 'claude-only',
      max_tokens: 2048,
      thinking: { type: 'adaptive' },
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: [thinking, { type: 'text', text: 'Paris.' }] },
        { role: 'system', content: 'Plan mode is on.' },
        { role: 'user', content: 'And of Italy?' },
      ],
    };
    const res = await app.post('/v1/messages?beta=true', body, {
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
    });
    expect(res.status).toBe(200);
    const sent = claude.requests.at(-1)!;
    expect(sent.body).toEqual({ ...body, model: 'claude-haiku-4-5', stream: false });
    expect(sent.headers['anthropic-beta']).toBe('claude-code-20250219,interleaved-thinking-2025-05-14');
    expect(sent.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(res.json.content).toEqual([thinking, { type: 'text', text: 'Paris.' }]);
    expect(res.json.model).toBe('claude-only');
  });

  it('streams the backend’s own events: thinking and signature deltas reach the SDK intact', async () => {
    const events = [
      {
        type: 'message_start',
        message: {
          id: 'msg_n',
          type: 'message',
          role: 'assistant',
          model: 'claude-haiku-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 20, output_tokens: 1 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Paris is ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'the capital.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'ping' },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Paris.' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    claude.script(() => ({ kind: 'sse', named: true, done: false, events: events.map((e) => JSON.stringify(e)) }));
    const final = await anthropic.messages
      .stream({
        model: 'claude-only',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'Capital of France?' }],
      })
      .finalMessage();
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'Paris is the capital.', signature: 'EqQBsig' },
      expect.objectContaining({ type: 'text', text: 'Paris.' }),
    ]);
    expect(final.model).toBe('claude-only');
    expect(final.usage.output_tokens).toBe(9);
    expect(claude.requests.at(-1)!.body).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stream: true,
    });
  });

  it('lets server tools through to a route of Anthropic backends only, and refuses them where a chat backend could answer', async () => {
    claude.script(() => ({ kind: 'json', body: anthropicMessage([{ type: 'text', text: 'Searched.' }]) }));
    const body = {
      max_tokens: 256,
      tools: [
        { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
        { name: 'get_weather', input_schema: { type: 'object', properties: {} } },
      ],
      messages: [{ role: 'user', content: 'Latest news?' }],
    };
    const ok = await app.post('/v1/messages', { model: 'claude-only', ...body });
    expect(ok.status).toBe(200);
    expect(claude.requests.at(-1)!.body.tools).toEqual(body.tools);
    const mixed = await app.post('/v1/messages', { model: 'mixed', ...body });
    expect(mixed.status).toBe(400);
    expect(mixed.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(mixed.json.error.message).toContain('tools[0]');
  });

  it('asks the backend to count tokens when the route starts on it, else counts itself', async () => {
    claude.script((req) =>
      req.path === '/v1/messages/count_tokens'
        ? { kind: 'json', body: { input_tokens: 4321 } }
        : anthropicStream({ pieces: ['x'] }),
    );
    const counted = await anthropic.messages.countTokens({
      model: 'claude-only',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(counted.input_tokens).toBe(4321);
    expect(claude.requests.at(-1)).toMatchObject({
      path: '/v1/messages/count_tokens',
      body: { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Capital of France?' }] },
    });
    claude.script(() => anthropicError(529, 'overloaded_error', 'busy'));
    const local = await anthropic.messages.countTokens({
      model: 'claude-only',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(local.input_tokens).toBeGreaterThan(3);
    expect(local.input_tokens).toBeLessThan(100);
  });
});

describe('config', () => {
  it('refuses an Anthropic backend without baseUrl or with endpoints it cannot serve', async () => {
    const { loadConfigObject } = await import('../../src/config/load-config.js');
    const bad = (b: Record<string, unknown>) => () =>
      loadConfigObject(
        {
          backends: [{ id: 'a', protocol: 'anthropic', model: 'm', ...b }],
          routes: [{ name: 'r', tiers: [{ backends: ['a'] }] }],
        },
        { env: {} },
      );
    expect(bad({})).toThrow(/baseUrl.*required for protocol anthropic/s);
    expect(bad({ baseUrl: 'https://api.anthropic.com', endpoints: ['chat', 'embeddings'] })).toThrow(/chat only/);
    expect(bad({ baseUrl: 'https://api.anthropic.com', endpoints: ['chat', 'responses'] })).toThrow(/protocol openai/);
    expect(bad({ protocol: 'openai', baseUrl: 'https://x/v1', endpoints: ['responses'] })).toThrow(/needs chat too/);
  });
});
