// The Vercel AI SDK (ai 5 with @ai-sdk/openai), pointed at Sluice with createOpenAI({ baseURL }): text, streams,
// multi-step tool calls, structured objects and embeddings come back as the SDK expects, through chat completions
// (openai.chat) and through the default provider, which calls the Responses API.
import { createOpenAI } from '@ai-sdk/openai';
import { embedMany, generateObject, generateText, stepCountIs, streamObject, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mockCascadeConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
let openai: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  app = await startTestApp(mockCascadeConfig());
  openai = createOpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-any' });
});
afterAll(async () => {
  await app.close();
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe('the Vercel AI SDK against Sluice', () => {
  it('generates text, with usage', async () => {
    const r = await generateText({
      model: openai.chat('auto'),
      prompt: 'What is the capital of France?',
      maxRetries: 0,
    });
    expect(r.text).toContain('[simulated');
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.response.headers?.['x-sluice-route']).toBe('auto');
  });

  it('streams text, with usage at the end', async () => {
    const r = streamText({ model: openai.chat('auto'), prompt: 'Tell me about Paris.', maxRetries: 0 });
    let text = '';
    for await (const delta of r.textStream) text += delta;
    expect(text).toContain('[simulated');
    expect((await r.usage).outputTokens).toBeGreaterThan(0);
  });

  it('runs a tool call and answers from its result, plain and streamed', async () => {
    const r = await generateText({
      model: openai.chat('auto'),
      prompt: 'The weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(r.steps[0]!.toolCalls.map((c) => c.toolName)).toEqual(['weather']);
    expect(r.steps[0]!.toolResults[0]!.output).toMatchObject({ celsius: 21 });
    expect(r.text).toContain('[simulated');
    const s = streamText({
      model: openai.chat('auto'),
      prompt: 'The weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    for await (const _ of s.textStream) {
      /* drain */
    }
    expect((await s.steps)[0]!.toolCalls.map((c) => c.toolName)).toEqual(['weather']);
  });

  it('generates and streams objects of a schema (JSON schema response format)', async () => {
    const schema = z.object({ name: z.string(), age: z.number() });
    const { object } = await generateObject({
      model: openai.chat('auto'),
      schema,
      prompt: 'Describe a person.',
      maxRetries: 0,
    });
    expect(schema.safeParse(object).success).toBe(true);
    const s = streamObject({ model: openai.chat('auto'), schema, prompt: 'Describe a person.', maxRetries: 0 });
    for await (const _ of s.partialObjectStream) {
      /* drain */
    }
    expect(schema.safeParse(await s.object).success).toBe(true);
  });

  it('embeds', async () => {
    const { embeddings } = await embedMany({
      model: openai.textEmbeddingModel('auto'),
      values: ['a', 'b'],
      maxRetries: 0,
    });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]!.length).toBeGreaterThan(0);
  });

  it('the default provider (the Responses API): text, streams and tool calls', async () => {
    const r = await generateText({ model: openai('auto'), prompt: 'What is the capital of France?', maxRetries: 0 });
    expect(r.text).toContain('[simulated');
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.response.headers?.['x-sluice-route']).toBe('auto');
    const s = streamText({ model: openai('auto'), prompt: 'Tell me about Paris.', maxRetries: 0 });
    let text = '';
    for await (const delta of s.textStream) text += delta;
    expect(text).toContain('[simulated');
    expect((await s.usage).outputTokens).toBeGreaterThan(0);
    const t = await generateText({
      model: openai('auto'),
      prompt: 'The weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(t.steps[0]!.toolCalls.map((c) => c.toolName)).toEqual(['weather']);
    expect(t.steps[0]!.toolResults[0]!.output).toMatchObject({ celsius: 21 });
    expect(t.text).toContain('[simulated');
    const st = streamText({
      model: openai('auto'),
      prompt: 'The weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect((await st.steps)[0]!.toolCalls.map((c) => c.toolName)).toEqual(['weather']);
    expect(await st.text).toContain('[simulated');
  });
});
