// Prompt-cache affinity through HTTP: a long conversation stays on the backend that answered its last turn (whose
// provider holds its prompt cache), and a move away (failover, escalation) counts the re-prefilled prompt as waste.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let cheap: FakeUpstream;
let strongA: FakeUpstream;
let strongB: FakeUpstream;
let app: TestApp;
const history = 'The traveller asked about museums, food, walks and trains in Paris. '.repeat(120);

const backend = (id: string, url: string, price: number) => ({
  id,
  protocol: 'openai',
  baseUrl: url,
  model: id,
  apiKeyEnv: 'KEY',
  pricing: { inputPerMTok: price, cachedInputPerMTok: price / 10, outputPerMTok: price * 4 },
});

beforeAll(async () => {
  cheap = await startFakeUpstream();
  strongA = await startFakeUpstream();
  strongB = await startFakeUpstream();
  app = await startTestApp(
    {
      backends: [
        backend('cheap', cheap.url, 0.1),
        backend('strong-a', strongA.url, 2),
        backend('strong-b', strongB.url, 2),
      ],
      routes: [{ name: 'auto', tiers: [{ backends: ['cheap'] }, { backends: ['strong-a', 'strong-b'] }] }],
    },
    { env: { KEY: 'k' } },
  );
});
beforeEach(() => {
  const answer = (cached: number) => () => ({
    kind: 'json' as const,
    body: chatCompletion('Take the metro.', {
      usage: { prompt_tokens: 1_500, completion_tokens: 4, prompt_tokens_details: { cached_tokens: cached } },
    }),
  });
  cheap.script(answer(0));
  strongA.script(answer(1_400));
  strongB.script(answer(0));
});
afterAll(async () => {
  await app.close();
  for (const u of [cheap, strongA, strongB]) await u.close();
});

const ask = (question: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  app.post(
    '/v1/chat/completions',
    {
      model: 'auto',
      messages: [
        { role: 'system', content: history },
        { role: 'user', content: 'Plan my days in Paris.' },
        { role: 'assistant', content: 'Day one: the Louvre.' },
        { role: 'user', content: question },
      ],
      ...extra,
    },
    headers,
  );
const lastLine = () => app.logs.filter((l) => l.msg === 'request').at(-1)!;

describe('prompt-cache affinity', () => {
  it('keeps a conversation on the backend that served its last turn, cheaper tiers skipped', async () => {
    const first = await ask('How do I get around?', { 'x-sluice-min-tier': '1' });
    expect(first.headers['x-sluice-backend']).toBe('strong-a');
    const cheapCalls = cheap.requests.length;
    const next = await ask('And on Sunday?');
    expect(next.headers['x-sluice-backend']).toBe('strong-a');
    expect(cheap.requests.length).toBe(cheapCalls);
    expect(lastLine()).toMatchObject({
      plan: { tiers: [1], skipped: [{ tier: 0, reason: 'affinity' }] },
      affinity: { backend: 'strong-a', kept: true, reprefillTokens: 0 },
    });
  });

  it('counts the prompt paid again when the conversation has to move (failover)', async () => {
    await ask('Museums?', { 'x-session-id': 'trip-2', 'x-sluice-min-tier': '1' }, { user: undefined });
    strongA.script(() => ({ kind: 'json', status: 503, body: { error: { message: 'down', type: 'server_error' } } }));
    const moved = await ask('Restaurants?', { 'x-session-id': 'trip-2' });
    expect(moved.headers['x-sluice-backend']).toBe('strong-b');
    expect(lastLine()).toMatchObject({ affinity: { backend: 'strong-a', kept: false, reprefillTokens: 1_500 } });
    expect(await app.metric('sluice_reprefill_tokens_total', { route: 'auto', backend: 'strong-b' })).toBe(1_500);
    // The conversation now lives on strong-b.
    strongA.script(() => ({ kind: 'json', body: chatCompletion('unused') }));
    expect((await ask('Bars?', { 'x-session-id': 'trip-2' })).headers['x-sluice-backend']).toBe('strong-b');
  });

  it('leaves short prompts alone: nothing is cached below minTokens', async () => {
    await app.post(
      '/v1/chat/completions',
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: 'short' },
      { 'x-sluice-min-tier': '1' },
    );
    await app.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
      prompt_cache_key: 'short',
    });
    expect(lastLine().affinity).toBeUndefined();
    expect(lastLine().backend).toBe('cheap');
  });

  it('prices the saving with the cached input the baseline would have had too', async () => {
    const res = await ask('Trains?', {}, { prompt_cache_key: 'trip-3' });
    // Delivered by cheap (no cache reads): baseline strong-a at full input price, 1,500 × $2 + 4 × $8 per M.
    expect(res.headers['x-sluice-backend']).toBe('cheap');
    const saved = Number(res.headers['x-sluice-saved-usd']);
    expect(saved).toBeCloseTo((1_500 * 2 + 4 * 8) / 1e6 - (1_500 * 0.1 + 4 * 0.4) / 1e6, 9);
  });
});
