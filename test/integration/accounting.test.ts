// Accounting that survives every path: exact nano-dollar costs, baseline and saving per scenario, checked
// against the response headers, the x-sluice-explain object and the cost metric scraped from the registry.
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countChatTokens, countText } from '../../src/classify/count-tokens.js';
import { priceUsage } from '../../src/cost/pricing.js';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let cheap: FakeUpstream, cheap2: FakeUpstream, strong: FakeUpstream, gpu: FakeUpstream;
let app: TestApp;
const prices = {
  cheap: { inputPerMTok: 1, cachedInputPerMTok: 0.5, outputPerMTok: 2, perRequest: 0 },
  strong: { inputPerMTok: 10, outputPerMTok: 20, perRequest: 0 },
};
const verbose = () => ({
  kind: 'json' as const,
  body: chatCompletion('Paris is a lovely big city with many museums.'),
});
const good = (usage = { prompt_tokens: 10, completion_tokens: 5 }) => ({
  kind: 'json' as const,
  body: chatCompletion('City of light', { usage }),
});

beforeAll(async () => {
  [cheap, cheap2, strong, gpu] = await Promise.all([
    startFakeUpstream(),
    startFakeUpstream(),
    startFakeUpstream(),
    startFakeUpstream(),
  ]);
  const b = (id: string, url: string, pricing: object) => ({
    id,
    protocol: 'openai',
    baseUrl: url,
    model: id,
    pricing,
  });
  app = await startTestApp({
    backends: [
      b('cheap', cheap.url, prices.cheap),
      b('cheap2', cheap2.url, prices.cheap),
      b('strong', strong.url, prices.strong),
      // $3.60 an hour at 100 output tokens/s: $10 per million output tokens; input 10× faster: $1 per million.
      b('gpu', gpu.url, { selfHosted: { hourlyUsd: 3.6, outputTokensPerSecond: 100 } }),
    ],
    routes: [
      {
        name: 'auto',
        tiers: [{ backends: ['cheap', 'cheap2'] }, { backends: ['strong'] }],
        streaming: { mode: 'holdback', holdbackTokens: 20 },
      },
      { name: 'twice', tiers: [{ backends: ['cheap'] }, { backends: ['cheap2'] }, { backends: ['strong'] }] },
      { name: 'solo', tiers: [{ backends: ['cheap'] }], baseline: 'strong' },
      { name: 'own', tiers: [{ backends: ['gpu'] }] },
    ],
  });
});
afterAll(async () => {
  await app.close();
  await Promise.all([cheap, cheap2, strong, gpu].map((f) => f.close()));
});
beforeEach(() => {
  strong.script(() => good());
  cheap2.script(() => good());
  gpu.script(() => good({ prompt_tokens: 1000, completion_tokens: 100 }));
});

const three = [{ role: 'user', content: 'Describe Paris in 3 words.' }];
const usd = (nano: number) => nano / 1e9;
const costMetric = async () => (await app.metric('sluice_cost_usd_total')) ?? 0;

async function ask(model: string, messages = three, extra: Record<string, unknown> = {}) {
  const before = await costMetric();
  const res = await app.post('/v1/chat/completions', { model, messages, ...extra }, { 'x-sluice-explain': 'true' });
  return { res, spent: (await costMetric()) - before };
}

