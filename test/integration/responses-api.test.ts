// The OpenAI SDK's Responses API (client.responses) pointed at Sluice's Responses door, in front of an
// OpenAI-protocol upstream that only speaks chat completions: requests translated exactly, answers and the stream
// event sequence as the SDK parses them, function tools both ways, structured output, item references, and the
// fields that need state Sluice does not keep refused by name.
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { mockCascadeConfig, proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let upstream: FakeUpstream;
let app: TestApp;
let client: OpenAI;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  app = await startTestApp(proxyConfig([upstream.url]), { env: { TEST_KEY: 'sk-upstream' } });
  client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-any', maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
  await upstream.close();
});

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

const toolCall = (args = '{"city":"Paris"}') =>
  chatCompletion('', {
    finish: 'tool_calls',
    usage: { prompt_tokens: 40, completion_tokens: 9 },
    extra: {
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }],
    },
  });

/** The text of a response's message items (the SDK adds output_text to JSON answers only, not to streamed ones). */
const outputText = (r: OpenAI.Responses.Response) =>
  r.output
    .flatMap((o) => (o.type === 'message' ? o.content : []))
    .map((c) => (c.type === 'output_text' ? c.text : ''))
    .join('');

describe('the OpenAI SDK’s Responses API against Sluice', () => {
  it('adds the explain object to the JSON answer when asked, the answer otherwise the same', async () => {
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Paris "itself".') }));
    const explained = await client.responses.create(
      { model: 'auto', input: 'Capital of France?' },
      { headers: { 'x-sluice-explain': 'true' } },
    );
    expect(explained.output_text).toBe('Paris "itself".');
    expect(explained.status).toBe('completed');
    expect((explained as unknown as { sluice: Record<string, unknown> }).sluice).toMatchObject({
      route: 'auto',
      attempts: [{ tier: 0, outcome: 'accepted' }],
    });
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Paris "itself".') }));
    const plain = await client.responses.create({ model: 'auto', input: 'Capital of France?' });
    expect('sluice' in plain).toBe(false);
    const { sluice: _, ...rest } = explained as unknown as Record<string, unknown>;
    expect(Object.keys(rest)).toEqual(Object.keys(plain));
  });

  it('creates a response from a string input and instructions', async () => {
    upstream.script(() => ({
      kind: 'json',
      body: chatCompletion('Paris.', {
        usage: { prompt_tokens: 21, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } },
      }),
    }));
    const { data, response } = await client.responses
      .create({
        model: 'auto',
        instructions: 'Be brief.',
        input: 'Capital of France?',
        max_output_tokens: 64,
        temperature: 0.3,
        reasoning: { effort: 'low' },
        text: { verbosity: 'low' },
        safety_identifier: 'u-7',
      })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('Paris.');
    expect(data.id).toMatch(/^resp_/);
    expect(data.model).toBe('auto');
    expect(data.usage).toMatchObject({
      input_tokens: 21,
      output_tokens: 2,
      input_tokens_details: { cached_tokens: 4 },
    });
    expect(response.headers.get('x-sluice-route')).toBe('auto');
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      max_completion_tokens: 64,
      temperature: 0.3,
      reasoning_effort: 'low',
      verbosity: 'low',
      user: 'u-7',
    });
    expect(app.logs.find((l) => l.msg === 'request' && l.door === 'responses')).toMatchObject({ protocol: 'openai' });
  });

  it('marks an answer cut at max_output_tokens incomplete', async () => {
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Par', { finish: 'length' }) }));
    const r = await client.responses.create({ model: 'auto', input: 'Capital?', max_output_tokens: 1 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('runs a function call: function_call out, function_call_output back as a tool message', async () => {
    upstream.script(() => ({ kind: 'json', body: toolCall() }));
    const first = await client.responses.create({
      model: 'auto',
      input: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weather],
      tool_choice: 'required',
      store: false,
    });
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({
      type: 'function_call',
      call_id: 'call_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.parameters, strict: true } }],
      tool_choice: 'required',
    });
    upstream.script(() => ({ kind: 'json', body: chatCompletion('21 °C in Paris.') }));
    const second = await client.responses.create({
      model: 'auto',
      tools: [weather],
      store: false,
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: 'call_1', output: '{"celsius":21}' },
      ],
    });
    expect(second.output_text).toBe('21 °C in Paris.');
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
    ]);
  });

  it('finds earlier output items by reference (store is on by default), across a second request', async () => {
    upstream.script(() => ({ kind: 'json', body: toolCall() }));
    const first = await client.responses.create({ model: 'auto', input: 'Weather in Paris?', tools: [weather] });
    const callItem = first.output[0]!;
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Sunny.') }));
    const second = await client.responses.create({
      model: 'auto',
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'item_reference', id: callItem.id! },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
    });
    expect(second.output_text).toBe('Sunny.');
    expect((upstream.requests.at(-1)!.body.messages as unknown[])[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_1', function: { name: 'get_weather' } }],
    });
    const missing = await client.responses
      .create({ model: 'auto', input: [{ type: 'item_reference', id: 'fc_nope' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[0]');
  });

  it('parses structured output (text.format json_schema)', async () => {
    upstream.script(() => ({ kind: 'json', body: chatCompletion('{"city":"Paris","population":2100000}') }));
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const r = await client.responses.parse({
      model: 'auto',
      input: 'Capital of France?',
      text: { format: { type: 'json_schema', name: 'city', schema, strict: true } },
    });
    expect(r.output_parsed).toEqual({ city: 'Paris', population: 2100000 });
    expect(upstream.requests.at(-1)!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'city', schema, strict: true },
    });
  });

  it('streams the event sequence the SDK expects, sequence numbers in order', async () => {
    upstream.script(() => ({
      kind: 'sse',
      events: chatChunks(['Par', 'is', '.'], { usage: { prompt_tokens: 21, completion_tokens: 3 } }),
    }));
    const stream = client.responses.stream({ model: 'auto', input: 'Capital of France?' });
    const types: string[] = [];
    const seqs: number[] = [];
    let text = '';
    for await (const e of stream) {
      types.push(e.type);
      seqs.push(e.sequence_number);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    const final = await stream.finalResponse();
    expect(text).toBe('Paris.');
    expect(outputText(final)).toBe('Paris.');
    expect(final.usage).toMatchObject({ input_tokens: 21, output_tokens: 3 });
    expect([...new Set(types)]).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('streams a function call: arguments deltas, then done, with create({ stream: true })', async () => {
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
      ],
    }));
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of await client.responses.create({
      model: 'auto',
      input: 'Paris?',
      tools: [weather],
      stream: true,
    }))
      events.push(e);
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    expect(done).toMatchObject({ arguments: '{"city":"Paris"}', name: 'get_weather' });
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.type).toBe('response.completed');
    expect(completed.response.output).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'call_9', arguments: '{"city":"Paris"}' }),
    ]);
    // A streamed answer's items are kept as the stream wrote them: the next turn refers to the call by id.
    upstream.script(() => ({ kind: 'json', body: chatCompletion('Sunny.') }));
    const next = await client.responses.create({
      model: 'auto',
      tools: [weather],
      input: [
        { role: 'user', content: 'Paris?' },
        { type: 'item_reference', id: completed.response.output[0]!.id! },
        { type: 'function_call_output', call_id: 'call_9', output: 'sunny' },
      ],
    });
    expect(next.output_text).toBe('Sunny.');
    expect((upstream.requests.at(-1)!.body.messages as unknown[])[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
  });

  it('ends a stream that fails after the commit point with response.failed', async () => {
    upstream.script(() => ({ kind: 'sse', events: chatChunks(['Hello', ' there', ' friend']), cutAfter: 2 }));
    const res = await app.post('/v1/responses', { model: 'auto', input: 'hi', stream: true });
    expect(res.status).toBe(200);
    const events = res.text.split('\n\n').filter((e) => e.startsWith('event: '));
    expect(events[0]).toMatch(/^event: response\.created/);
    expect(events.at(-1)).toMatch(/^event: response\.failed\ndata: .*"status":"failed"/);
    expect(res.text).not.toContain('response.completed');
  });

  it('refuses what needs state or OpenAI’s own tools, naming the field, in OpenAI’s error shape', async () => {
    for (const [extra, param] of [
      [{ previous_response_id: 'resp_1' }, 'previous_response_id'],
      [{ conversation: 'conv_1' }, 'conversation'],
      [{ background: true }, 'background'],
      [{ tools: [{ type: 'web_search' }] }, 'tools[0]'],
      [{ tools: [{ type: 'file_search', vector_store_ids: ['v'] }] }, 'tools[0]'],
      [{ tools: [{ type: 'custom', name: 'apply_patch', description: 'Apply a patch' }] }, 'tools[0]'],
      [{ input: 42 }, 'input'],
    ] as const) {
      const res = await app.post('/v1/responses', { model: 'auto', input: 'hi', ...extra });
      expect(res.status, param).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param });
      expect(res.json.error.message).toContain(param.replace(/\[0\]$/, ''));
      // A tool only a backend of the Responses API can take says how to give the route one.
      if (param === 'tools[0]') expect(res.json.error.message).toContain('`responses` in every backend');
    }
    const noModel = await client.responses.create({ input: 'hi' } as never).catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(OpenAI.BadRequestError);
    const unknown = await client.responses.create({ model: 'nope', input: 'hi' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('Codex’s request shape (recorded on the wire)', () => {
  it('serves it: namespace tools flattened, developer messages as system, the stream ending in response.completed', async () => {
    const recorded = JSON.parse(readFileSync('test/fixtures/codex-request.json', 'utf8')) as {
      headers: Record<string, string>;
      body: Record<string, unknown>;
    };
    upstream.script(() => ({
      kind: 'sse',
      events: chatChunks(['4'], { usage: { prompt_tokens: 812, completion_tokens: 1 } }),
    }));
    const res = await app.post('/v1/responses', recorded.body, recorded.headers);
    expect(res.status).toBe(200);
    const events = res.text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.split('\n')[1]!.slice(6)) as Record<string, any>);
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { usage: { input_tokens: 812 } } });
    const sent = upstream.requests.at(-1)!.body;
    const names = (sent.tools as Array<{ function: { name: string } }>).map((t) => t.function.name);
    expect(names).toContain('exec_command');
    expect(names).toContain('spawn_agent'); // from the multi_agent_v1 namespace
    expect((sent.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['system', 'system', 'user', 'user']);
    expect(sent.prompt_cache_key).toBe(recorded.body.prompt_cache_key);
    const withSearch = { ...recorded.body, tools: [...(recorded.body.tools as unknown[]), { type: 'web_search' }] };
    const refused = await app.post('/v1/responses', withSearch);
    expect(refused.status).toBe(400);
    expect(refused.json.error.param).toBe('tools[8]');
  });
});

