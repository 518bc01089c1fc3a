// Every error status Sluice produces, in the OpenAI error shape, through the HTTP API.
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../src/errors/catalogue.js';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('ok') }));
  app = await startTestApp(
    {
      ...proxyConfig([up.url], { backend: { contextWindow: 1000 } }),
      server: { bodyLimitBytes: 64 * 1024, requestTimeoutMs: 300 },
    },
    { env: { TEST_KEY: 'k' } },
  );
});
afterAll(async () => {
  await app.close();
  await up.close();
});

/** The attempts of the last request's summary log line. */
function lastAttempts(
  target: TestApp,
): Array<{ backend: string; outcome: string; in: number; status?: number; error?: string }> {
  return (target.logs.filter((l) => l.msg === 'request').pop() as { attempts: ReturnType<typeof lastAttempts> })
    .attempts;
}

function expectOpenAIError(
  res: { status: number; json: any; headers: Record<string, string> },
  status: number,
  code: string,
  param: string | null = null,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toContain('application/json');
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(res.json.error).toEqual({
    message: expect.any(String),
    type: errorCatalogue[code as keyof typeof errorCatalogue].type,
    param,
    code,
  });
  expect(res.json.error.message.length).toBeGreaterThan(5);
}

const msg = [{ role: 'user', content: 'hi' }];