describe('JSON answers: headers, explain object and metrics agree to the nano-dollar', () => {
  const table: Array<{
    name: string;
    model: string;
    setup: () => void;
    cost: number;
    baseline: number;
    escalations: string;
    attempts: number;
  }> = [
    {
      name: 'plain',
      model: 'auto',
      setup: () => cheap.script(() => good()),
      cost: 20_000,
      baseline: 200_000,
      escalations: '',
      attempts: 1,
    },
    {
      name: 'escalated once',
      model: 'auto',
      setup: () => cheap.script(verbose),
      cost: 20_000 + 200_000,
      baseline: 200_000,
      escalations: 'verbose',
      attempts: 2,
    },
    {
      name: 'escalated twice',
      model: 'twice',
      setup: () => {
        cheap.script(verbose);
        cheap2.script(verbose);
      },
      cost: 20_000 + 20_000 + 200_000,
      baseline: 200_000,
      escalations: 'verbose,verbose',
      attempts: 3,
    },
    {
      name: 'failover (the failed attempt costs nothing)',
      model: 'auto',
      setup: () => cheap.script(() => ({ kind: 'json', status: 500, body: {} })),
      cost: 20_000,
      baseline: 200_000,
      escalations: '',
      attempts: 2,
    },
    // 600 fresh × $1 + 400 cached × $0.5 + 100 out × $2 = $1,000e-6; the baseline pays full input: 1000 × $10 + 100 × $20
    {
      name: 'cached input',
      model: 'auto',
      setup: () =>
        cheap.script(() => ({
          kind: 'json',
          body: chatCompletion('City of light', {
            usage: { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 400 } },
          }),
        })),
      cost: 1_000_000,
      baseline: 12_000_000,
      escalations: '',
      attempts: 1,
    },
    // 1000 in × $1 + 100 out × $10 on the self-hosted backend, which is its own baseline
    {
      name: 'self-hosted pricing',
      model: 'own',
      setup: () => {},
      cost: 2_000_000,
      baseline: 2_000_000,
      escalations: '',
      attempts: 1,
    },
  ];
  for (const row of table) {
    it(row.name, async () => {
      row.setup();
      const { res, spent } = await ask(row.model);
      expect(res.status).toBe(200);
      expect(res.headers['x-sluice-cost-usd']).toBe(usd(row.cost).toFixed(9));
      expect(res.headers['x-sluice-saved-usd']).toBe(usd(row.baseline - row.cost).toFixed(9));
      expect(res.headers['x-sluice-escalations']).toBe(row.escalations);
      expect(res.json.sluice).toMatchObject({
        costUsd: usd(row.cost),
        baselineUsd: usd(row.baseline),
        savedUsd: usd(row.baseline - row.cost),
      });
      expect(res.json.sluice.attempts).toHaveLength(row.attempts);
      expect(res.json.choices[0].message.content).toBeDefined(); // still an OpenAI body
      expect(spent).toBeCloseTo(usd(row.cost), 12);
    });
  }

  it('a request that gets no answer still says what it tried and what it cost', async () => {
    cheap.script(verbose);
    cheap2.script(verbose);
    strong.script(() => ({ kind: 'json', status: 500, body: { error: { message: 'down' } } }));
    const { res, spent } = await ask('twice');
    expect(res.status).toBe(502);
    expect(res.headers).toMatchObject({
      'x-sluice-route': 'twice',
      'x-sluice-attempts': '3',
      'x-sluice-escalations': 'verbose,verbose',
      'x-sluice-cost-usd': usd(40_000).toFixed(9),
    });
    expect(res.headers['x-sluice-backend']).toBeUndefined();
    expect(spent).toBeCloseTo(usd(40_000), 12);
  });

  it('missing usage: estimated with the tokenizer, and marked', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('Romantic artistic capital', { usage: null }) }));
    const { res, spent } = await ask('auto');
    const usage = {
      input: countChatTokens(three).tokens,
      cachedInput: 0,
      output: countText('Romantic artistic capital').tokens,
      estimated: true,
    };
    const cost = priceUsage({ ...prices.cheap }, usage);
    expect(res.json.sluice.attempts[0]).toMatchObject({
      inputTokens: usage.input,
      outputTokens: usage.output,
      estimated: true,
    });
    expect(res.headers['x-sluice-cost-usd']).toBe(usd(cost).toFixed(9));
    expect(spent).toBeCloseTo(usd(cost), 12);
  });
});

