// The cascade through HTTP: escalation on each verdict, failover, attempt cap, deadline, every streaming mode,
// discarded attempts released and paid for.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let cheap: FakeUpstream;
let cheap2: FakeUpstream;
let strong: FakeUpstream;
let app: TestApp;
const strongAnswer = () => ({
  kind: 'json' as const,
  body: chatCompletion('City of light.', { model: 'strong-model' }),
});

beforeAll(async () => {
  cheap = await startFakeUpstream();
  cheap2 = await startFakeUpstream();
  strong = await startFakeUpstream(strongAnswer);
  const backend = (id: string, url: string, price: [number, number], extra: Record<string, unknown> = {}) => ({
    id,
    protocol: 'openai',
    baseUrl: url,
    model: `${id}-model`,
    pricing: { inputPerMTok: price[0], outputPerMTok: price[1] },
    timeouts: { firstTokenMs: 2_000, idleMs: 2_000, totalMs: 3_000 },
    ...extra,
  });
  const tiers = [{ backends: ['cheap', 'cheap2'], maxDifficulty: 1 }, { backends: ['strong'] }];
  app = await startTestApp({
    backends: [
      backend('cheap', cheap.url, [1, 2], { timeouts: { firstTokenMs: 300, idleMs: 300, totalMs: 400 } }),
      backend('cheap2', cheap2.url, [1, 2], { timeouts: { firstTokenMs: 300, idleMs: 300, totalMs: 400 } }),
      backend('strong', strong.url, [10, 20]),
    ],
    routes: [
      { name: 'auto', tiers, streaming: { mode: 'holdback', holdbackTokens: 24 } },
      { name: 'buf', tiers, streaming: { mode: 'buffer' } },
      { name: 'direct', tiers, streaming: { mode: 'direct' } },
      { name: 'capped', tiers, maxAttempts: 1 },
      { name: 'deadline', tiers, deadlineMs: 250 },
      { name: 'refusing', tiers, judge: { refusal: true } },
    ],
  });
});
afterAll(async () => {
  await app.close();
  await Promise.all([cheap.close(), cheap2.close(), strong.close()]);
});
afterEach(() => {
  for (const f of [cheap, cheap2, strong]) f.requests.length = 0;
  strong.script(strongAnswer);
});

const ask = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content }], ...extra }, headers);

describe('escalation on each verdict (non-streaming)', () => {
  it('verbose: asked for 3 words, the cheap first line has more; the discarded attempt is paid for', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('Paris is a lovely big city with many museums.') }));
    const res = await ask('Describe Paris in 3 words.');
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('City of light.');
    expect(res.headers).toMatchObject({
      'x-sluice-backend': 'strong',
      'x-sluice-tier': '1',
      'x-sluice-attempts': '2',
      'x-sluice-escalations': 'verbose',
    });
    // cheap: 10 in × $1 + 5 out × $2 = $20e-6; strong: 10 × $10 + 5 × $20 = $200e-6; baseline = strong.
    expect(res.headers['x-sluice-cost-usd']).toBe('0.000220000');
    expect(res.headers['x-sluice-saved-usd']).toBe('-0.000020000');
    expect(Number(res.headers['x-sluice-difficulty'])).toBeGreaterThan(0);
    expect(
      await app.metric('sluice_escalations_total', { route: 'auto', from_tier: '0', to_tier: '1', reason: 'verbose' }),
    ).toBe(1);
    expect(await app.metric('sluice_attempts_total', { backend: 'cheap', outcome: 'escalated' })).toBe(1);
    expect(await app.metric('sluice_cost_usd_total', { backend: 'cheap' })).toBeCloseTo(20e-6, 12);
    expect(await app.metric('sluice_verbosity_score_count', { backend: 'cheap' })).toBe(1);
  });

  it('accepts a cheap answer that meets the request, without calling the strong tier', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('Romantic artistic capital') }));
    const res = await ask('Describe Paris in 3 words.');
    expect(res.headers).toMatchObject({
      'x-sluice-backend': 'cheap',
      'x-sluice-tier': '0',
      'x-sluice-escalations': '',
      'x-sluice-saved-usd': '0.000180000',
    });
    expect(strong.requests).toHaveLength(0);
  });

  it('truncated: a length stop the client did not ask for', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('The answer begins with', { finish: 'length' }) }));
    expect((await ask('Tell me a story.')).headers['x-sluice-escalations']).toBe('truncated');
    cheap.script(() => ({ kind: 'json', body: chatCompletion('The answer begins with', { finish: 'length' }) }));
    expect((await ask('Tell me a story.', { max_tokens: 5 })).headers['x-sluice-backend']).toBe('cheap');
  });

  it('malformed: invalid JSON in JSON mode, and a tool call naming an unknown tool', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('{"name": "Ann", ') }));
    expect(
      (await ask('Give me a person as JSON', { response_format: { type: 'json_object' } })).headers[
        'x-sluice-escalations'
      ],
    ).toBe('malformed');
    const badCall = { id: 'c1', type: 'function', function: { name: 'rm_rf', arguments: '{}' } };
    cheap.script(() => ({
      kind: 'json',
      body: chatCompletion('', { finish: 'tool_calls', extra: { content: null, tool_calls: [badCall] } }),
    }));
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    expect((await ask('Weather in Paris?', { tools })).headers['x-sluice-escalations']).toBe('malformed');
  });

  it('empty: no text and no tool call', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('') }));
    expect((await ask('Hello?')).headers['x-sluice-escalations']).toBe('empty');
  });

  it('refusal: only on a route that opts in', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion("I'm sorry, but I can't help with that.") }));
    expect((await ask('How do I bake bread?')).headers['x-sluice-backend']).toBe('cheap');
    const res = await app.post('/v1/chat/completions', {
      model: 'refusing',
      messages: [{ role: 'user', content: 'How do I bake bread?' }],
    });
    expect(res.headers['x-sluice-escalations']).toBe('refusal');
  });
});