/** Writes raw bytes on a fresh connection; resolves with everything the server sent until it closed. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let got = '';
    socket.on('data', (d) => {
      got += d;
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

function parseRaw(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const headers = Object.fromEntries(
    head!
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(head!.split(' ')[1]), headers, json: JSON.parse(body!) };
}

describe('connections that never become a request', () => {
  it('408 request_timeout, then close, for a body that stops arriving', async () => {
    const raw = await rawExchange(
      app.url,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":',
    );
    expectOpenAIError(parseRaw(raw), 408, 'request_timeout');
  });
  it('431 headers_too_large for oversized headers, 400 for bytes that are not HTTP; each counted', async () => {
    const before = (await app.metric('sluice_requests_total', { route: '_unrouted', outcome: 'rejected' })) ?? 0;
    const big = await rawExchange(app.url, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectOpenAIError(parseRaw(big), 431, 'headers_too_large');
    expect(parseRaw(big).headers['x-should-retry']).toBe('false');
    expectOpenAIError(parseRaw(await rawExchange(app.url, 'HELLO THERE\r\n\r\n')), 400, 'invalid_request');
    expect(await app.metric('sluice_requests_total', { route: '_unrouted', outcome: 'rejected' })).toBe(before + 2);
  });
});

describe('invalid requests', () => {
  it('400 invalid_json for a body that is not JSON', async () => {
    expectOpenAIError(await app.post('/v1/chat/completions', '{"model": "auto", '), 400, 'invalid_json');
  });
  it('400 for a non-JSON content type', async () => {
    const res = await app.post('/v1/chat/completions', 'model=auto', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectOpenAIError(res, 400, 'invalid_json');
  });
  it('400 naming content-encoding for a compressed body, instead of calling it bad JSON', async () => {
    const res = await request(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ model: 'auto', messages: msg })),
    });
    const json = (await res.body.json()) as any;
    expectOpenAIError(
      { status: res.statusCode, json, headers: res.headers as Record<string, string> },
      400,
      'invalid_request',
      'content-encoding',
    );
    expect(json.error.message).toContain('gzip');
  });
  it('400 for a JSON array body', async () => {
    expectOpenAIError(await app.post('/v1/chat/completions', '[1,2]'), 400, 'invalid_request');
  });
  it('400 with param for a missing model', async () => {
    const res = await app.post('/v1/chat/completions', { messages: msg });
    expectOpenAIError(res, 400, 'invalid_request', 'model');
    expect(res.json.error.message).toBe("Missing required parameter: 'model'.");
  });
  it('400 with param for empty messages', async () => {
    expectOpenAIError(
      await app.post('/v1/chat/completions', { model: 'auto', messages: [] }),
      400,
      'invalid_request',
      'messages',
    );
  });
  it('400 with param for a wrong type deep inside', async () => {
    expectOpenAIError(
      await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'wizard', content: 'x' }] }),
      400,
      'invalid_request',
      'messages[0].role',
    );
    expectOpenAIError(
      await app.post('/v1/chat/completions', { model: 'auto', messages: msg, temperature: 'hot' }),
      400,
      'invalid_request',
      'temperature',
    );
    expectOpenAIError(
      await app.post('/v1/chat/completions', { model: 'auto', messages: msg, stream: 'yes' }),
      400,
      'invalid_request',
      'stream',
    );
  });
  it('404 model_not_found for an unknown model', async () => {
    const res = await app.post('/v1/chat/completions', { model: 'gpt-17', messages: msg });
    expectOpenAIError(res, 404, 'model_not_found', 'model');
    expect(res.headers['x-should-retry']).toBe('false');
  });
  it('404 for an unknown path', async () => {
    const res = await request(`${app.url}/v1/nope`, { method: 'GET' });
    const json = (await res.body.json()) as any;
    expect(res.statusCode).toBe(404);
    expect(json.error.code).toBe('not_found');
  });
  it('405 with allow for a path served for other methods', async () => {
    const res = await request(`${app.url}/v1/chat/completions`, { method: 'GET' });
    const json = (await res.body.json()) as any;
    expect(res.statusCode).toBe(405);
    expect(json.error.code).toBe('method_not_allowed');
    expect(res.headers.allow).toBe('POST');
    const put = await request(`${app.url}/v1/models/auto`, { method: 'PUT' });
    await put.body.text();
    expect(put.statusCode).toBe(405);
    expect(String(put.headers.allow)).toContain('GET');
  });
  it('404 for an OpenAI API Sluice does not serve, listing those it does', async () => {
    const res = await app.post('/v1/assistants', { model: 'auto' });
    expectOpenAIError(res, 404, 'not_found');
    expect(res.json.error.message).toContain('/v1/chat/completions');
    expect(res.json.error.message).toContain('/v1/responses');
  });
  it('413 for a body over the limit', async () => {
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }],
    });
    expectOpenAIError(res, 413, 'request_too_large');
  });
  it('400 context_length_exceeded when no tier can hold prompt + output', async () => {
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg, max_tokens: 5000 });
    expectOpenAIError(res, 400, 'context_length_exceeded', 'messages');
  });
  it('sends nothing upstream for rejected requests and accounts them', async () => {
    const before = up.requests.length;
    await app.post('/v1/chat/completions', { model: 'auto', messages: [] });
    expect(up.requests.length).toBe(before);
    expect(await app.metric('sluice_requests_total', { route: '_unrouted', outcome: 'rejected' })).toBeGreaterThan(0);
    expect(await app.metric('sluice_requests_total', { route: 'auto', outcome: 'rejected' })).toBeGreaterThan(0); // context_length_exceeded
  });
});

describe('upstream failures', () => {
  it('passes a 4xx caused by the request through with the upstream message and param', async () => {
    up.script(() => ({
      kind: 'json',
      status: 400,
      body: {
        error: {
          message: "Invalid 'top_logprobs': too large.",
          type: 'invalid_request_error',
          param: 'top_logprobs',
          code: null,
        },
      },
    }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expectOpenAIError(res, 400, 'upstream_rejected', 'top_logprobs');
    expect(res.json.error.message).toBe("Invalid 'top_logprobs': too large.");
  });
  it("maps an upstream 401 (our key, not the client's) to 502; the backend's words go to the log, not the client", async () => {
    up.script(() => ({
      kind: 'json',
      status: 401,
      body: { error: { message: 'Incorrect API key provided: sk-****abcd' } },
    }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expectOpenAIError(res, 502, 'upstream_error');
    expect(res.json.error.message).not.toContain('Incorrect');
    expect(lastAttempts(app)[0]).toMatchObject({
      status: 401,
      error: 'upstream answered 401: Incorrect API key provided: sk-****abcd',
    });
  });
  it('502 for a redirect, which is not followed; the log says where it pointed', async () => {
    up.script(() => ({
      kind: 'json',
      status: 301,
      headers: { location: 'https://elsewhere.example/v1/chat/completions' },
      body: '',
    }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expectOpenAIError(res, 502, 'upstream_error');
    expect(res.json.error.message).not.toContain('elsewhere');
    expect(lastAttempts(app)[0]!.error).toContain('redirected to https://elsewhere.example/v1/chat/completions');
    expect(up.requests.filter((r) => r.path.includes('elsewhere'))).toEqual([]);
  });
  it('502 for a 5xx', async () => {
    up.script(() => ({ kind: 'json', status: 500, body: { error: { message: 'boom' } } }));
    expectOpenAIError(await app.post('/v1/chat/completions', { model: 'auto', messages: msg }), 502, 'upstream_error');
  });
  it('502 for an answer that is not JSON', async () => {
    up.script(() => ({ kind: 'json', body: '<html>gateway</html>' }));
    expectOpenAIError(await app.post('/v1/chat/completions', { model: 'auto', messages: msg }), 502, 'upstream_error');
  });
  it('reads a 200 carrying an error object instead of an answer as the failure it is, by its numeric code when given', async () => {
    up.script(() => ({ kind: 'json', body: { error: { message: 'Rate limit exceeded: slow down', code: 429 } } }));
    expectOpenAIError(
      await app.post('/v1/chat/completions', { model: 'auto', messages: msg }),
      429,
      'upstream_rate_limited',
    );
    up.script(() => ({
      kind: 'json',
      body: { error: { message: 'the model crashed', type: 'server_error', code: 'internal' } },
    }));
    expectOpenAIError(await app.post('/v1/chat/completions', { model: 'auto', messages: msg }), 502, 'upstream_error');
    expect(lastAttempts(app)[0]!.error).toContain('the model crashed');
  });
  it('502 for a connection reset', async () => {
    up.script(() => ({ kind: 'reset' }));
    expectOpenAIError(await app.post('/v1/chat/completions', { model: 'auto', messages: msg }), 502, 'upstream_error');
  });
  it('429 with the upstream retry-after', async () => {
    up.script(() => ({
      kind: 'json',
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'slow down' } },
    }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expectOpenAIError(res, 429, 'upstream_rate_limited');
    expect(res.headers['retry-after']).toBe('7');
  });
  it('503 when the backend cannot be reached', async () => {
    const dead = await startTestApp(proxyConfig(['http://127.0.0.1:1/v1']), { env: { TEST_KEY: 'k' } });
    const res = await dead.post('/v1/chat/completions', { model: 'auto', messages: msg });
    await dead.close();
    expectOpenAIError(res, 503, 'no_backend_available');
  });
});

describe('upstream failures on a streamed request (before anything reached the client)', () => {
  const ask = () => app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
  it('passes a 4xx through with the upstream message and param', async () => {
    up.script(() => ({
      kind: 'json',
      status: 400,
      body: { error: { message: "Invalid 'stop': too many.", param: 'stop' } },
    }));
    const res = await ask();
    expectOpenAIError(res, 400, 'upstream_rejected', 'stop');
    expect(res.json.error.message).toBe("Invalid 'stop': too many.");
  });
  it('429 with the upstream retry-after', async () => {
    up.script(() => ({
      kind: 'json',
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: { message: 'slow down' } },
    }));
    const res = await ask();
    expectOpenAIError(res, 429, 'upstream_rate_limited');
    expect(res.headers['retry-after']).toBe('3');
  });
  it('502 for a 5xx whose error body is far over the 64 KB kept; the rest is not read, the connection is closed', async () => {
    up.script(() => ({ kind: 'json', status: 503, body: { error: { message: 'x'.repeat(300_000) } } }));
    const closed = up.nextSocketClose();
    expectOpenAIError(await ask(), 502, 'upstream_error');
    await closed;
  });
  it('reads a 200 error object where an event stream was asked for as the failure it is', async () => {
    up.script(() => ({ kind: 'json', body: { error: { message: 'Rate limit exceeded', code: 429 } } }));
    expectOpenAIError(await ask(), 429, 'upstream_rate_limited');
  });
  it('502 for a JSON answer where an event stream was asked for, and the connection is kept', async () => {
    const before = up.closedSockets();
    up.script(() => ({ kind: 'json', body: chatCompletion('not a stream') }));
    expectOpenAIError(await ask(), 502, 'upstream_error');
    up.script(() => ({ kind: 'json', body: chatCompletion('ok') }));
    expect((await app.post('/v1/chat/completions', { model: 'auto', messages: msg })).status).toBe(200);
    expect(up.closedSockets()).toBe(before);
  });
});

describe("an answer larger than the backend's maxAnswerBytes", () => {
  // A runaway backend (or one asked for far too much) must not take the gateway's memory: past the limit the
  // answer is dropped, the connection closed, and the next backend tried.
  const limit = 256 * 1024;
  const huge = 'x'.repeat(2 * limit);
  let big: FakeUpstream;
  let good: FakeUpstream;
  let two: TestApp;
  beforeAll(async () => {
    big = await startFakeUpstream();
    good = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('fine') }));
    // One failure would open a circuit: an answer over Sluice's own limit must not count as one.
    const cfg = {
      ...proxyConfig([big.url, good.url], { backend: { maxAnswerBytes: limit } }),
      health: { consecutiveFailures: 1 },
    };
    two = await startTestApp(cfg, { env: { TEST_KEY: 'k' } });
  });
  afterAll(async () => {
    await two.close();
    await big.close();
    await good.close();
  });
  const ask = (target: TestApp, stream: boolean) =>
    target.post('/v1/chat/completions', { model: 'auto', messages: msg, ...(stream && { stream: true }) });

  it('fails over from a whole body past the limit, closing its connection', async () => {
    big.script(() => ({ kind: 'json', body: chatCompletion(huge) }));
    const closed = big.nextSocketClose();
    const res = await ask(two, false);
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('fine');
    expect(res.headers['x-sluice-attempts']).toBe('2');
    await closed;
    expect(await two.metric('sluice_backend_up', { backend: 'b0' })).toBe(1);
    // The dropped attempt is still paid: the backend read the prompt.
    const [dropped] = lastAttempts(two);
    expect(dropped).toMatchObject({
      backend: 'b0',
      outcome: 'failed',
      error: expect.stringContaining('maxAnswerBytes'),
    });
    expect(dropped!.in).toBeGreaterThan(0);
  });
  it('fails over from a stream past the limit before anything reached the client', async () => {
    big.script(() => ({ kind: 'sse', events: chatChunks([huge]) }));
    good.script(() => ({ kind: 'sse', events: chatChunks(['fine']) }));
    const closed = big.nextSocketClose();
    const res = await ask(two, true);
    expect(res.status).toBe(200);
    expect(sseData(res.text).slice(-1)).toEqual(['[DONE]']);
    expect(res.headers['x-sluice-backend']).toBe('b1');
    await closed;
  });
  it('502 naming the limit when no other backend can answer; a stream past it after the first byte ends with an error event', async () => {
    const one = await startTestApp(proxyConfig([big.url], { backend: { maxAnswerBytes: limit } }), {
      env: { TEST_KEY: 'k' },
    });
    big.script(() => ({ kind: 'json', body: chatCompletion(huge) }));
    const res = await ask(one, false);
    expectOpenAIError(res, 502, 'upstream_error');
    expect(res.json.error.message).toContain('maxAnswerBytes');
    // Many small events: the answer is already flowing to the client when it passes the limit.
    big.script(() => ({ kind: 'sse', events: chatChunks(Array.from({ length: 400 }, () => 'y'.repeat(1024))) }));
    const streamed = await ask(one, true);
    expect(streamed.status).toBe(200);
    const events = sseData(streamed.text);
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events[events.length - 1]!).error.message).toContain('maxAnswerBytes');
    await one.close();
  });
});

describe('the error catalogue', () => {
  it('documents every code in the README', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(errorCatalogue)) expect(readme, `README documents ${code}`).toContain(`\`${code}\``);
  });
});