describe('streams: paid for what was generated, whatever happened', () => {
  const pieces = Array.from({ length: 12 }, (_, i) => `word${i} `);

  it('explained in one extra chunk before [DONE], which leaves the answer untouched', async () => {
    cheap.script(() => ({
      kind: 'sse',
      events: chatChunks(['City ', 'of ', 'light'], { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
    }));
    const { res, spent } = await ask('auto', three, { stream: true });
    const data = sseData(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    const trailer = JSON.parse(data.at(-2)!);
    expect(trailer).toMatchObject({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      choices: [],
      sluice: { costUsd: usd(20_000), savedUsd: usd(180_000), backend: 'cheap' },
    });
    expect(spent).toBeCloseTo(usd(20_000), 12);
  });

  it('cut after the commit point: the prompt and the tokens received are paid, estimated', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(pieces), delayMs: 5, cutAfter: 7 }));
    const { res, spent } = await ask('solo', three, { stream: true });
    expect(JSON.parse(sseData(res.text).at(-1)!).error).toBeDefined();
    const received = pieces.slice(0, 6).join(''); // role chunk + 6 pieces before the cut
    const cost = priceUsage(
      { ...prices.cheap },
      { input: countChatTokens(three).tokens, cachedInput: 0, output: countText(received).tokens, estimated: true },
    );
    expect(spent).toBeCloseTo(usd(cost), 12);
  });

  it('holdback abort: the discarded cheap tokens are paid, then the strong answer', async () => {
    const hedges = Array.from(
      { length: 40 },
      (_, i) => ['maybe ', 'it ', 'might ', 'be ', 'perhaps ', 'possibly ', 'red, ', 'or ', 'blue '][i % 9]!,
    );
    cheap.script(() => ({ kind: 'sse', events: chatChunks(hedges), delayMs: 5 }));
    strong.script(() => ({
      kind: 'sse',
      events: chatChunks(['STRONG.'], { usage: { prompt_tokens: 10, completion_tokens: 2 } }),
    }));
    const prompt = [{ role: 'user', content: 'What colour is the sky?' }];
    const { res, spent } = await ask('auto', prompt, { stream: true });
    const trailer = JSON.parse(sseData(res.text).at(-2)!).sluice;
    expect(trailer.escalations).toEqual(['verbose']);
    const held = hedges.slice(0, 20).join(''); // judged after 20 content events
    const cheapCost = priceUsage(
      { ...prices.cheap },
      { input: countChatTokens(prompt).tokens, cachedInput: 0, output: countText(held).tokens, estimated: true },
    );
    const strongCost = 10 * 10_000 + 2 * 20_000;
    expect(trailer.attempts[0]).toMatchObject({ outcome: 'escalated', estimated: true, costUsd: usd(cheapCost) });
    expect(trailer.costUsd).toBeCloseTo(usd(cheapCost + strongCost), 12);
    expect(spent).toBeCloseTo(usd(cheapCost + strongCost), 12);
  });

  it('client abort: what was generated until the client left is paid, and the log line says the same', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(pieces), delayMs: 40 }));
    const before = await costMetric();
    const ctl = new AbortController();
    const res = await request(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abort-acct' },
      signal: ctl.signal,
      body: JSON.stringify({ model: 'solo', stream: true, messages: three }),
    });
    for await (const chunk of res.body) {
      if (String(chunk).includes('word2')) break;
    }
    ctl.abort();
    await expect.poll(() => app.logs.some((l) => l.reqId === 'abort-acct')).toBe(true);
    const line = app.logs.find((l) => l.reqId === 'abort-acct') as {
      outcome: string;
      costUsd: string;
      attempts: Array<{ estimated?: boolean; out: number; in: number }>;
    };
    expect(line.outcome).toBe('client_aborted');
    expect(line.attempts[0]).toMatchObject({ estimated: true, in: countChatTokens(three).tokens });
    expect(line.attempts[0]!.out).toBeGreaterThanOrEqual(3);
    expect((await costMetric()) - before).toBeCloseTo(Number(line.costUsd), 9);
  });
});