describe('failures', () => {
  it('fails over to the sibling in the same tier, with no escalation', async () => {
    cheap.script(() => ({ kind: 'json', status: 500, body: {} }));
    cheap2.script(() => ({ kind: 'json', body: chatCompletion('Romantic artistic capital') }));
    const res = await ask('Describe Paris in 3 words.');
    expect(res.headers).toMatchObject({
      'x-sluice-backend': 'cheap2',
      'x-sluice-attempts': '2',
      'x-sluice-escalations': '',
    });
  });

  it('escalates with reason error when the whole tier fails', async () => {
    cheap.script(() => ({ kind: 'json', status: 500, body: {} }));
    cheap2.script(() => ({ kind: 'reset' }));
    const res = await ask('Describe Paris in 3 words.');
    expect(res.headers).toMatchObject({
      'x-sluice-backend': 'strong',
      'x-sluice-attempts': '3',
      'x-sluice-escalations': 'error',
    });
    expect(await app.metric('sluice_attempts_total', { route: 'auto', outcome: 'failed' })).toBeGreaterThanOrEqual(2);
  });

  it('escalates with reason timeout when the tier stalls', async () => {
    cheap.script(() => ({ kind: 'stall' }));
    cheap2.script(() => ({ kind: 'stall' }));
    const res = await ask('Describe Paris in 3 words.');
    expect(res.headers).toMatchObject({ 'x-sluice-backend': 'strong', 'x-sluice-escalations': 'timeout' });
  });

  it('stops at the attempt cap', async () => {
    cheap.script(() => ({ kind: 'json', status: 500, body: {} }));
    const res = await app.post('/v1/chat/completions', {
      model: 'capped',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(502);
    expect(cheap2.requests).toHaveLength(0);
    expect(strong.requests).toHaveLength(0);
  });

  it('answers 504 when the route deadline passes, whatever is still running', async () => {
    cheap.script(() => ({ kind: 'stall' }));
    cheap2.script(() => ({ kind: 'stall' }));
    const res = await app.post('/v1/chat/completions', {
      model: 'deadline',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(504);
    expect(res.json.error.code).toBe('upstream_timeout');
    expect(res.json.error.message).toMatch(/^the request deadline passed \(\d+ attempts?\)$/);
    expect(res.json.error.message).not.toContain('1 attempts');
  });

  it('lets a caller skip the cheap tiers with x-sluice-min-tier', async () => {
    const res = await ask('Describe Paris in 3 words.', {}, { 'x-sluice-min-tier': '1' });
    expect(res.headers['x-sluice-backend']).toBe('strong');
    expect(cheap.requests).toHaveLength(0);
    expect((await ask('hi', {}, { 'x-sluice-min-tier': 'high' })).status).toBe(400);
  });
});

describe('streaming', () => {
  const hedging = Array.from(
    { length: 40 },
    (_, i) => ['maybe ', 'it ', 'might ', 'be ', 'perhaps ', 'possibly ', 'red, ', 'or ', 'blue '][i % 9]!,
  );
  const strongStream = () => ({
    kind: 'sse' as const,
    events: chatChunks(['STRONG ', 'answer.'], { usage: { prompt_tokens: 10, completion_tokens: 2 } }),
  });

  it('holdback: aborts the cheap stream as soon as its first tokens show hedging, streams the strong answer', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(hedging), delayMs: 15 }));
    strong.script(strongStream);
    const closed = cheap.nextSocketClose();
    const res = await ask('What colour is the sky?', { stream: true });
    await closed; // the discarded attempt's connection is released at once, not after 40 tokens
    expect(res.headers).toMatchObject({
      'x-sluice-backend': 'strong',
      'x-sluice-escalations': 'verbose',
      'x-sluice-attempts': '2',
    });
    const data = sseData(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    const text = data
      .slice(0, -1)
      .map((d) => JSON.parse(d).choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('STRONG answer.');
    expect(
      await app.metric('sluice_attempts_total', { route: 'auto', backend: 'cheap', outcome: 'escalated' }),
    ).toBeGreaterThanOrEqual(1);
    expect(await app.metric('sluice_cost_usd_total', { route: 'auto', backend: 'cheap' })).toBeGreaterThan(0); // the hedged tokens are paid for
  });

  it('holdback: after the commit point a broken cheap stream ends with an error event, never escalates', async () => {
    const words = Array.from({ length: 30 }, (_, i) => `fact${i} `);
    cheap.script(() => ({ kind: 'sse', events: chatChunks(words), delayMs: 5, cutAfter: 28 }));
    const res = await ask('Tell me about stars.', { stream: true });
    const data = sseData(res.text);
    expect(data).not.toContain('[DONE]');
    expect(JSON.parse(data.at(-1)!).error.code).toBe('upstream_error');
    expect(strong.requests).toHaveLength(0);
    expect(res.headers['x-sluice-backend']).toBe('cheap');
  });

  it('buffer: judges the whole cheap answer before anything is sent', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(['Paris ', 'is ', 'a ', 'lovely ', 'big ', 'city.']) }));
    strong.script(strongStream);
    const res = await app.post('/v1/chat/completions', {
      model: 'buf',
      stream: true,
      messages: [{ role: 'user', content: 'Describe Paris in 3 words.' }],
    });
    expect(res.headers).toMatchObject({ 'x-sluice-backend': 'strong', 'x-sluice-escalations': 'verbose' });
    expect(res.text).not.toContain('lovely');
  });

  it('buffer: streams the cheap answer when it passes', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(['Romantic ', 'artistic ', 'capital']) }));
    const res = await app.post('/v1/chat/completions', {
      model: 'buf',
      stream: true,
      messages: [{ role: 'user', content: 'Describe Paris in 3 words.' }],
    });
    expect(res.headers['x-sluice-backend']).toBe('cheap');
    expect(sseData(res.text)).toHaveLength(6);
  });

  it('direct: no judging, the start tier answers', async () => {
    cheap.script(() => ({ kind: 'sse', events: chatChunks(['Paris ', 'is ', 'a ', 'lovely ', 'big ', 'city.']) }));
    const res = await app.post('/v1/chat/completions', {
      model: 'direct',
      stream: true,
      messages: [{ role: 'user', content: 'Describe Paris in 3 words.' }],
    });
    expect(res.headers).toMatchObject({ 'x-sluice-backend': 'cheap', 'x-sluice-attempts': '1' });
    expect(strong.requests).toHaveLength(0);
  });
});

describe('discarded attempts', () => {
  it('a judged-and-discarded JSON answer leaves its connection in the pool', async () => {
    cheap.script(() => ({ kind: 'json', body: chatCompletion('Paris is a lovely big city with many museums.') }));
    const before = cheap.closedSockets();
    for (let i = 0; i < 3; i++)
      expect((await ask('Describe Paris in 3 words.')).headers['x-sluice-backend']).toBe('strong');
    expect(cheap.closedSockets()).toBe(before);
  });
});
