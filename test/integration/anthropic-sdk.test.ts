// The official Anthropic SDK pointed at Sluice's Messages door (POST /v1/messages), in front of OpenAI-protocol
// upstreams: requests translated to chat completions exactly, answers and streams back in Anthropic's shapes, tools
// both ways, count_tokens, and errors in Anthropic's shape that the SDK turns into its own error classes.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { hashKey } from '../../src/tenants/key-registry.js';
import { mockCascadeConfig, proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let upstream: FakeUpstream;
let app: TestApp;
let client: Anthropic;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  const cfg = proxyConfig([upstream.url]);
  (cfg.routes as Array<Record<string, unknown>>)[0]!.aliases = ['claude-opus-5-5', 'claude-haiku-4-5'];
  app = await startTestApp(cfg, { env: { TEST_KEY: 'sk-upstream' } });
  client = new Anthropic({ baseURL: app.url, apiKey: 'sk-ant-any', maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
  await upstream.close();
});

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

function toolCallCompletion(): Record<string, unknown> {
  return chatCompletion('', {
    finish: 'tool_calls',
    usage: { prompt_tokens: 40, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 8 } },
    extra: {
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
  });
}

describe('the Anthropic SDK against the Messages door', () => {
  it('adds the explain object to the JSON answer when asked', async () => {
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Paris.') }));
    const explained = await client.messages.create(
      { model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Capital of France?' }] },
      { headers: { 'x-sluice-explain': 'true' } },
    );
    expect(explained.content).toEqual([{ type: 'text', text: 'Paris.' }]);
    expect((explained as unknown as { sluice: Record<string, unknown> }).sluice).toMatchObject({
      route: 'auto',
      attempts: [{ tier: 0, outcome: 'accepted' }],
    });
  });

  it('creates a message: the upstream gets a chat completion, the SDK an Anthropic message', async () => {
    upstream.script(() => ({
      kind: 'json',
      body: chatCompletion('Paris.', { usage: { prompt_tokens: 21, completion_tokens: 2 } }),
    }));
    const { data, response } = await client.messages
      .create({
        model: 'claude-opus-5-5',
        max_tokens: 256,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Capital of France?' }],
        stop_sequences: ['\n\nHuman:'],
        metadata: { user_id: 'u-42' },
      })
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-5-5',
      content: [{ type: 'text', text: 'Paris.' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 21, output_tokens: 2 },
    });
    expect(data.id).toMatch(/^msg_/);
    expect(response.headers.get('x-sluice-route')).toBe('auto');
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({
      model: 'upstream-model-0',
      max_tokens: 256,
      stop: ['\n\nHuman:'],
      user: 'u-42',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Capital of France?' },
      ],
    });
    expect(sent.headers.authorization).toBe('Bearer sk-upstream');
    const line = app.logs.find((l) => l.msg === 'request' && l.door === 'messages');
    expect(line).toMatchObject({ door: 'messages', protocol: 'openai', route: 'auto' });
    expect(await app.metric('sluice_door_requests_total', { door: 'messages', protocol: 'openai' })).toBeGreaterThan(0);
  });

  it('asks for structured output and effort as json_schema and reasoning_effort', async () => {
    upstream.script(() => ({ kind: 'json', body: chatCompletion('{"city":"Paris"}') }));
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const res = await client.messages.create({
      model: 'auto',
      max_tokens: 64,
      output_config: { effort: 'max', format: { type: 'json_schema', schema } },
      messages: [{ role: 'user', content: 'Capital of France as JSON' }],
    });
    expect(res.content).toEqual([{ type: 'text', text: '{"city":"Paris"}' }]);
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema } },
    });
  });

  it('answers a tool call with a tool_use block, and sends the tool_result back as a tool message', async () => {
    upstream.script(() => ({ kind: 'json', body: toolCallCompletion() }));
    const first = await client.messages.create({
      model: 'auto',
      max_tokens: 256,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(first.usage).toMatchObject({ input_tokens: 32, cache_read_input_tokens: 8, output_tokens: 9 });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.input_schema } }],
      tool_choice: 'required',
    });

    upstream.script(() => ({ kind: 'json', body: chatCompletion('It is 21 °C in Paris.') }));
    const second = await client.messages.create({
      model: 'auto',
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '{"celsius":21}' }] },
            { type: 'text', text: 'In one sentence.' },
          ],
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is 21 °C in Paris.' }]);
    expect(upstream.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
      { role: 'user', content: 'In one sentence.' },
    ]);
  });

  it('streams: message_start with the prompt count, text deltas, message_delta with usage, message_stop', async () => {
    upstream.script(() => ({
      kind: 'sse',
      events: chatChunks(['Par', 'is', '.'], { usage: { prompt_tokens: 21, completion_tokens: 3 } }),
    }));
    const stream = client.messages.stream({
      model: 'auto',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    const types: string[] = [];
    let text = '';
    let startInput = 0;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') startInput = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(text).toBe('Paris.');
    expect(startInput).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).toContain('content_block_start');
    expect(types).toContain('content_block_stop');
    expect(final.content).toMatchObject([{ type: 'text', text: 'Paris.' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(3);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams a tool call as a tool_use block with input_json_delta', async () => {
    const base = { id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1, model: 'm' };
    const call = (fn: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...extra, function: fn }] }, finish_reason: null }],
      });
    upstream.script(() => ({
      kind: 'sse',
      events: [
        call({ name: 'get_weather', arguments: '' }, { id: 'call_9', type: 'function' }),
        call({ arguments: '{"city":' }),
        call({ arguments: '"Paris"}' }),
        JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
        JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 } }),
      ],
    }));
    const final = await client.messages
      .stream({ model: 'auto', max_tokens: 64, tools: [weatherTool], messages: [{ role: 'user', content: 'Paris?' }] })
      .finalMessage();
    expect(final.content).toEqual([{ type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(final.stop_reason).toBe('tool_use');
  });

  it('counts tokens without calling the upstream: system, tools and messages all count', async () => {
    const before = upstream.requests.length;
    const plain = await client.messages.countTokens({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    const more = await client.messages.countTokens({
      model: 'claude-haiku-4-5',
      system: 'You are a travel guide who answers in one short sentence.',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(plain.input_tokens).toBeGreaterThan(3);
    expect(more.input_tokens).toBeGreaterThan(plain.input_tokens + 20);
    expect(upstream.requests.length).toBe(before);
    const beta = await app.post('/v1/messages/count_tokens?beta=true', {
      model: 'auto',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(beta.json).toEqual({ input_tokens: plain.input_tokens });
  });

  it('answers errors in Anthropic’s shape, which the SDK turns into its error classes', async () => {
    const missing = await client.messages
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] } as never)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
    expect((missing as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
    const unknown = await client.messages
      .create({ model: 'no-such-model', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    const tokens = await client.messages
      .countTokens({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(tokens).toBeInstanceOf(Anthropic.NotFoundError);
    const serverTool = await client.messages
      .create({
        model: 'auto',
        max_tokens: 8,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(serverTool).toBeInstanceOf(Anthropic.BadRequestError);
    expect((serverTool as Error).message).toContain('tools[0]');
    const bad = await app.post('/v1/messages', '{"model":', { 'x-api-key': 'k' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const notFound = await app.post('/v1/messages/nope', {});
    expect(notFound.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('an upstream failure is an Anthropic api_error (JSON) or an error event after the stream began', async () => {
    upstream.script(() => ({ kind: 'json', status: 500, body: { error: { message: 'boom', type: 'server_error' } } }));
    const failed = await client.messages
      .create({ model: 'auto', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.APIError);
    expect((failed as InstanceType<typeof Anthropic.APIError>).status).toBeGreaterThanOrEqual(500);

    upstream.script(() => ({ kind: 'sse', events: chatChunks(['Hello', ' there', ' friend']), cutAfter: 2 }));
    const res = await app.post('/v1/messages', {
      model: 'auto',
      max_tokens: 8,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    const events = res.text.split('\n\n').filter((e) => e.startsWith('event: '));
    expect(events[0]).toMatch(/^event: message_start/);
    expect(events.at(-1)).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(res.text).not.toContain('message_stop');
  });
});

describe('Claude Code’s request shape', () => {
  it('takes system messages mid-conversation, thinking blocks, adaptive thinking and its betas', async () => {
    upstream.script(() => ({
      kind: 'sse',
      events: chatChunks(['Done.'], { usage: { prompt_tokens: 50, completion_tokens: 2 } }),
    }));
    const res = await app.post(
      '/v1/messages?beta=true',
      {
        model: 'claude-opus-5-5',
        max_tokens: 32000,
        stream: true,
        thinking: { type: 'adaptive' },
        metadata: { user_id: JSON.stringify({ device_id: 'd', session_id: 's' }) },
        system: [
          { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Work in /repo.' },
        ],
        tools: [weatherTool],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Look at the file.', signature: 'sig' },
              { type: 'text', text: 'Looking.' },
            ],
          },
          { role: 'system', content: 'The user switched to plan mode.' },
          { role: 'user', content: 'Go on.' },
        ],
      },
      { 'x-api-key': 'sk-ant-any', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219' },
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('event: message_stop');
    expect(upstream.requests.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'You are Claude Code.\n\nWork in /repo.' },
      { role: 'user', content: 'Fix the bug.' },
      { role: 'assistant', content: 'Looking.' },
      { role: 'system', content: 'The user switched to plan mode.' },
      { role: 'user', content: 'Go on.' },
    ]);
  });
});

describe('keys and limits on the Messages door', () => {
  it('reads the key from x-api-key (or a bearer token), and answers refusals as the SDK expects', async () => {
    const key = 'sk-sluice-anthropic-test-key';
    const keyed = await startTestApp(
      { ...mockCascadeConfig(), keys: [{ tenant: 't', sha256: hashKey(key), rpm: 1 }] },
      {},
    );
    try {
      const ok = await new Anthropic({ baseURL: keyed.url, apiKey: key, maxRetries: 0 }).messages.create({
        model: 'auto',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(ok.type).toBe('message');
      const bearer = await new Anthropic({ baseURL: keyed.url, authToken: key, maxRetries: 0 }).messages
        .create({ model: 'auto', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(bearer).toBeInstanceOf(Anthropic.RateLimitError); // the same key: its 1 rpm is spent
      expect((bearer as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      });
      const wrong = await new Anthropic({ baseURL: keyed.url, apiKey: 'sk-wrong', maxRetries: 0 }).messages
        .create({ model: 'auto', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(Anthropic.AuthenticationError);
    } finally {
      await keyed.close();
    }
  });
});

describe('the Messages door over a cascade', () => {
  it('escalates an unsure cheap answer as for chat completions, and says so in the headers', async () => {
    const cascade = await startTestApp(mockCascadeConfig());
    try {
      const c = new Anthropic({ baseURL: cascade.url, apiKey: 'k', maxRetries: 0 });
      const { data, response } = await c.messages
        .create({
          model: 'auto',
          max_tokens: 200,
          messages: [{ role: 'user', content: 'Prove that there are infinitely many primes, rigorously.' }],
        })
        .withResponse();
      expect(data.content[0]!.type).toBe('text');
      expect(response.headers.get('x-sluice-route')).toBe('auto');
      expect(response.headers.get('x-sluice-tier')).not.toBeNull();
      const stream = await c.messages
        .stream({ model: 'auto', max_tokens: 200, messages: [{ role: 'user', content: 'What is 2+2?' }] })
        .finalMessage();
      expect(stream.content[0]!.type).toBe('text');
    } finally {
      await cascade.close();
    }
  });
});
