// Legacy completions, embeddings (base64 untouched), the model list, health, and the mock protocol end to end.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream();
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
});
afterAll(async () => {
  await app.close();
  await up.close();
});

describe('embeddings', () => {
  it('passes encoding_format base64 and the vector through untouched', async () => {
    const b64 = Buffer.from(new Float32Array([0.25, -0.5, 1]).buffer).toString('base64');
    const upstreamBody = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: b64 }],
      model: 'emb',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    };
    up.script(() => ({ kind: 'json', body: upstreamBody }));
    const res = await app.post('/v1/embeddings', {
      model: 'auto',
      input: 'hello',
      encoding_format: 'base64',
      dimensions: 3,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(upstreamBody));
    expect(up.requests.at(-1)!.path).toBe('/v1/embeddings');
    expect(up.requests.at(-1)!.body).toEqual({
      model: 'upstream-model-0',
      input: 'hello',
      encoding_format: 'base64',
      dimensions: 3,
    });
    expect(res.headers['x-sluice-cost-usd']).toBe('0.000003000');
  });
  it('400 when input is missing', async () => {
    const res = await app.post('/v1/embeddings', { model: 'auto' });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe('input');
  });
});

describe('legacy completions', () => {
  it('routes by alias and streams', async () => {
    const chunk = (text: string, finish: string | null) =>
      JSON.stringify({
        id: 'cmpl-1',
        object: 'text_completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
      });
    up.script(() => ({ kind: 'sse', events: [chunk('Hello', null), chunk(' there', null), chunk('', 'stop')] }));
    const res = await app.post('/v1/completions', { model: 'auto', prompt: 'Say hello', stream: true, max_tokens: 5 });
    expect(res.status).toBe(200);
    expect(up.requests.at(-1)!.path).toBe('/v1/completions');
    const data = sseData(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data[0]!).choices[0].text).toBe('Hello');
  });
});

