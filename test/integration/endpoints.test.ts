// Legacy completions, embeddings (base64 untouched), the model list, health, and the mock protocol end to end.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream();
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
});
afterAll(async () => { await app.close(); await up.close(); });

describe('embeddings', () => {
  it('passes encoding_format base64 and the vector through untouched', async () => {
    const b64 = Buffer.from(new Float32Array([0.25, -0.5, 1]).buffer).toString('base64');
    const upstreamBody = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: b64 }], model: 'emb', usage: { prompt_tokens: 3, total_tokens: 3 } };
    up.script(() => ({ kind: 'json', body: upstreamBody }));
    const res = await app.post('/v1/embeddings', { model: 'auto', input: 'hello', encoding_format: 'base64', dimensions: 3 });
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(upstreamBody));
    expect(up.requests.at(-1)!.path).toBe('/v1/embeddings');
    expect(up.requests.at(-1)!.body).toEqual({ model: 'upstream-model-0', input: 'hello', encoding_format: 'base64', dimensions: 3 });
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
    const chunk = (text: string, finish: string | null) => JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] });
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
    const res = await request(app.url + '/v1/models');
    const body = (await res.body.json()) as any;
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['auto', 'b0']);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'sluice' });
  });
  it('answers /healthz and /readyz', async () => {
    expect((await request(app.url + '/healthz')).statusCode).toBe(200);
    const ready = await request(app.url + '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'ready', state: 'memory', mode: 'ok' });
  });
  it('serves a pinned backend by id: no cascade, still accounted', async () => {
    up.script(() => ({ kind: 'json', body: { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'pinned' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1 } } }));
    const res = await app.post('/v1/chat/completions', { model: 'b0', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-route']).toBe('b0');
    expect(await app.metric('sluice_requests_total', { route: 'b0', outcome: 'ok' })).toBe(1);
  });
});

describe('the mock protocol', () => {
  it('serves chat, streaming, completions and embeddings with no network', async () => {
    const mock = await startTestApp({
      backends: [{ id: 'm', protocol: 'mock', model: 'mock-1', endpoints: ['chat', 'completions', 'embeddings'], mock: { latencyMs: 0, tokensPerSecond: 0 } }],
      routes: [{ name: 'auto', tiers: [{ backends: ['m'] }] }],
    });
    const chat = await mock.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'Name a colour in one word' }] });
    expect(chat.json.choices[0].message.content.split(' ')).toHaveLength(1);
    expect(chat.json.model).toBe('mock-1');
    expect(chat.json.system_fingerprint).toBe('sluice-mock');
    const again = await mock.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'Name a colour in one word' }] });
    expect(again.json.choices[0].message.content).toBe(chat.json.choices[0].message.content);
    const stream = await mock.post('/v1/chat/completions', { model: 'auto', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
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
