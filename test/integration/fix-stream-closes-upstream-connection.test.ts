// Regression: stopping at [DONE] destroyed the upstream body a few bytes before its end, so undici closed the
// connection after every streamed answer (no keep-alive for streams: a new TCP connection per request).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatChunks, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({
    kind: 'sse',
    events: chatChunks(['a ', 'b'], { usage: { prompt_tokens: 3, completion_tokens: 2 } }),
    endDelayMs: 10,
  }));
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
});
afterAll(async () => {
  await app.close();
  await up.close();
});

it('reuses one upstream connection for consecutive streamed answers', async () => {
  for (let i = 0; i < 5; i++) {
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(sseData(res.text).at(-1)).toBe('[DONE]');
  }
  expect(up.requests).toHaveLength(5);
  // The bug closed one connection per answer. (How many stay open varies: the client gets [DONE] at once while
  // the upstream body's end is still on its way, so the next request may open another pooled connection.)
  expect(up.closedSockets()).toBe(0);
});