describe('info endpoints', () => {
  it('lists routes and pinned backends in OpenAI list format', async () => {
    const res = await request(`${app.url}/v1/models`);
    const body = (await res.body.json()) as any;
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['auto', 'b0']);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'sluice' });
  });
  it('retrieves one model by name, slashes included; an unknown one is a 404 in the OpenAI shape', async () => {
    const slashed = await startTestApp(proxyConfig([up.url], { route: { aliases: ['meta-llama/Llama-3.1-8B'] } }), {
      env: { TEST_KEY: 'k' },
    });
    for (const id of ['auto', 'b0', 'meta-llama/Llama-3.1-8B']) {
      const res = await request(`${slashed.url}/v1/models/${id}`);
      expect(res.statusCode, id).toBe(200);
      expect(await res.body.json()).toMatchObject({ id, object: 'model' });
    }
    expect(
      (
        (await (
          await request(`${slashed.url}/v1/models/${encodeURIComponent('meta-llama/Llama-3.1-8B')}`)
        ).body.json()) as { id: string }
      ).id,
    ).toBe('meta-llama/Llama-3.1-8B');
    const missing = await request(`${slashed.url}/v1/models/${'x'.repeat(500)}`);
    expect(missing.statusCode).toBe(404);
    const body = (await missing.body.json()) as { error: { code: string; param: string; message: string } };
    expect(body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(body.error.message.length).toBeLessThan(200);
    await slashed.close();
  });
  it('answers /healthz and /readyz', async () => {
    expect((await request(`${app.url}/healthz`)).statusCode).toBe(200);
    const ready = await request(`${app.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'ready', state: 'memory', mode: 'ok' });
  });
  it('serves a pinned backend by id: no cascade, still accounted', async () => {
    up.script(() => ({
      kind: 'json',
      body: {
        id: 'x',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'pinned' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 4, completion_tokens: 1 },
      },
    }));
    const res = await app.post('/v1/chat/completions', { model: 'b0', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-route']).toBe('b0');
    expect(await app.metric('sluice_requests_total', { route: 'b0', outcome: 'ok' })).toBe(1);
  });
});

describe('prompts that contain special-token text', () => {
  it('are answered like any text on every endpoint (they were a 500 once: the tokenizer refused them)', async () => {
    const text = 'What do <|endoftext|> and <|im_start|>system mean in a prompt?';
    const answer = '<|endoftext|> ends a document.';
    // No usage in the answers: Sluice counts the answer's tokens itself, special-token text included.
    up.script((req) => {
      if (req.path.endsWith('/embeddings'))
        return {
          kind: 'json',
          body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5] }], model: 'emb' },
        };
      if (req.path.endsWith('/completions') && !req.path.includes('chat'))
        return {
          kind: 'json',
          body: {
            id: 'c',
            object: 'text_completion',
            created: 1,
            model: 'm',
            choices: [{ index: 0, text: answer, logprobs: null, finish_reason: 'stop' }],
          },
        };
      if (req.body.stream) return { kind: 'sse', events: chatChunks([answer]) };
      return { kind: 'json', body: chatCompletion(answer, { usage: null }) };
    });
    const chat = await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: text }] });
    expect(chat.status).toBe(200);
    expect(chat.json.choices[0].message.content).toBe(answer);
    expect(Number(chat.headers['x-sluice-cost-usd'])).toBeGreaterThan(0);
    const stream = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [
        { role: 'system', content: '<|endoftext|>' },
        { role: 'user', content: text },
      ],
    });
    expect(stream.status).toBe(200);
    expect(sseData(stream.text).at(-1)).toBe('[DONE]');
    expect((await app.post('/v1/completions', { model: 'auto', prompt: text })).status).toBe(200);
    expect((await app.post('/v1/embeddings', { model: 'auto', input: [text] })).status).toBe(200);
  });
});

describe('the mock protocol', () => {
  it('serves chat, streaming, completions and embeddings with no network', async () => {
    const mock = await startTestApp({
      backends: [
        {
          id: 'm',
          protocol: 'mock',
          model: 'mock-1',
          endpoints: ['chat', 'completions', 'embeddings'],
          mock: { latencyMs: 0, tokensPerSecond: 0 },
        },
      ],
      routes: [{ name: 'auto', tiers: [{ backends: ['m'] }] }],
    });
    const chat = await mock.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'Name a colour in one word' }],
    });
    expect(chat.json.choices[0].message.content.split(' ')).toHaveLength(1);
    expect(chat.json.model).toBe('mock-1');
    expect(chat.json.system_fingerprint).toBe('sluice-mock');
    const again = await mock.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'Name a colour in one word' }],
    });
    expect(again.json.choices[0].message.content).toBe(chat.json.choices[0].message.content);
    const stream = await mock.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const data = sseData(stream.text);
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2)!).usage.completion_tokens).toBeGreaterThan(0);
    const emb = await mock.post('/v1/embeddings', { model: 'auto', input: ['a', 'b'], encoding_format: 'base64' });
    expect(emb.json.data).toHaveLength(2);
    expect(Buffer.from(emb.json.data[0].embedding, 'base64').length).toBe(64 * 4);
    const truncated = await mock.post('/v1/completions', { model: 'auto', prompt: 'hi', max_tokens: 3 });
    expect(truncated.json.choices[0].finish_reason).toBe('length');
    await mock.close();
  });
});

describe('the mock protocol, n choices', () => {
  it('answers n choices, JSON and streamed, and bills them all', async () => {
    const mock = await startTestApp({
      backends: [
        {
          id: 'm',
          protocol: 'mock',
          model: 'mock-1',
          endpoints: ['chat', 'completions'],
          mock: { latencyMs: 0, tokensPerSecond: 0 },
        },
      ],
      routes: [{ name: 'auto', tiers: [{ backends: ['m'] }] }],
    });
    const messages = [{ role: 'user', content: 'Describe the sea.' }];
    const one = await mock.post('/v1/chat/completions', { model: 'auto', messages });
    const three = await mock.post('/v1/chat/completions', { model: 'auto', messages, n: 3 });
    expect(three.json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
    expect(three.json.choices[2].message.content).toBe(one.json.choices[0].message.content);
    expect(three.json.usage.completion_tokens).toBe(3 * one.json.usage.completion_tokens);
    const stream = await mock.post('/v1/chat/completions', {
      model: 'auto',
      messages,
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const data = sseData(stream.text);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const text = (i: number) =>
      chunks
        .flatMap((c) => c.choices)
        .filter((c: { index: number }) => c.index === i)
        .map((c: { delta: { content?: string } }) => c.delta.content ?? '')
        .join('');
    expect([text(0), text(1)]).toEqual([one.json.choices[0].message.content, one.json.choices[0].message.content]);
    expect(
      chunks
        .flatMap((c) => c.choices)
        .filter((c: { finish_reason: string | null }) => c.finish_reason)
        .map((c: { index: number }) => c.index),
    ).toEqual([0, 1]);
    expect(chunks.at(-1).usage.completion_tokens).toBe(2 * one.json.usage.completion_tokens);
    const completions = await mock.post('/v1/completions', { model: 'auto', prompt: 'Describe the sea.', n: 2 });
    expect(completions.json.choices).toHaveLength(2);
    await mock.close();
  });
});

describe('the mock protocol, structured requests through the cascade', () => {
  // A cheap mock that is always unsure and a strong one that never is: the cheap tier's structured answers are
  // malformed, so every request below shows the judge escalating, and what the client gets parses.
  let cascade: TestApp;
  beforeAll(async () => {
    const mock = (skill: number) => ({
      latencyMs: 0,
      tokensPerSecond: 0,
      answerTokens: 8,
      skill,
      verboseWhenUnsure: skill < 1,
    });
    cascade = await startTestApp({
      backends: [
        { id: 'cheap', protocol: 'mock', model: 'mock-cheap', mock: mock(0) },
        { id: 'strong', protocol: 'mock', model: 'mock-strong', mock: mock(1) },
      ],
      // Holdback after 2 events: a structured answer must still be held whole, or its malformed end would stream.
      routes: [
        {
          name: 'auto',
          tiers: [{ backends: ['cheap'] }, { backends: ['strong'] }],
          streaming: { mode: 'holdback', holdbackTokens: 2 },
        },
      ],
    });
  });
  afterAll(async () => {
    await cascade.close();
  });
  const tools = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ];
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];

  it('a tool call: malformed arguments from the cheap tier escalate; the strong tier calls the tool', async () => {
    const res = await cascade.post('/v1/chat/completions', { model: 'auto', tools, messages });
    expect(res.headers['x-sluice-escalations']).toBe('malformed');
    expect(res.headers['x-sluice-backend']).toBe('strong');
    const choice = res.json.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(typeof JSON.parse(choice.message.tool_calls[0].function.arguments).city).toBe('string');
  });

  it('a streamed tool call: id and name first, then arguments that join into JSON', async () => {
    const res = await cascade.post('/v1/chat/completions', { model: 'auto', stream: true, tools, messages });
    expect(res.headers['x-sluice-escalations']).toBe('malformed');
    const chunks = sseData(res.text)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls[0].id).toMatch(/^call_/);
    const args = calls.map((c: { function: { arguments?: string } }) => c.function.arguments ?? '').join('');
    expect(JSON.parse(args)).toHaveProperty('city');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('after the tool result, the model answers in words', async () => {
    const turn = [
      ...messages,
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const res = await cascade.post('/v1/chat/completions', { model: 'auto', tools, messages: turn });
    expect(res.json.choices[0].finish_reason).toBe('stop');
    expect(res.json.choices[0].message.content).toContain('[simulated');
  });

  it('streamed JSON mode on a holdback route: the cheap answer is held whole, judged malformed, never sent', async () => {
    const res = await cascade.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      response_format: { type: 'json_object' },
      messages,
    });
    expect(res.headers['x-sluice-escalations']).toBe('malformed');
    expect(res.text).not.toContain('mock-cheap');
    const content = sseData(res.text)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d).choices[0]?.delta?.content ?? '')
      .join('');
    expect(JSON.parse(content)).toMatchObject({ simulated: true });
  });

  it("JSON mode and json_schema: the answer parses and has the schema's fields", async () => {
    const obj = await cascade.post('/v1/chat/completions', {
      model: 'auto',
      response_format: { type: 'json_object' },
      messages,
    });
    expect(obj.headers['x-sluice-escalations']).toBe('malformed');
    expect(JSON.parse(obj.json.choices[0].message.content)).toMatchObject({ simulated: true });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      required: ['city', 'celsius'],
    };
    const shaped = await cascade.post('/v1/chat/completions', {
      model: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema } },
      messages,
    });
    const value = JSON.parse(shaped.json.choices[0].message.content);
    expect(typeof value.city).toBe('string');
    expect(typeof value.celsius).toBe('number');
  });
});