describe('answers of any shape: a strange backend is never a crash, a bogus count never reaches a counter', () => {
  const answer = 'City of light';
  const estimate = () =>
    priceUsage(
      { ...prices.cheap },
      { input: countChatTokens(three).tokens, cachedInput: 0, output: countText(answer).tokens, estimated: true },
    );
  const bogusUsage: Array<[string, unknown]> = [
    ['negative', { prompt_tokens: -5, completion_tokens: -1_000_000_000 }],
    ['astronomical', { prompt_tokens: 1e300, completion_tokens: 1e300 }],
    ['strings', { prompt_tokens: '10', completion_tokens: '5' }],
    ['fractions', { prompt_tokens: 10.5, completion_tokens: 5 }],
  ];
  for (const [name, usage] of bogusUsage) {
    it(`usage that is not a count (${name}) is estimated instead, and marked`, async () => {
      cheap.script(() => ({ kind: 'json', body: { ...chatCompletion(answer), usage } }));
      const tokensBefore =
        (await app.metric('sluice_tokens_total', { route: 'solo', backend: 'cheap', type: 'output' })) ?? 0;
      const { res, spent } = await ask('solo');
      expect(res.status).toBe(200);
      expect(res.json.sluice.attempts[0]).toMatchObject({
        estimated: true,
        inputTokens: countChatTokens(three).tokens,
        outputTokens: countText(answer).tokens,
      });
      expect(res.headers['x-sluice-cost-usd']).toBe(usd(estimate()).toFixed(9));
      expect(spent).toBeCloseTo(usd(estimate()), 12);
      expect(
        (await app.metric('sluice_tokens_total', { route: 'solo', backend: 'cheap', type: 'output' }))! - tokensBefore,
      ).toBe(countText(answer).tokens);
    });
  }

  it('a completion count the backend got wrong keeps its believable prompt count', async () => {
    cheap.script(() => ({
      kind: 'json',
      body: {
        ...chatCompletion(answer),
        usage: { prompt_tokens: 1000, completion_tokens: -3, prompt_tokens_details: { cached_tokens: 5000 } },
      },
    }));
    const { res } = await ask('solo');
    expect(res.json.sluice.attempts[0]).toMatchObject({
      inputTokens: 1000,
      cachedInputTokens: 1000,
      outputTokens: countText(answer).tokens,
      estimated: true,
    });
  });

  it('JSON answers with fields of the wrong shape pass through untouched and are judged, not thrown on', async () => {
    const odd = [
      { choices: [null] },
      { choices: [{ index: 0, message: null, finish_reason: 'stop' }] },
      {
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer, tool_calls: 'none' },
            logprobs: { content: [null, { logprob: 'x' }, 5] },
            finish_reason: 7,
          },
        ],
      },
      {
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, tool_calls: [null, 5, { id: 'c', function: null }] },
            finish_reason: 'tool_calls',
          },
        ],
      },
    ];
    for (const body of odd) {
      cheap.script(() => ({ kind: 'json', body }));
      for (const model of ['solo', 'auto']) {
        const res = await app.post('/v1/chat/completions', { model, messages: three });
        expect(res.status, JSON.stringify(body)).toBe(200);
        if (model === 'solo') expect(res.json).toEqual(body);
      }
    }
  });

  it('stream events with fields of the wrong shape are skipped; an event that is not an object fails the attempt cleanly', async () => {
    const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
    const events = [
      { ...head, choices: [null, { index: 0, delta: null }] },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { content: 'City ', tool_calls: [null, 5, { index: 'a', function: null }] },
            logprobs: { content: 'x' },
          },
        ],
      },
      { ...head, choices: [{ index: 0, delta: { content: 'of light.' }, finish_reason: 'stop' }] },
      { ...head, choices: [], usage: { prompt_tokens: 'a', completion_tokens: null } },
    ].map((e) => JSON.stringify(e));
    cheap.script(() => ({ kind: 'sse', events }));
    const ok = await app.post('/v1/chat/completions', { model: 'solo', stream: true, messages: three });
    expect(ok.status).toBe(200);
    expect(sseData(ok.text).at(-1)).toBe('[DONE]');
    for (const junk of ['null', '5', '[1]']) {
      cheap.script(() => ({ kind: 'sse', events: [junk] }));
      const bad = await app.post('/v1/chat/completions', { model: 'solo', stream: true, messages: three });
      expect(bad.status).toBe(502);
      expect(bad.json.error.message).toContain('stream event is not a JSON object');
    }
  });
});

describe('labels stay bounded', () => {
  it('unknown client model names never become label values', async () => {
    for (let i = 0; i < 25; i++)
      await app.post('/v1/chat/completions', { model: `made-up-model-${i}-${Math.random()}`, messages: three });
    const series = (await app.sluice.metrics.registry.getSingleMetric('sluice_requests_total')!.get()).values;
    const routes = new Set(series.map((v) => String(v.labels.route)));
    expect([...routes].every((r) => ['auto', 'twice', 'solo', 'own', '_unrouted'].includes(r))).toBe(true);
    expect(await app.sluice.metrics.registry.metrics()).not.toContain('made-up-model');
  });
});
