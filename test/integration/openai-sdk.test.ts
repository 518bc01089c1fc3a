// The official OpenAI SDK, pointed at Sluice and otherwise unchanged: requests, streams, structured output, the
// tool-call runner, embeddings, the model list and errors all come back as the SDK expects them.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockCascadeConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
let client: OpenAI;
beforeAll(async () => {
  app = await startTestApp(mockCascadeConfig());
  client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-any', maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
});

const ask = [{ role: 'user' as const, content: 'What is the capital of France?' }];

describe('the OpenAI SDK against Sluice', () => {
  it('creates a completion, with Sluice headers on the raw response', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'auto', messages: ask }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content).toContain('[simulated');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-sluice-route')).toBe('auto');
  });

  it('streams, with the usage chunk only when asked', async () => {
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of await client.chat.completions.create({
      model: 'auto',
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    })) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text).toContain('[simulated');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    const plain = await client.chat.completions.create({ model: 'auto', messages: ask, stream: true });
    for await (const chunk of plain) expect(chunk.usage ?? null).toBeNull();
  });

  it('parses structured output against a json_schema', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const res = await client.chat.completions.parse({
      model: 'auto',
      messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    const parsed = res.choices[0]!.message.parsed as unknown as { city: unknown; population: unknown };
    expect(typeof parsed.city).toBe('string');
    expect(Number.isInteger(parsed.population)).toBe(true);
  });

  it('runs a tool call loop: the model calls the tool, gets its result, answers in words', async () => {
    const calls: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: 'auto',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            parse: JSON.parse,
            function: (args: unknown) => {
              calls.push(args);
              return { celsius: 21 };
            },
          },
        },
      ],
    });
    const final = await runner.finalContent();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveProperty('city');
    expect(final).toContain('[simulated');
  });

  it('streams a tool call through the SDK stream helper', async () => {
    const stream = client.chat.completions.stream({
      model: 'auto',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
    });
    const done = await stream.finalChatCompletion();
    const call = done.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(JSON.parse(call.type === 'function' ? call.function.arguments : '')).toHaveProperty('city');
  });

  it('embeds, and lists the routes and backends as models', async () => {
    const emb = await client.embeddings.create({ model: 'auto', input: ['a', 'b'] });
    expect(emb.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['auto', 'small', 'large']));
    expect(await client.models.retrieve('auto')).toMatchObject({ id: 'auto', object: 'model', owned_by: 'sluice' });
    expect(await client.models.retrieve('nope').catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('raises the SDK error classes with the code and param Sluice sent', async () => {
    const missing = await client.chat.completions.create({ model: 'nope', messages: ask }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const bad = await client.chat.completions.create({ model: 'auto', messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request', param: 'messages' });
  });
});
