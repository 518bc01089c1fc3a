// Browser apps: cross-origin calls are off by default, and allowed only from the origins the config lists.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

const app = 'https://app.example.com';
const msg = [{ role: 'user', content: 'hi' }];
let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('ok') }));
});
afterAll(async () => {
  await up.close();
});

async function preflight(target: TestApp, origin: string) {
  const res = await request(`${target.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-stainless-os',
    },
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers as Record<string, string>,
    json: text ? JSON.parse(text) : undefined,
  };
}

describe('CORS from the listed origins', () => {
  let sluice: TestApp;
  beforeAll(async () => {
    sluice = await startTestApp(
      { ...proxyConfig([up.url]), server: { cors: { origins: [`${app}/`] } } },
      { env: { TEST_KEY: 'k' } },
    );
  });
  afterAll(async () => {
    await sluice.close();
  });

  it('answers the preflight of a listed origin, allowing the headers it asked for', async () => {
    const res = await preflight(sluice, app);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-stainless-os');
    expect(res.headers.vary).toContain('origin');
    expect(up.requests).toHaveLength(0);
  });
  it('lets the page read JSON and streamed answers with their Sluice headers', async () => {
    const res = await sluice.post('/v1/chat/completions', { model: 'auto', messages: msg }, { origin: app });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect(res.headers['access-control-expose-headers']).toContain('x-sluice-cost-usd');
    up.script(() => ({ kind: 'sse', events: chatChunks(['o', 'k']) }));
    const streamed = await sluice.post(
      '/v1/chat/completions',
      { model: 'auto', stream: true, messages: msg },
      { origin: app },
    );
    expect(sseData(streamed.text).at(-1)).toBe('[DONE]');
    expect(streamed.headers['access-control-allow-origin']).toBe(app);
    up.script(() => ({ kind: 'json', body: chatCompletion('ok') }));
  });
  it('gives another origin no CORS headers, and refuses its preflight with 403 origin_not_allowed', async () => {
    const res = await sluice.post(
      '/v1/chat/completions',
      { model: 'auto', messages: msg },
      { origin: 'https://evil.example' },
    );
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await preflight(sluice, 'https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('origin_not_allowed');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS settings', () => {
  it('is off by default: no CORS headers, and a preflight is not answered', async () => {
    const sluice = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
    try {
      const res = await sluice.post('/v1/chat/completions', { model: 'auto', messages: msg }, { origin: app });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect((await preflight(sluice, app)).status).toBe(405); // OPTIONS is not served
    } finally {
      await sluice.close();
    }
  });
  it('allows every origin with *', async () => {
    const sluice = await startTestApp(
      { ...proxyConfig([up.url]), server: { cors: { origins: ['*'] } } },
      { env: { TEST_KEY: 'k' } },
    );
    try {
      const res = await preflight(sluice, 'https://anywhere.example');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await sluice.close();
    }
  });
});
