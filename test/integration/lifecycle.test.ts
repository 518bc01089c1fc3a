// Graceful shutdown: in-flight streams finish, /readyz turns 503, new requests are refused with a clean 503.
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatChunks, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(async () => {
  await up.close();
});

it('drains an in-flight stream to [DONE] while refusing new work', async () => {
  const app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
  up.script(() => ({ kind: 'sse', events: chatChunks(Array.from({ length: 10 }, (_, i) => `w${i} `)), delayMs: 30 }));
  const res = await request(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const reader = res.body.text();
  await expect.poll(() => app.sluice.lifecycle.inflightCount).toBe(1);
  const closing = app.close();
  expect(app.sluice.lifecycle.draining).toBe(true);
  const text = await reader;
  await closing;
  const data = sseData(text);
  expect(data.at(-1)).toBe('[DONE]');
  expect(data).toHaveLength(13);
});

it('reports draining on /readyz during the drain delay while still serving', async () => {
  const app = await startTestApp(
    { ...proxyConfig([up.url]), server: { drainDelayMs: 400 } },
    { env: { TEST_KEY: 'k' } },
  );
  up.script(() => ({ kind: 'sse', events: chatChunks(['a ']) }));
  const closing = app.close();
  const ready = await request(`${app.url}/readyz`);
  expect(ready.statusCode).toBe(503);
  expect(await ready.body.json()).toMatchObject({ status: 'draining' });
  const served = await app.post('/v1/chat/completions', {
    model: 'auto',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(served.status).toBe(200);
  await closing;
  await expect(request(`${app.url}/healthz`)).rejects.toThrow();
});

it('finishes the in-flight stream and closes the connection instead of serving a request pipelined after close', async () => {
  const app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
  up.script(() => ({ kind: 'sse', events: chatChunks(['a ', 'b ']), delayMs: 100 }));
  const { hostname, port } = new URL(app.url);
  const socket = connect(Number(port), hostname);
  const body = JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const req = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  let received = '';
  socket.on('data', (d) => {
    received += String(d);
  });
  const ended = new Promise((resolve) => socket.on('close', resolve));
  socket.write(req);
  await expect.poll(() => app.sluice.lifecycle.inflightCount).toBe(1);
  const closing = app.close();
  socket.write(req); // a second request on the same connection, after the listener closed
  await ended;
  await closing;
  expect(received).toContain('data: [DONE]');
  expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1); // one complete answer, then a clean close
});

it("answers a request that races in after close with 503 shutting_down, not fastify's own 503", async () => {
  const app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
  app.sluice.lifecycle.refusing = true; // the state close() sets once the listener is closed
  const res = await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
  expect(res.status).toBe(503);
  expect(res.headers.connection).toBe('close');
  expect(res.json).toEqual({
    error: { message: expect.any(String), type: 'api_error', param: null, code: 'shutting_down' },
  });
  await app.close();
});

it('ends streams still running at the end of the grace with an error event', async () => {
  const app = await startTestApp(
    { ...proxyConfig([up.url]), server: { shutdownGraceMs: 100 } },
    { env: { TEST_KEY: 'k' } },
  );
  up.script(() => ({ kind: 'sse', events: chatChunks(Array.from({ length: 40 }, (_, i) => `w${i} `)), delayMs: 50 }));
  const slow = app.post('/v1/chat/completions', {
    model: 'auto',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  await expect.poll(() => app.sluice.lifecycle.inflightCount).toBe(1);
  await app.close();
  const data = sseData((await slow).text);
  expect(data).not.toContain('[DONE]');
  expect(JSON.parse(data.at(-1)!).error.code).toBe('shutting_down');
});
