// SIGHUP reload: a valid file swaps the config atomically (in-flight requests finish on the old one); an invalid
// file is refused, counted and logged, and the old config keeps serving.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reloadFromFile } from '../../src/server.js';
import { chatChunks, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
const file = join(mkdtempSync(join(tmpdir(), 'sluice-reload-')), 'sluice.yaml');
beforeAll(async () => {
  up = await startFakeUpstream(() => ({ kind: 'sse', events: chatChunks(['a ', 'b ', 'c']), delayMs: 40 }));
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
});
afterAll(async () => {
  await app.close();
  await up.close();
});

it('serves the new config at once and lets an in-flight stream finish on the old one', async () => {
  const inflight = app.post('/v1/chat/completions', {
    model: 'auto',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  await expect.poll(() => app.sluice.lifecycle.inflightCount).toBe(1);
  writeFileSync(
    file,
    `backends:\n  - { id: m, protocol: mock, model: mock-1, mock: { latencyMs: 0, tokensPerSecond: 0 } }\nroutes:\n  - { name: fresh, tiers: [{ backends: [m] }] }\n`,
  );
  expect(reloadFromFile(app.sluice, file)).toBe(true);
  expect(
    (await app.post('/v1/chat/completions', { model: 'fresh', messages: [{ role: 'user', content: 'hi' }] })).status,
  ).toBe(200);
  expect(
    (await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] })).status,
  ).toBe(404);
  expect(sseData((await inflight).text).at(-1)).toBe('[DONE]');
  expect(await app.metric('sluice_config_reloads_total', { result: 'ok' })).toBe(1);
});

it('refuses an invalid file, keeps serving the old config, and says why', async () => {
  writeFileSync(file, 'routes: [{ name: broken, tiers: [{ backends: [nowhere] }] }]\n');
  expect(reloadFromFile(app.sluice, file)).toBe(false);
  expect(
    (await app.post('/v1/chat/completions', { model: 'fresh', messages: [{ role: 'user', content: 'hi' }] })).status,
  ).toBe(200);
  expect(await app.metric('sluice_config_reloads_total', { result: 'error' })).toBe(1);
  const line = app.logs.find((l) => l.msg === 'config reload failed; keeping the old config');
  expect(line?.problems).toEqual(expect.arrayContaining([expect.stringContaining('backends')]));
});
