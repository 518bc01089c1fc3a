// Spend budgets: the worst case reserved before the call, settled after; exhausted → 429 insufficient_quota;
// two replicas on one Redis cannot overshoot together; downgrade routes stay cheap; a dead store fails closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatTokens } from '../../src/classify/count-tokens.js';
import { createRedisStore } from '../../src/state/redis-store.js';
import { hashKey } from '../../src/tenants/key-registry.js';
import { spendKeys } from '../../src/tenants/limit-checks.js';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { proxyConfig, startTestApp } from '../helpers/test-app.js';

const key = 'sk-budget-team-123456';
const as = { authorization: `Bearer ${key}` };
const msg = [{ role: 'user', content: 'hi' }];
const hasRedis = await redisAvailable();
const prefix = testPrefix('budgets');
// Priced at $1 in / $2 out per million tokens; each call uses 10 in + 5 out = $20e-6; with max_tokens 10 the
// worst case is (prompt tokens) × $1e-6 + 10 × $2e-6.
const worstNano = countChatTokens(msg).tokens * 1_000 + 10 * 2_000;
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

const budgetKey = (perDay: number) => [{ tenant: 'team', sha256: hashKey(key), budgetUsd: { perDay } }];

describe('budgets', () => {
  it('refuses with 429 insufficient_quota once the day is spent, and says not to retry', async () => {
    const app = await startTestApp({ ...proxyConfig([up.url]), keys: budgetKey(0.0001) }, { env: { TEST_KEY: 'k' } });
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as)).status,
      );
    // $100e-6; each call reserves its worst case (~$28e-6) and settles to $20e-6: after four, $20e-6 is left,
    // less than the next worst case, so the fifth is refused although it would have cost only $20e-6.
    expect(worstNano).toBeGreaterThan(20_000);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const refused = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as);
    expect(refused.json.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(refused.headers['x-should-retry']).toBe('false');
    expect(await app.metric('sluice_rate_limited_total', { reason: 'budget' })).toBe(4);
    await app.close();
  });

  it('a request refused for budget takes nothing from the rate limits (all or nothing)', async () => {
    const keys = [{ tenant: 'team', sha256: hashKey(key), rpm: 3, budgetUsd: { perDay: (worstNano * 1.5) / 1e9 } }];
    const app = await startTestApp({ ...proxyConfig([up.url]), keys }, { env: { TEST_KEY: 'k' } });
    const first = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as);
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('2');
    // What is left of the day is less than a worst case: each of these is refused for budget. Had the refusals
    // taken requests, the third would have been refused for rpm instead.
    for (let i = 0; i < 5; i++) {
      expect(
        (await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as)).json.error.code,
      ).toBe('insufficient_quota');
    }
    expect((await app.metric('sluice_rate_limited_total', { reason: 'rpm' })) ?? 0).toBe(0);
    expect(await app.metric('sluice_rate_limited_total', { reason: 'budget' })).toBe(5);
    await app.close();
  });

  it('downgrade routes stay on the cheapest tier when the full plan does not fit', async () => {
    const strong = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('strong') }));
    const cfg = {
      backends: [
        {
          id: 'cheap',
          protocol: 'openai',
          baseUrl: up.url,
          model: 'c',
          pricing: { inputPerMTok: 1, outputPerMTok: 2 },
        },
        {
          id: 'strong',
          protocol: 'openai',
          baseUrl: strong.url,
          model: 's',
          pricing: { inputPerMTok: 100, outputPerMTok: 200 },
        },
      ],
      routes: [
        {
          name: 'auto',
          onBudgetLow: 'downgrade',
          tiers: [{ backends: ['cheap'], maxDifficulty: 0 }, { backends: ['strong'] }],
        },
      ],
      keys: budgetKey(0.0005),
    };
    const app = await startTestApp(cfg);
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as);
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-backend']).toBe('cheap'); // difficulty alone would have started at strong
    expect(app.logs.find((l) => l.msg === 'request')).toMatchObject({
      plan: { tiers: [0], skipped: [{ tier: 1, reason: 'budget' }] },
    });
    await app.close();
    await strong.close();
  });

  it('reserves every tier a request may reach: an escalated request cannot take the day past its budget', async () => {
    const cheapUp = await startFakeUpstream(() => ({
      kind: 'json',
      body: chatCompletion('Paris is a lovely big city with many museums and many parks too.', {
        usage: { prompt_tokens: 10, completion_tokens: 10 },
      }),
    }));
    const strongUp = await startFakeUpstream(() => ({
      kind: 'json',
      body: chatCompletion('City of light.', { usage: { prompt_tokens: 10, completion_tokens: 10 } }),
    }));
    const ask = [{ role: 'user', content: 'Describe Paris in 3 words.' }];
    const tokens = countChatTokens(ask).tokens;
    const cheapWorst = tokens * 1_000 + 10 * 2_000; // $1 / $2 per million
    const strongWorst = tokens * 10_000 + 10 * 20_000; // $10 / $20 per million
    const cfg = (perDay: number) => ({
      backends: [
        {
          id: 'cheap',
          protocol: 'openai',
          baseUrl: cheapUp.url,
          model: 'c',
          pricing: { inputPerMTok: 1, outputPerMTok: 2 },
        },
        {
          id: 'strong',
          protocol: 'openai',
          baseUrl: strongUp.url,
          model: 's',
          pricing: { inputPerMTok: 10, outputPerMTok: 20 },
        },
      ],
      routes: [{ name: 'auto', tiers: [{ backends: ['cheap'] }, { backends: ['strong'] }] }],
      keys: budgetKey(perDay),
    });
    // Enough for the strong tier alone, not for the cheap attempt paid before it: refused, nothing spent.
    const tight = await startTestApp(cfg(strongWorst / 1e9));
    const refused = await tight.post('/v1/chat/completions', { model: 'auto', messages: ask, max_tokens: 10 }, as);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('insufficient_quota');
    expect(cheapUp.requests).toHaveLength(0);
    await tight.close();
    // Enough for both: admitted, escalated, and what it cost fits the budget.
    const enough = await startTestApp(cfg((cheapWorst + strongWorst) / 1e9));
    const res = await enough.post('/v1/chat/completions', { model: 'auto', messages: ask, max_tokens: 10 }, as);
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-escalations']).toBe('verbose');
    expect(Number(res.headers['x-sluice-cost-usd']) * 1e9).toBeLessThanOrEqual(cheapWorst + strongWorst);
    await enough.close();
    await Promise.all([cheapUp.close(), strongUp.close()]);
  });

  it("reserves every answer of n: three choices need three answers' worth of budget", async () => {
    const app = await startTestApp(
      { ...proxyConfig([up.url]), keys: budgetKey((worstNano * 2) / 1e9) },
      { env: { TEST_KEY: 'k' } },
    );
    const refused = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10, n: 3 }, as);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('insufficient_quota');
    expect((await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as)).status).toBe(
      200,
    );
    await app.close();
  });

  it('fail closed when the store is down (503, retryable), or open when the config says so', async () => {
    const dead = { driver: 'redis', url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 };
    const closed = await startTestApp(
      { ...proxyConfig([up.url]), state: dead, keys: budgetKey(1) },
      { env: { TEST_KEY: 'k' } },
    );
    const res = await closed.post('/v1/chat/completions', { model: 'auto', messages: msg }, as);
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('budget_unavailable');
    expect(await closed.metric('sluice_state_store_errors_total', { operation: 'tenant_admit' })).toBe(1);
    await closed.post('/v1/chat/completions', { model: 'auto', messages: msg }, as);
    const switches = closed.logs.filter((l) => String(l.msg).startsWith('state store unreachable'));
    expect(switches).toHaveLength(1); // logged once, however many calls fail
    expect(switches[0]!.msg).toContain('budgets closed');
    await closed.close();
    const open = await startTestApp(
      { ...proxyConfig([up.url]), state: { ...dead, budgetsOnStoreFailure: 'open' }, keys: budgetKey(1) },
      { env: { TEST_KEY: 'k' } },
    );
    expect((await open.post('/v1/chat/completions', { model: 'auto', messages: msg }, as)).status).toBe(200);
    await open.close();
  });
});

