// The admin API: keys minted and revoked without a restart, shared by replicas through Redis; spend per tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { redisKey } from '../../src/state/redis-store.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

const admin = 'admin-secret-for-tests-0001';
const hasRedis = await redisAvailable();
const prefix = testPrefix('admin');
let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream(() => ({
    kind: 'json',
    body: chatCompletion('ok', { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
  }));
});
afterAll(async () => {
  await up.close();
  if (hasRedis) await cleanPrefix(prefix);
});

const env = { TEST_KEY: 'k', SLUICE_ADMIN_KEY: admin };
const asAdmin = { authorization: `Bearer ${admin}` };
const chat = (app: TestApp, key: string) =>
  app.post(
    '/v1/chat/completions',
    { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    { authorization: `Bearer ${key}` },
  );
async function mint(app: TestApp, settings: Record<string, unknown>): Promise<{ key: string; sha256: string }> {
  const res = await app.post('/admin/keys', settings, asAdmin);
  expect(res.status).toBe(201);
  return res.json;
}
async function revoke(app: TestApp, sha256: string) {
  const { request } = await import('undici');
  const res = await request(`${app.url}/admin/keys/${sha256}`, { method: 'DELETE', headers: asAdmin });
  return { status: res.statusCode, json: await res.body.json() };
}

describe('admin API', () => {
  it('is off without an admin key', async () => {
    const app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
    expect((await app.post('/admin/keys', { tenant: 't' }, asAdmin)).status).toBe(404);
    await app.close();
  });

  it('refuses with 503 key_store_unavailable, counted, when managed keys cannot be looked up', async () => {
    const dead = { driver: 'redis', url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 };
    const app = await startTestApp({ ...proxyConfig([up.url]), state: dead }, { env });
    const res = await chat(app, 'sk-unknown-to-the-config-0001');
    expect(res.status).toBe(503);
    expect(res.json.error).toMatchObject({ code: 'key_store_unavailable' });
    expect(await app.metric('sluice_state_store_errors_total', { operation: 'key_get' })).toBe(1);
    await app.close();
  });

  it('mints keys that work at once, closes the gateway, and revokes them without a restart', async () => {
    const app = await startTestApp(proxyConfig([up.url]), { env });
    expect((await app.post('/admin/keys', { tenant: 't' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await app.post('/admin/keys', { tenant: 'bad tenant!' }, asAdmin)).status).toBe(400);
    const { key, sha256 } = await mint(app, { tenant: 'team-x', rpm: 100 });
    expect((await chat(app, key)).status).toBe(200);
    expect(
      (await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] })).status,
    ).toBe(401); // no longer open
    expect(await revoke(app, sha256)).toEqual({ status: 200, json: { sha256, revoked: true } });
    await expect.poll(async () => (await chat(app, key)).status, { timeout: 5_000, interval: 250 }).toBe(401);
    expect((await revoke(app, 'f'.repeat(64))).status).toBe(404);
    expect(app.rawLog()).not.toContain(key);
    await app.close();
  });

  it('reports what a tenant spent today and this month', async () => {
    const app = await startTestApp(proxyConfig([up.url]), { env });
    const { key } = await mint(app, { tenant: 'spender', budgetUsd: { perDay: 1, perMonth: 10 } });
    let spentNano = 0;
    for (let i = 0; i < 3; i++)
      spentNano += Math.round(Number((await chat(app, key)).headers['x-sluice-cost-usd']) * 1e9);
    const read = async () =>
      (
        await (await import('undici')).request(`${app.url}/admin/tenants/spender/spend`, { headers: asAdmin })
      ).body.json() as Promise<{ tenant: string; dayUsd: number; monthUsd: number }>;
    await expect.poll(async () => Math.round((await read()).dayUsd * 1e9)).toBe(spentNano); // settlements land after the answers
    expect(Math.round((await read()).monthUsd * 1e9)).toBe(spentNano);
    await app.close();
  });
});

describe.runIf(hasRedis)('admin API across replicas', () => {
  it('a key minted on one replica works on the other; revoked on one, refused on both', async () => {
    const cfg = { ...proxyConfig([up.url]), state: { driver: 'redis', url: redisUrl, prefix } };
    const [a, b] = await Promise.all([startTestApp(cfg, { env }), startTestApp(cfg, { env })]);
    const { key, sha256 } = await mint(a, { tenant: 'shared' });
    expect((await chat(b, key)).status).toBe(200);
    await revoke(a, sha256);
    await expect
      .poll(async () => [(await chat(a, key)).status, (await chat(b, key)).status], { timeout: 5_000, interval: 250 })
      .toEqual([401, 401]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a key record edited by hand into something else refuses with 503 and says why in the log, never a 500, and can still be revoked', async () => {
    const cfg = { ...proxyConfig([up.url]), state: { driver: 'redis', url: redisUrl, prefix } };
    const app = await startTestApp(cfg, { env });
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    const cases: Array<[(sha: string) => string, string]> = [
      [() => 'not json {', 'is not JSON'],
      [() => '{"tenant":"edited"}', 'is invalid at sha256'],
      [() => JSON.stringify({ tenant: 'edited', sha256: 'a'.repeat(64) }), 'names another hash'],
    ];
    for (const [value, why] of cases) {
      const { key, sha256 } = await mint(app, { tenant: 'edited' }); // never used yet: nothing cached
      await redis.set(redisKey(prefix, `keys:${sha256}`), value(sha256));
      const res = await chat(app, key);
      expect(res.status, why).toBe(503);
      expect(res.json.error.code).toBe('key_store_unavailable');
      expect(app.rawLog()).toContain(why);
      // The admin can still revoke it, and then it is refused as revoked (401), not as a store failure.
      expect(await revoke(app, sha256)).toEqual({ status: 200, json: { sha256, revoked: true } });
      expect((await chat(app, key)).status, why).toBe(401);
    }
    redis.disconnect();
    await app.close();
  });
});
