// The client's key never goes upstream; backend keys and client keys never reach the log; one summary line per request.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

const backendKey = 'sk-backend-9f8e7d6c5b4a';
const clientKey = 'sk-client-1a2b3c4d5e6f';
let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('The secret answer text') }));
  app = await startTestApp(proxyConfig([up.url], { backend: { headers: { 'x-team': 'search' } } }), {
    env: { TEST_KEY: backendKey },
  });
});
afterAll(async () => {
  await app.close();
  await up.close();
});

it('sends the backend key, never the client key, cookies or hop-by-hop headers', async () => {
  await app.post(
    '/v1/chat/completions',
    { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    {
      authorization: `Bearer ${clientKey}`,
      cookie: 'session=abc',
      'proxy-authorization': 'Basic xyz',
      'x-api-key': clientKey,
      te: 'trailers',
      'openai-organization': 'org-1',
    },
  );
  const h = up.requests[0]!.headers;
  expect(h.authorization).toBe(`Bearer ${backendKey}`);
  expect(h.cookie).toBeUndefined();
  expect(h['proxy-authorization']).toBeUndefined();
  expect(h['x-api-key']).toBeUndefined();
  expect(h['openai-organization']).toBeUndefined();
  expect(h['x-team']).toBe('search');
  expect(JSON.stringify(h)).not.toContain(clientKey);
});

it('logs one summary line per request with the decision trail and no secrets or text', async () => {
  await app.post(
    '/v1/chat/completions',
    { model: 'auto', messages: [{ role: 'user', content: 'a private prompt' }] },
    { authorization: `Bearer ${clientKey}`, 'x-request-id': 'req-log-1' },
  );
  const log = app.rawLog();
  expect(log).not.toContain(backendKey);
  expect(log).not.toContain(clientKey);
  expect(log).not.toContain('a private prompt');
  expect(log).not.toContain('The secret answer text');
  const lines = app.logs.filter((l) => l.reqId === 'req-log-1');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    msg: 'request',
    route: 'auto',
    outcome: 'ok',
    status: 200,
    backend: 'b0',
    profile: { size: 'small' },
    plan: { tiers: [0], skipped: [] },
    attempts: [{ tier: 0, backend: 'b0', outcome: 'accepted', in: 10, out: 5 }],
    costUsd: '0.000020000',
  });
  expect(lines[0]!.durationMs).toEqual(expect.any(Number));
  expect(lines[0]!.overheadMs).toEqual(expect.any(Number));
});

it('never logs or passes on the key even when an upstream error echoes request headers', async () => {
  up.script((req) => ({
    kind: 'json',
    status: 500,
    body: { error: { message: `bad auth ${String(req.headers.authorization)}` } },
  }));
  const res = await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'x' }] });
  expect(res.status).toBe(502);
  // The 5xx message names the failure kind, not the upstream's body.
  expect(res.text).not.toContain(backendKey);
  expect(app.rawLog()).not.toContain(backendKey);
  expect(app.rawLog()).toContain('bad auth Bearer [redacted]'); // the rest of the backend's words are logged
  // A 4xx the request caused is passed on to the client with the backend's message: never with its key.
  up.script((req) => ({
    kind: 'json',
    status: 400,
    body: { error: { message: `bad request from ${String(req.headers.authorization)}` } },
  }));
  const rejected = await app.post('/v1/chat/completions', {
    model: 'auto',
    messages: [{ role: 'user', content: 'x' }],
  });
  expect(rejected.status).toBe(400);
  expect(rejected.json.error.message).toBe('bad request from Bearer [redacted]');
  expect(app.rawLog()).not.toContain(backendKey);
});