describe.runIf(hasRedis)('two replicas on one Redis', () => {
  it('writes batched settlements on shutdown: the day holds the actual cost, not the worst case', async () => {
    const cfg = {
      ...proxyConfig([up.url]),
      state: { driver: 'redis', url: redisUrl, prefix: `${prefix}flush:` },
      keys: budgetKey(1),
    };
    const app = await startTestApp(cfg, { env: { TEST_KEY: 'k' } });
    for (let i = 0; i < 3; i++)
      expect(
        (await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 10 }, as)).status,
      ).toBe(200);
    await app.close();
    const store = createRedisStore({ url: redisUrl, prefix: `${prefix}flush:` });
    expect(await store.spendRead([spendKeys('team', new Date()).day])).toEqual([3 * 20_000]);
    await store.close();
  });

  it('cannot overshoot the budget under 50 concurrent requests split across both', async () => {
    // The upstream holds every answer until each of the 50 has either reached it or been refused, so no settlement
    // can free budget while others are still being admitted: however slow the machine, exactly ten worst cases fit.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = 0;
    let refused = 0;
    const settle = () => {
      if (arrived + refused === 50) release();
    };
    const slow = await startFakeUpstream(async () => {
      arrived++;
      settle();
      await gate;
      return { kind: 'json', body: chatCompletion('ok', { usage: { prompt_tokens: 10, completion_tokens: 5 } }) };
    });
    const budgetNano = worstNano * 10;
    const cfg = {
      ...proxyConfig([slow.url]),
      state: { driver: 'redis', url: redisUrl, prefix, replicas: 2 },
      keys: budgetKey(budgetNano / 1e9),
    };
    const [a, b] = await Promise.all([
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
      startTestApp(cfg, { env: { TEST_KEY: 'k' } }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await (i % 2 ? a : b).post(
          '/v1/chat/completions',
          { model: 'auto', messages: msg, max_tokens: 10 },
          as,
        );
        if (res.status !== 200) {
          refused++;
          settle();
        }
        return res;
      }),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(40);
    expect(slow.requests).toHaveLength(10);
    await Promise.all([a.close(), b.close(), slow.close()]);
  });
});
