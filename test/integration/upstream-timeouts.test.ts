// Timeouts, stalls, cut streams, failover and client aborts against a real loopback upstream.
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let a: FakeUpstream;
let b: FakeUpstream;
let app: TestApp;
const timeouts = { connectMs: 500, firstTokenMs: 300, idleMs: 300, totalMs: 2_000 };
beforeAll(async () => {
  a = await startFakeUpstream();
  b = await startFakeUpstream();
  // Breakers off: these tests fail the same backend on purpose and expect it to be tried every time.
  app = await startTestApp(
    { ...proxyConfig([a.url, b.url], { backend: { timeouts } }), health: { enabled: false } },
    { env: { TEST_KEY: 'k' } },
  );
});
afterAll(async () => {
  await app.close();
  await a.close();
  await b.close();
});
afterEach(() => {
  a.requests.length = 0;
  b.requests.length = 0;
});

const msg = [{ role: 'user', content: 'hi' }];

describe('failover inside a tier', () => {
  it('tries the sibling backend after a 5xx and answers from it', async () => {
    a.script(() => ({ kind: 'json', status: 503, body: { error: { message: 'overloaded' } } }));
    b.script(() => ({ kind: 'json', body: chatCompletion('from b') }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('from b');
    expect(res.headers['x-sluice-backend']).toBe('b1');
    expect(res.headers['x-sluice-attempts']).toBe('2');
    expect(res.headers['x-sluice-escalations']).toBe('');
  });

  it('does not fail over a 400 the request caused', async () => {
    a.script(() => ({ kind: 'json', status: 400, body: { error: { message: 'bad' } } }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
    expect(res.status).toBe(400);
    expect(b.requests).toHaveLength(0);
  });
  it('least-busy: sends a request to the backend with the fewest calls in progress', async () => {
    a.script(() => ({ kind: 'json', body: chatCompletion('from a'), delayMs: 1_000 }));
    b.script(() => ({ kind: 'json', body: chatCompletion('from b') }));
    const cfg = proxyConfig([a.url, b.url], { backend: { timeouts } });
    const lb = await startTestApp(
      {
        ...cfg,
        routes: [{ name: 'auto', tiers: [{ backends: ['b0', 'b1'], balance: 'least-busy' }] }],
        health: { enabled: false },
      },
      { env: { TEST_KEY: 'k' } },
    );
    try {
      const slow = lb.post('/v1/chat/completions', { model: 'auto', messages: msg }); // b0, and it stays busy
      await expect.poll(() => a.requests.length).toBe(1);
      const next = [
        await lb.post('/v1/chat/completions', { model: 'auto', messages: msg }),
        await lb.post('/v1/chat/completions', { model: 'auto', messages: msg }),
      ];
      // Round-robin would have sent the third to b0 again; b0 still has one call in progress.
      expect(next.map((r) => r.headers['x-sluice-backend'])).toEqual(['b1', 'b1']);
      expect((await slow).headers['x-sluice-backend']).toBe('b0');
    } finally {
      await lb.close();
    }
  });

  it("round-robin: spreads requests over the tier's backends, still failing over from one that fails", async () => {
    a.script(() => ({ kind: 'json', body: chatCompletion('from a') }));
    b.script(() => ({ kind: 'json', body: chatCompletion('from b') }));
    const cfg = proxyConfig([a.url, b.url], { backend: { timeouts } });
    const rr = await startTestApp(
      {
        ...cfg,
        routes: [{ name: 'auto', tiers: [{ backends: ['b0', 'b1'], balance: 'round-robin' }] }],
        health: { enabled: false },
      },
      { env: { TEST_KEY: 'k' } },
    );
    try {
      const served: string[] = [];
      for (let i = 0; i < 4; i++)
        served.push(
          (await rr.post('/v1/chat/completions', { model: 'auto', messages: msg })).headers['x-sluice-backend']!,
        );
      expect(served).toEqual(['b0', 'b1', 'b0', 'b1']);
      a.script(() => ({ kind: 'json', status: 503, body: { error: { message: 'overloaded' } } }));
      const both = [
        await rr.post('/v1/chat/completions', { model: 'auto', messages: msg }),
        await rr.post('/v1/chat/completions', { model: 'auto', messages: msg }),
      ];
      expect(both.map((r) => [r.status, r.headers['x-sluice-backend']])).toEqual([
        [200, 'b1'],
        [200, 'b1'],
      ]);
      expect(both.map((r) => r.headers['x-sluice-attempts'])).toEqual(['2', '1']); // the first started at a, failed over
    } finally {
      await rr.close();
    }
  });
});

describe('timeouts', () => {
  it('504 when a stream stalls past the first-token timeout on every backend', async () => {
    a.script(() => ({ kind: 'stall' }));
    b.script(() => ({ kind: 'sse', events: chatChunks(['late']), firstDelayMs: 1_000 }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
    expect(res.status).toBe(504);
    expect(res.json.error.code).toBe('upstream_timeout');
  });

  it('fails over when the first backend stalls, before anything reached the client', async () => {
    a.script(() => ({ kind: 'stall' }));
    b.script(() => ({ kind: 'sse', events: chatChunks(['fine']) }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-backend']).toBe('b1');
    expect(sseData(res.text).at(-1)).toBe('[DONE]');
  });
});

describe('streams that break after the first byte', () => {
  it('end with one error event and no [DONE]', async () => {
    a.script(() => ({ kind: 'sse', events: chatChunks(['one ', 'two ', 'three']), cutAfter: 3 }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
    expect(res.status).toBe(200);
    const data = sseData(res.text);
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data.at(-1)!);
    expect(last.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    expect(JSON.parse(data[1]!).choices[0].delta.content).toBe('one ');
    expect(b.requests).toHaveLength(0); // no failover after commit
  });

  it('treat a stream that ends without a finish reason or [DONE] as cut', async () => {
    a.script(() => ({ kind: 'sse', events: chatChunks(['one ', 'two']).slice(0, 3), done: false }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
    const data = sseData(res.text);
    expect(data).not.toContain('[DONE]');
    expect(JSON.parse(data.at(-1)!).error.code).toBe('upstream_error');
  });

  it('end with an error event when the stream goes silent past the idle timeout', async () => {
    a.script(() => ({ kind: 'sse', events: chatChunks(['one ', 'two']), stallAfter: 2 }));
    const res = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
    const data = sseData(res.text);
    expect(JSON.parse(data.at(-1)!).error.code).toBe('upstream_timeout');
  });
});

describe('client abort', () => {
  it('aborts the upstream request at once: the upstream sees its socket close', async () => {
    a.script(() => ({ kind: 'sse', events: chatChunks(Array.from({ length: 50 }, (_, i) => `t${i} `)), delayMs: 50 }));
    const ctl = new AbortController();
    const res = await request(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ctl.signal,
      body: JSON.stringify({ model: 'auto', stream: true, messages: msg }),
    });
    const closed = a.nextSocketClose();
    for await (const chunk of res.body) {
      if (String(chunk).includes('t2 ')) break;
    }
    ctl.abort();
    await closed;
    await expect.poll(() => app.metric('sluice_requests_total', { route: 'auto', outcome: 'client_aborted' })).toBe(1);
    expect(await app.metric('sluice_attempts_total', { outcome: 'aborted' })).toBe(1);
  });

  it('aborts a non-streaming upstream call when the client leaves', async () => {
    a.script(() => ({ kind: 'stall' }));
    const ctl = new AbortController();
    const pending = request(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ctl.signal,
      body: JSON.stringify({ model: 'auto', messages: msg }),
    }).catch(() => undefined);
    await expect.poll(() => a.requests.length).toBe(1);
    const closed = a.nextSocketClose();
    ctl.abort();
    await pending;
    await closed;
    expect(b.requests).toHaveLength(0);
  });
});

describe('client abort while waiting for an upstream connection', () => {
  it('never sends the abandoned request once a connection frees up', async () => {
    const up = await startFakeUpstream();
    const one = await startTestApp(proxyConfig([up.url], { backend: { maxConnections: 1, timeouts } }), {
      env: { TEST_KEY: 'k' },
    });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      up.script(async (req) => {
        if (JSON.stringify(req.body).includes('first')) await held;
        return { kind: 'json', body: chatCompletion('ok') };
      });
      const ask = (content: string, signal?: AbortSignal) =>
        request(`${one.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          ...(signal && { signal }),
          body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }),
        });
      const first = ask('first');
      await expect.poll(() => up.requests.length).toBe(1); // holds the only connection
      const ctl = new AbortController();
      const queued = ask('queued', ctl.signal).catch(() => undefined);
      // In flight inside Sluice means handed to the pool: that happens in the same tick as the gauge moves.
      await expect.poll(() => one.metric('sluice_inflight_requests', { route: 'auto' })).toBe(2);
      ctl.abort();
      await queued;
      await expect
        .poll(() => one.metric('sluice_requests_total', { route: 'auto', outcome: 'client_aborted' }))
        .toBe(1);
      release();
      expect((await first).statusCode).toBe(200);
      expect((await ask('third')).statusCode).toBe(200); // queued behind the abandoned one, so it went first if sent
      expect(up.requests.map((r) => JSON.stringify(r.body).match(/first|queued|third/)?.[0])).toEqual([
        'first',
        'third',
      ]);
    } finally {
      await one.close();
      await up.close();
    }
  });
});

describe('an upstream that sends [DONE] but never ends its body', () => {
  it('answers the client at once, and closes that connection after the idle timeout instead of keeping it', async () => {
    const up = await startFakeUpstream(() => ({
      kind: 'sse',
      events: chatChunks(['all ', 'done']),
      endDelayMs: 10_000,
    }));
    const own = await startTestApp(proxyConfig([up.url], { backend: { timeouts } }), { env: { TEST_KEY: 'k' } });
    try {
      const closed = up.nextSocketClose(); // the only connection this upstream ever gets
      const started = Date.now();
      const res = await own.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
      expect(sseData(res.text).at(-1)).toBe('[DONE]');
      await closed; // idleMs is 300: given up, not held for the 10 s the body takes to end
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await own.close();
      await up.close();
    }
  });
});

describe('idle connections to a backend that closes them without saying when', () => {
  // uvicorn (vLLM, SGLang) and llama.cpp's server drop idle connections after 5 s and send no Keep-Alive hint: a
  // pooled connection kept longer is reused just as it closes, and the request on it is reset. Sluice lets go first.
  it('closes an idle connection after keepAliveMs, and opens a fresh one for the next request', async () => {
    const up = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('ok') }), { keepAliveTimeoutMs: 0 });
    const own = await startTestApp(proxyConfig([up.url], { backend: { keepAliveMs: 200 } }), {
      env: { TEST_KEY: 'k' },
    });
    try {
      const closed = up.nextSocketClose(); // the server never closes it: only Sluice can
      expect((await own.post('/v1/chat/completions', { model: 'auto', messages: msg })).status).toBe(200);
      await closed;
      expect((await own.post('/v1/chat/completions', { model: 'auto', messages: msg })).status).toBe(200);
      expect(up.closedSockets()).toBe(1);
    } finally {
      await own.close();
      await up.close();
    }
  });
});
