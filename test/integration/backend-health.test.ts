// Circuit breakers through HTTP: a failing backend is tripped and skipped, `sluice_backend_up` drops, and with
// Redis one replica's discovery protects the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { startTestApp } from '../helpers/test-app.js';

const hasRedis = await redisAvailable();
const prefix = testPrefix('health');
let bad: FakeUpstream;
let good: FakeUpstream;
beforeAll(async () => {
  bad = await startFakeUpstream(() => ({ kind: 'json', status: 503, body: { error: { message: 'overloaded' } } }));
  good = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('fine') }));
});
afterAll(async () => {
  await bad.close();
  await good.close();
  if (hasRedis) await cleanPrefix(prefix);
});

const backends = () => [
  { id: 'bad', protocol: 'openai', baseUrl: bad.url, model: 'b', pricing: {} },
  { id: 'good', protocol: 'openai', baseUrl: good.url, model: 'g', pricing: {} },
];
const msg = { messages: [{ role: 'user', content: 'hi' }] };

describe('circuit breaker', () => {
  it('trips after five failures: the sibling answers first, the gauge drops, the log says so', async () => {
    const app = await startTestApp({
      backends: backends(),
      routes: [{ name: 'auto', tiers: [{ backends: ['bad', 'good'] }] }],
    });
    for (let i = 0; i < 5; i++)
      expect((await app.post('/v1/chat/completions', { model: 'auto', ...msg })).headers['x-sluice-attempts']).toBe(
        '2',
      );
    const before = bad.requests.length;
    const res = await app.post('/v1/chat/completions', { model: 'auto', ...msg });
    expect(res.headers).toMatchObject({ 'x-sluice-backend': 'good', 'x-sluice-attempts': '1' });
    expect(bad.requests.length).toBe(before);
    expect(await app.metric('sluice_backend_up', { backend: 'bad' })).toBe(0);
    expect(app.logs.some((l) => l.msg === 'backend circuit open: skipping it' && l.backend === 'bad')).toBe(true);
    await app.close();
  });

  it('skips a whole tier whose backends are all tripped', async () => {
    const app = await startTestApp({
      backends: backends(),
      routes: [{ name: 'auto', tiers: [{ backends: ['bad'], maxDifficulty: 1 }, { backends: ['good'] }] }],
    });
    for (let i = 0; i < 5; i++)
      expect((await app.post('/v1/chat/completions', { model: 'auto', ...msg })).headers['x-sluice-escalations']).toBe(
        'error',
      );
    const res = await app.post('/v1/chat/completions', { model: 'auto', ...msg });
    expect(res.headers).toMatchObject({ 'x-sluice-tier': '1', 'x-sluice-attempts': '1', 'x-sluice-escalations': '' });
    expect(app.logs.filter((l) => l.msg === 'request').at(-1)).toMatchObject({
      plan: { tiers: [1], skipped: [{ tier: 0, reason: 'unhealthy' }] },
    });
    await app.close();
  });

  it('does not count failures the request caused', async () => {
    const client = await startFakeUpstream(() => ({
      kind: 'json',
      status: 400,
      body: { error: { message: 'bad field' } },
    }));
    const app = await startTestApp({
      backends: [{ id: 'c', protocol: 'openai', baseUrl: client.url, model: 'c', pricing: {} }],
      routes: [{ name: 'auto', tiers: [{ backends: ['c'] }] }],
    });
    for (let i = 0; i < 8; i++) await app.post('/v1/chat/completions', { model: 'auto', ...msg });
    expect(await app.metric('sluice_backend_up', { backend: 'c' })).not.toBe(0);
    await app.close();
    await client.close();
  });
});

describe.runIf(hasRedis)('shared through Redis', () => {
  it('one replica trips the backend, the other skips it after its next sync', async () => {
    const cfg = {
      backends: backends(),
      routes: [{ name: 'auto', tiers: [{ backends: ['bad', 'good'] }] }],
      state: { driver: 'redis', url: redisUrl, prefix },
      health: { syncMs: 50 },
    };
    const [a, b] = await Promise.all([startTestApp(cfg), startTestApp(cfg)]);
    for (let i = 0; i < 5; i++) await a.post('/v1/chat/completions', { model: 'auto', ...msg });
    await expect
      .poll(async () => (await b.post('/v1/chat/completions', { model: 'auto', ...msg })).headers['x-sluice-attempts'])
      .toBe('1');
    expect(await b.metric('sluice_backend_up', { backend: 'bad' })).toBe(0);
    expect(b.logs.some((l) => l.msg === 'backend circuit open: skipping it' && l.source === 'shared')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });
});
