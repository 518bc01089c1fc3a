// Virtual keys and per-tenant limits through HTTP, on the in-memory store and on one real Redis shared by two
// app instances; and what happens when Redis is unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { hashKey } from '../../src/tenants/key-registry.js';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

const keyA = 'sk-team-a-0123456789';
const keyB = 'sk-team-b-9876543210';
const revoked = 'sk-revoked-00000000';
const keyC = 'sk-team-c-1357924680';
const hasRedis = await redisAvailable();
const prefix = testPrefix('tenants');
let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({
    kind: 'json',
    body: chatCompletion('ok', { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
  }));
});
afterAll(async () => {
  await up.close();
  if (hasRedis) await cleanPrefix(prefix);
});

const keys = (extra: Record<string, unknown> = {}) => [
  { tenant: 'team-a', sha256: hashKey(keyA), rpm: 3, ...extra },
  { tenant: 'team-b', sha256: hashKey(keyB), routes: ['b0'] },
  { tenant: 'team-c', sha256: hashKey(keyC), routes: ['auto'] },
  { tenant: 'gone', sha256: hashKey(revoked), revoked: true },
];
const msg = [{ role: 'user', content: 'hi' }];
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('virtual keys', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(
      { ...proxyConfig([up.url], { route: { aliases: ['gpt-4o-mini'] } }), keys: keys() },
      { env: { TEST_KEY: 'sk-backend' } },
    );
  });
  afterAll(() => app.close());

  it('401 without a key, with an unknown key and with a revoked one, all alike', async () => {
    const bodies = [];
    for (const headers of [{}, as('sk-unknown'), as(revoked), { authorization: 'Basic abc' }]) {
      const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, headers);
      expect(res.status).toBe(401);
      expect(res.headers['x-should-retry']).toBe('false');
      bodies.push(res.json);
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0].error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
  });
  it('checks the key before the body', async () => {
    expect((await app.post('/v1/chat/completions', '{not json', {})).status).toBe(400); // fastify parses first
    expect((await app.post('/v1/chat/completions', { model: 'auto' }, {})).status).toBe(401);
  });
  it('403 for a model the key may not use; the same key works on its own', async () => {
    expect((await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyB))).json.error.code).toBe(
      'route_not_allowed',
    );
    expect((await app.post('/v1/chat/completions', { model: 'b0', messages: msg }, as(keyB))).status).toBe(200);
  });
  it("a route name on a key covers the route's aliases, not the backends behind it", async () => {
    expect((await app.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: msg }, as(keyC))).status).toBe(
      200,
    );
    expect((await app.post('/v1/chat/completions', { model: 'b0', messages: msg }, as(keyC))).json.error.code).toBe(
      'route_not_allowed',
    );
  });
  it('never forwards, logs or exports the client key', async () => {
    await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    expect(JSON.stringify(up.requests.at(-1)!.headers)).not.toContain(keyA);
    expect(app.rawLog()).not.toContain(keyA);
    expect(app.rawLog()).toContain('"tenant":"team-a"');
    expect(await app.sluice.metrics.registry.metrics()).not.toMatch(/team-a|sk-team/);
  });
});

describe('rate limits', () => {
  it('rpm: OpenAI headers on every answer, 429 with retry-after past the limit, streams included', async () => {
    const app = await startTestApp({ ...proxyConfig([up.url]), keys: keys() }, { env: { TEST_KEY: 'k' } });
    const first = await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2' });
    up.script(() => ({ kind: 'sse', events: chatChunks(['ok']) }));
    const stream = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg }, as(keyA));
    expect(stream.headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(sseData(stream.text).at(-1)).toBe('[DONE]');
    up.script(() => ({ kind: 'json', body: chatCompletion('ok') }));
    await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    const limited = await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(await app.metric('sluice_rate_limited_total', { reason: 'rpm' })).toBe(1);
    expect(await app.metric('sluice_requests_total', { route: 'auto', outcome: 'rejected' })).toBe(1);
    await app.close();
  });

  it("route limits: tighter rpm on one route, on top of the key's own, the other route untouched", async () => {
    const base = proxyConfig([up.url]);
    const cfg = {
      ...base,
      routes: [...(base.routes as object[]), { name: 'other', tiers: [{ backends: ['b0'] }] }],
      keys: [{ tenant: 'team-a', sha256: hashKey(keyA), rpm: 100, routeLimits: { auto: { rpm: 2 } } }],
    };
    const app = await startTestApp(cfg, { env: { TEST_KEY: 'k' } });
    const first = await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' }); // the tighter limit
    expect((await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA))).status).toBe(200);
    const limited = await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA));
    expect(limited.status).toBe(429);
    expect(limited.json.error.message).toContain('on route auto');
    const other = await app.post('/v1/chat/completions', { model: 'other', messages: msg }, as(keyA));
    expect(other.status).toBe(200);
    // The refused request took nothing from the key's own 100: three admitted in all.
    expect(other.headers).toMatchObject({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '97',
    });
    await app.close();
  });

  it('tpm: charges prompt + expected output before the call, refuses what cannot fit', async () => {
    const app = await startTestApp(
      { ...proxyConfig([up.url]), keys: [{ tenant: 'team-a', sha256: hashKey(keyA), tpm: 1000 }] },
      { env: { TEST_KEY: 'k' } },
    );
    const ok = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 400 }, as(keyA));
    expect(ok.status).toBe(200);
    expect(Number(ok.headers['x-ratelimit-remaining-tokens'])).toBeLessThan(600); // ~410 charged up front
    // It used 15 tokens: once settled, the rest is back and 900 more fit.
    await expect
      .poll(
        async () =>
          (await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 900 }, as(keyA))).status,
      )
      .toBe(200);
    // Two at once, each estimated at ~610 of the 1000: the one admitted second does not fit until the first settles.
    up.script(() => ({
      kind: 'json',
      body: chatCompletion('ok', { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
      delayMs: 150,
    }));
    const pair = await Promise.all(
      [0, 1].map(() => app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 600 }, as(keyA))),
    );
    expect(pair.map((r) => r.status).sort()).toEqual([200, 429]);
    expect(pair.find((r) => r.status === 429)!.json.error.message).toMatch(/tokens/);
    expect(await app.metric('sluice_rate_limited_total', { reason: 'tpm' })).toBe(1);
    up.script(() => ({
      kind: 'json',
      body: chatCompletion('ok', { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
    }));
    await app.close();
  });
});

