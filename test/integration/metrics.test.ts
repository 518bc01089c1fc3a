// Metric values after a known mix of requests, read from /metrics as Prometheus would.
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream();
  app = await startTestApp(
    proxyConfig([up.url], { backend: { pricing: { inputPerMTok: 1, cachedInputPerMTok: 0.5, outputPerMTok: 4 } } }),
    { env: { TEST_KEY: 'k' } },
  );
});
afterAll(async () => {
  await app.close();
  await up.close();
});

async function scrape(): Promise<string> {
  const res = await request(`${app.url}/metrics`);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body.text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

it('counts requests, attempts, tokens and dollars for a known mix', async () => {
  const msg = [{ role: 'user', content: 'hi' }];
  // 2 JSON answers: 1000 in (200 cached) / 100 out each.
  up.script(() => ({
    kind: 'json',
    body: chatCompletion('ok', {
      usage: { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 200 } },
    }),
  }));
  await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
  await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
  // 1 stream: 50 in / 10 out.
  up.script(() => ({
    kind: 'sse',
    events: chatChunks(['a', 'b'], { usage: { prompt_tokens: 50, completion_tokens: 10 } }),
  }));
  await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
  // 1 upstream failure (502) and 1 rejected request.
  up.script(() => ({ kind: 'json', status: 500, body: {} }));
  await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
  await app.post('/v1/chat/completions', { model: 'nope', messages: msg });

  const m = await scrape();
  expect(value(m, 'sluice_requests_total{route="auto",outcome="ok"}')).toBe(3);
  expect(value(m, 'sluice_requests_total{route="auto",outcome="error"}')).toBe(1);
  expect(value(m, 'sluice_requests_total{route="_unrouted",outcome="rejected"}')).toBe(1);
  expect(value(m, 'sluice_attempts_total{route="auto",tier="0",backend="b0",outcome="accepted"}')).toBe(3);
  expect(value(m, 'sluice_attempts_total{route="auto",tier="0",backend="b0",outcome="failed"}')).toBe(1);
  expect(value(m, 'sluice_tokens_total{route="auto",backend="b0",type="input"}')).toBe(800 * 2 + 50);
  expect(value(m, 'sluice_tokens_total{route="auto",backend="b0",type="cached_input"}')).toBe(400);
  expect(value(m, 'sluice_tokens_total{route="auto",backend="b0",type="output"}')).toBe(210);
  // (1600×1 + 400×0.5 + 50×1 + 210×4) / 1e6 = 0.00269 USD
  expect(value(m, 'sluice_cost_usd_total{route="auto",backend="b0"}')).toBeCloseTo(0.00269, 12);
  expect(value(m, 'sluice_request_duration_seconds_count{route="auto",outcome="ok"}')).toBe(3);
  expect(value(m, 'sluice_upstream_duration_seconds_count{backend="b0",outcome="accepted"}')).toBe(3);
  expect(value(m, 'sluice_gateway_overhead_seconds_count{route="auto"}')).toBe(4);
  expect(value(m, 'sluice_time_to_first_token_seconds_count{route="auto",backend="b0"}')).toBe(1);
  expect(value(m, 'sluice_inflight_requests{route="auto"}')).toBe(0);
  expect(value(m, 'sluice_backend_up{backend="b0"}')).toBe(1);
});
