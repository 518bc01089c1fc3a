// Backends reached through the environment's egress proxy (HTTPS_PROXY / HTTP_PROXY), as in networks whose only
// way out is a corporate proxy. The backend's name exists only behind the proxy (see connect-proxy.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp } from '../helpers/test-app.js';

const backendKey = 'sk-backend-behind-proxy-0001';
const msg = [{ role: 'user', content: 'hi' }];
let up: FakeUpstream;
let proxy: ConnectProxy;
let baseUrl: string;
beforeAll(async () => {
  up = await startFakeUpstream();
  proxy = await startConnectProxy({ credentials: 'sluice:s3cret' });
  baseUrl = `http://llm.internal.test:${new URL(up.url).port}/v1`;
});
afterAll(async () => {
  await proxy.close();
  await up.close();
});

describe('an egress proxy from the environment', () => {
  it('carries JSON and streamed calls through a CONNECT tunnel, with its credentials, and the backend key only to the backend', async () => {
    const env = { TEST_KEY: backendKey, HTTP_PROXY: `http://sluice:s3cret@${new URL(proxy.url).host}` };
    const app = await startTestApp(proxyConfig([baseUrl]), { env });
    try {
      up.script(() => ({ kind: 'json', body: chatCompletion('through the proxy') }));
      const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
      expect(res.status).toBe(200);
      expect(res.json.choices[0].message.content).toBe('through the proxy');
      up.script(() => ({ kind: 'sse', events: chatChunks(['streamed ', 'too']) }));
      const streamed = await app.post('/v1/chat/completions', { model: 'auto', stream: true, messages: msg });
      expect(sseData(streamed.text).at(-1)).toBe('[DONE]');
      expect(proxy.tunnels[0]).toBe(`llm.internal.test:${new URL(up.url).port}`);
      const seen = up.requests.at(-1)!.headers;
      expect(seen.host).toBe(`llm.internal.test:${new URL(up.url).port}`);
      expect(seen.authorization).toBe(`Bearer ${backendKey}`);
      expect(seen['proxy-authorization']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('a proxy refusing the tunnel is a failure to reach the backend (503), never a 500 or a hang', async () => {
    const env = { TEST_KEY: backendKey, HTTP_PROXY: `http://sluice:wrong@${new URL(proxy.url).host}` };
    const app = await startTestApp(proxyConfig([baseUrl]), { env });
    try {
      const res = await app.post('/v1/chat/completions', { model: 'auto', messages: msg });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('no_backend_available');
      expect(app.rawLog()).toContain('the egress proxy refused: Proxy response (407)');
      expect(app.rawLog()).not.toContain('wrong'); // nor the proxy's password
    } finally {
      await app.close();
    }
  });

  it('an HTTP_PROXY that is not a URL is a config problem naming the variable', async () => {
    await expect(
      startTestApp(proxyConfig([baseUrl]), { env: { TEST_KEY: backendKey, HTTP_PROXY: 'http://[not a url' } }),
    ).rejects.toThrow(/backends\[0\]\.baseUrl: its egress proxy HTTP_PROXY is not a URL/);
  });
});