describe.runIf(hasRedis)('two replicas on one Redis', () => {
  const state = { driver: 'redis', url: redisUrl, prefix, replicas: 2 };
  it('share the rate limit: the fourth request is refused whichever replica gets it', async () => {
    const cfg = { ...proxyConfig([up.url]), state, keys: keys() };
    const [a, b] = await Promise.all([
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
    ]);
    up.script(() => ({ kind: 'json', body: chatCompletion('ok') }));
    const statuses = [];
    for (const app of [a, b, a, b])
      statuses.push((await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await a.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA))).status).toBe(429);
    await Promise.all([a.close(), b.close()]);
  });
  it('lease slices of a roomy limit and still never overshoot it together', async () => {
    const cfg = {
      ...proxyConfig([up.url]),
      state: { ...state, prefix: `${prefix}lease:` },
      keys: keys({ rpm: 1_000 }),
    }; // leases of 10
    const [a, b] = await Promise.all([
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
    ]);
    let ok = 0;
    const start = Date.now();
    for (let round = 0; round < 55; round++) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA)),
        ),
      );
      ok += batch.filter((r) => r.status === 200).length;
      expect(batch.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    }
    // GCRA refills one request every 60 ms while the test runs.
    const refilled = Math.ceil((Date.now() - start) / 60);
    expect(ok).toBeLessThanOrEqual(1_000 + refilled);
    expect(ok).toBeGreaterThanOrEqual(1_000 - 2 * 10); // capacity left in the other replica's lease, at most
    await Promise.all([a.close(), b.close()]);
  });
  it('do not overshoot under 50 concurrent requests split across both', async () => {
    const cfg = { ...proxyConfig([up.url]), state: { ...state, prefix: `${prefix}burst:` }, keys: keys({ rpm: 20 }) };
    const [a, b] = await Promise.all([
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA)),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 429)).toHaveLength(30);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('Redis unreachable', () => {
  it('falls back to each replica enforcing its share, counts and logs it once, never hangs', async () => {
    const app = await startTestApp(
      {
        ...proxyConfig([up.url]),
        state: { driver: 'redis', url: 'redis://127.0.0.1:1', replicas: 3, commandTimeoutMs: 50 },
        keys: keys({ rpm: 9 }),
      },
      { env: { TEST_KEY: 'k' } },
    );
    up.script(() => ({ kind: 'json', body: chatCompletion('ok') }));
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await app.post('/v1/chat/completions', { model: 'auto', messages: msg }, as(keyA))).status);
    expect(statuses).toEqual([200, 200, 200, 429]); // 9 per minute over 3 replicas: 3 here
    expect(await app.metric('sluice_state_store_errors_total', { operation: 'tenant_admit' })).toBe(4);
    expect(app.logs.filter((l) => String(l.msg).startsWith('state store unreachable'))).toHaveLength(1);
    const ready = await app.sluice.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', state: 'redis', mode: 'degraded' });
    await app.close();
  });
});

describe('sluice hash-key', () => {
  it('hashes a key, or mints one with its hash', async () => {
    let out = '';
    await runCli(['hash-key', keyA], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
    });
    expect(out).toBe(`sha256: ${hashKey(keyA)}\n`);
    out = '';
    await runCli(['hash-key', '--new'], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
    });
    const [, key, sha] = /key:\s+(\S+)\nsha256: (\S+)/.exec(out)!;
    expect(hashKey(key!)).toBe(sha);
  });
});
