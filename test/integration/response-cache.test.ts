// The opt-in response cache: deterministic requests only, hits cost nothing and are counted, a cached JSON answer
// can be replayed as a stream, oversize answers are not kept, and a dead store means a bypass, not a failure.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

const hasRedis = await redisAvailable();

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({
    kind: 'json',
    body: chatCompletion('Paris.', { usage: { prompt_tokens: 10, completion_tokens: 2 } }),
  }));
  app = await startTestApp(
    proxyConfig([up.url], { route: { cache: { enabled: true, ttlSeconds: 60, maxEntryBytes: 2048 } } }),
    { env: { TEST_KEY: 'k' } },
  );
});
afterAll(async () => {
  await app.close();
  await up.close();
});
afterEach(() => {
  up.requests.length = 0;
});

const ask = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  app.post(
    '/v1/chat/completions',
    { model: 'auto', messages: [{ role: 'user', content }], temperature: 0, ...extra },
    headers,
  );

describe('response cache', () => {
  it('answers the same deterministic request from the cache, at no cost, saving the baseline', async () => {
    const first = await ask('Capital of France?');
    expect(first.headers['x-sluice-cache']).toBe('miss');
    const second = await ask('Capital of France?', { user: 'someone-else' }); // delivery-only fields do not matter
    expect(second.headers).toMatchObject({
      'x-sluice-cache': 'hit',
      'x-sluice-backend': 'b0',
      'x-sluice-attempts': '0',
      'x-sluice-cost-usd': '0.000000000',
      'x-sluice-saved-usd': '0.000014000',
    });
    expect(second.text).toBe(first.text);
    expect(up.requests).toHaveLength(1);
    expect(await app.metric('sluice_cache_requests_total', { result: 'hit' })).toBe(1);
  });
  it('replays a cached answer as an OpenAI stream, usage chunk only when asked', async () => {
    await ask('Capital of Spain?');
    const res = await ask('Capital of Spain?', { stream: true, stream_options: { include_usage: true } });
    expect(res.headers['x-sluice-cache']).toBe('hit');
    const data = sseData(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data[0]!).choices[0].delta).toEqual({ role: 'assistant', content: 'Paris.' });
    expect(JSON.parse(data[1]!).choices[0].finish_reason).toBe('stop');
    expect(JSON.parse(data[2]!).usage.completion_tokens).toBe(2);
    expect(up.requests).toHaveLength(1);
  });
  it('keys on every field that changes the answer', async () => {
    await ask('Capital of Italy?');
    expect((await ask('Capital of Italy?', { max_tokens: 5 })).headers['x-sluice-cache']).toBe('miss');
    expect((await ask('Capital of Italy?', { seed: 1 })).headers['x-sluice-cache']).toBe('miss');
  });
  it('bypasses requests that are not deterministic, unless the caller opts in', async () => {
    expect((await ask('Write a poem', { temperature: 0.9 })).headers['x-sluice-cache']).toBe('bypass');
    expect((await ask('Write a poem', { temperature: 0.9 })).headers['x-sluice-cache']).toBe('bypass');
    expect(up.requests).toHaveLength(2);
    await ask('Write a poem', { temperature: 0.9 }, { 'x-sluice-cache': 'true' });
    expect(
      (await ask('Write a poem', { temperature: 0.9 }, { 'x-sluice-cache': 'true' })).headers['x-sluice-cache'],
    ).toBe('hit');
  });
  it('does not keep answers above the size cap', async () => {
    up.script(() => ({ kind: 'json', body: chatCompletion('x'.repeat(4000)) }));
    await ask('Long answer please');
    expect((await ask('Long answer please')).headers['x-sluice-cache']).toBe('miss');
    up.script(() => ({
      kind: 'json',
      body: chatCompletion('Paris.', { usage: { prompt_tokens: 10, completion_tokens: 2 } }),
    }));
  });
  it('bypasses (counted) when the store is down', async () => {
    const broken = await startTestApp(
      {
        ...proxyConfig([up.url], { route: { cache: { enabled: true } } }),
        state: { driver: 'redis', url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 },
      },
      { env: { TEST_KEY: 'k' } },
    );
    const res = await broken.post('/v1/chat/completions', {
      model: 'auto',
      temperature: 0,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-cache']).toBe('bypass');
    expect(await broken.metric('sluice_state_store_errors_total', { operation: 'cache_get' })).toBe(1);
    await broken.close();
  });
});

describe.runIf(hasRedis)('response cache in Redis', () => {
  it('passes over (counted) an entry that is not what Sluice stored, for JSON and streams alike', async () => {
    const prefix = testPrefix('cache-garbage');
    up.script((req) =>
      req.body.stream
        ? { kind: 'sse', events: chatChunks(['Lima.']) }
        : { kind: 'json', body: chatCompletion('Lima.') },
    );
    const shared = await startTestApp(
      {
        ...proxyConfig([up.url], { route: { cache: { enabled: true } } }),
        state: { driver: 'redis', url: redisUrl, prefix },
      },
      { env: { TEST_KEY: 'k' } },
    );
    const body = { model: 'auto', temperature: 0, messages: [{ role: 'user', content: 'Capital of Peru?' }] };
    expect((await shared.post('/v1/chat/completions', body)).headers['x-sluice-cache']).toBe('miss');
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*cache*`, 'COUNT', 1000);
    expect(keys).toHaveLength(1);
    const garbage = [
      'not json',
      '{"body":"not json either","backend":"b0","tier":0,"input":1,"output":1}',
      '{"body":"{}","backend":"b0","tier":-1,"input":1,"output":1}',
    ];
    for (const [i, value] of garbage.entries()) {
      await redis.set(keys[0]!, value, 'PX', 60_000);
      const json = await shared.post('/v1/chat/completions', body);
      expect(json.status).toBe(200);
      expect(json.headers['x-sluice-cache']).toBe('bypass');
      await redis.set(keys[0]!, value, 'PX', 60_000);
      const stream = await shared.post('/v1/chat/completions', { ...body, stream: true });
      expect(stream.status).toBe(200);
      expect(sseData(stream.text).at(-1)).toBe('[DONE]');
      expect(await shared.metric('sluice_state_store_errors_total', { operation: 'cache_get' })).toBe(2 * (i + 1));
    }
    redis.disconnect();
    await shared.close();
    await cleanPrefix(prefix);
  });
});