describe('a backend that serves /responses itself', () => {
  const nativeResponse = {
    id: 'resp_upstream',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: 'gpt-5-upstream',
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'gAAAA-opaque' },
      {
        id: 'msg_up',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Paris.', annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 30,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 8 },
      total_tokens: 42,
    },
  };
  let native: FakeUpstream;
  let nativeApp: TestApp;
  beforeAll(async () => {
    native = await startFakeUpstream();
    nativeApp = await startTestApp(proxyConfig([native.url], { backend: { endpoints: ['chat', 'responses'] } }), {
      env: { TEST_KEY: 'sk-upstream' },
    });
  });
  afterAll(async () => {
    await nativeApp.close();
    await native.close();
  });

  it('gets the request untranslated (reasoning items, include, built-in fields) and answers with its own response', async () => {
    native.script(() => ({ kind: 'json', body: nativeResponse }));
    const body = {
      model: 'auto',
      input: [
        { role: 'user', content: 'Capital of France?' },
        { id: 'rs_0', type: 'reasoning', summary: [], encrypted_content: 'gAAAA-earlier' },
      ],
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      client_metadata: { session: 's' },
    };
    const res = await nativeApp.post('/v1/responses', body);
    expect(res.status).toBe(200);
    const sent = native.requests.at(-1)!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.body).toEqual({ ...body, model: 'upstream-model-0', stream: false });
    expect(res.json).toEqual({ ...nativeResponse, model: 'auto' });
    // 30 input tokens (10 cached, at the input price here) at $1 and 12 output at $2 per million.
    expect(res.headers['x-sluice-cost-usd']).toBe('0.000054000');
  });

  it('streams its own events to the client, sequence numbers and reasoning items intact', async () => {
    const ev = (type: string, data: Record<string, unknown>, seq: number) =>
      JSON.stringify({ type, ...data, sequence_number: seq });
    const inProgress = { ...nativeResponse, status: 'in_progress', output: [], usage: null };
    native.script(() => ({
      kind: 'sse',
      named: true,
      done: false,
      events: [
        ev('response.created', { response: inProgress }, 0),
        ev('response.in_progress', { response: inProgress }, 1),
        ev('response.output_item.added', { output_index: 0, item: nativeResponse.output[0] }, 2),
        ev('response.output_item.done', { output_index: 0, item: nativeResponse.output[0] }, 3),
        ev('response.output_item.added', { output_index: 1, item: { ...nativeResponse.output[1], content: [] } }, 4),
        ev(
          'response.content_part.added',
          {
            item_id: 'msg_up',
            output_index: 1,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [] },
          },
          5,
        ),
        ev('response.output_text.delta', { item_id: 'msg_up', output_index: 1, content_index: 0, delta: 'Paris.' }, 6),
        ev('response.output_text.done', { item_id: 'msg_up', output_index: 1, content_index: 0, text: 'Paris.' }, 7),
        ev(
          'response.content_part.done',
          {
            item_id: 'msg_up',
            output_index: 1,
            content_index: 0,
            part: { type: 'output_text', text: 'Paris.', annotations: [] },
          },
          8,
        ),
        ev('response.output_item.done', { output_index: 1, item: nativeResponse.output[1] }, 9),
        ev('response.completed', { response: nativeResponse }, 10),
      ],
    }));
    const c = new OpenAI({ baseURL: `${nativeApp.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const seqs: number[] = [];
    const stream = c.responses.stream({ model: 'auto', input: 'Capital of France?', store: false });
    for await (const e of stream) seqs.push(e.sequence_number);
    const final = await stream.finalResponse();
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(final.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: 'gAAAA-opaque' });
    expect(outputText(final)).toBe('Paris.');
    expect(final.model).toBe('auto');
    expect(native.requests.at(-1)!.body).toMatchObject({ stream: true, model: 'upstream-model-0' });
    expect(nativeApp.logs.filter((l) => l.msg === 'request').at(-1)).toMatchObject({
      door: 'responses',
      attempts: [{ in: 30, out: 12, cached: 10 }],
    });
  });

  it('lets hosted and custom tools through when every backend of the route serves /responses', async () => {
    native.script(() => ({ kind: 'json', body: nativeResponse }));
    const tools = [
      { type: 'web_search' },
      { type: 'custom', name: 'apply_patch', description: 'Apply a patch' },
      { type: 'function', name: 'f', parameters: { type: 'object' } },
    ];
    const res = await nativeApp.post('/v1/responses', {
      model: 'auto',
      input: 'News?',
      tools,
      tool_choice: { type: 'web_search' },
    });
    expect(res.status).toBe(200);
    expect(native.requests.at(-1)!.body).toMatchObject({ tools, tool_choice: { type: 'web_search' } });
  });

  it('a chat completions request to the same backend still goes to /chat/completions', async () => {
    native.script(() => ({ kind: 'json', body: chatCompletion('hi') }));
    const res = await nativeApp.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(native.requests.at(-1)!.path).toBe('/v1/chat/completions');
  });
});

describe('the Responses door over a cascade', () => {
  it('routes and judges as chat completions do', async () => {
    const cascade = await startTestApp(mockCascadeConfig());
    try {
      const c = new OpenAI({ baseURL: `${cascade.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const { data, response } = await c.responses
        .create({ model: 'auto', input: 'Prove that there are infinitely many primes, rigorously.' })
        .withResponse();
      expect(data.output_text).toContain('[simulated');
      expect(response.headers.get('x-sluice-tier')).not.toBeNull();
      const streamed = await c.responses.stream({ model: 'auto', input: 'What is 2+2?' }).finalResponse();
      expect(outputText(streamed)).toContain('[simulated');
    } finally {
      await cascade.close();
    }
  });
});
