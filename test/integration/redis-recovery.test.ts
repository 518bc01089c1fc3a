// Redis stopped mid-traffic: limits fall back to the per-replica share at once (no hang), the switch is logged
// once each way, and shared limits return when Redis does. Uses a Redis server of its own, on its own port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { hashKey } from '../../src/tenants/key-registry.js';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { redisAvailable } from '../helpers/redis.js';
import { proxyConfig, startTestApp } from '../helpers/test-app.js';

const hasRedis = await redisAvailable(); // redis-server is installed where the shared one runs
let up: FakeUpstream;
let port: number;
let server: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const ping = async () => {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return await probe.ping();
    } catch {
      return 'down';
    } finally {
      probe.disconnect();
    }
  };
  await expect.poll(ping, { timeout: 5_000 }).toBe('PONG');
}
async function stopRedis(): Promise<void> {
  const s = server!;
  await new Promise((resolve) => {
    s.once('exit', resolve);
    s.kill('SIGKILL');
  });
}

beforeAll(async () => {
  up = await startFakeUpstream(() => ({ kind: 'json', body: chatCompletion('ok') }));
  port = await freePort();
});
afterAll(async () => {
  await up.close();
  if (server && server.exitCode === null) await stopRedis();
});

it.runIf(hasRedis)(
  'falls back when Redis stops and recovers when it returns',
  async () => {
    await startRedis();
    const key = 'sk-recovery-team-01';
    const app = await startTestApp(
      {
        ...proxyConfig([up.url]),
        state: {
          driver: 'redis',
          url: `redis://127.0.0.1:${port}`,
          prefix: 'recovery:',
          replicas: 2,
          commandTimeoutMs: 100,
        },
        // A limit too small to lease ahead (1 % of it is under one request): every request asks Redis.
        keys: [{ tenant: 'team', sha256: hashKey(key), rpm: 60 }],
      },
      { env: { TEST_KEY: 'k' } },
    );
    const ask = () =>
      app.post(
        '/v1/chat/completions',
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${key}` },
      );

    expect((await ask()).headers['x-ratelimit-remaining-requests']).toBe('59'); // shared limit
    await stopRedis();
    const during = await ask();
    expect(during.status).toBe(200);
    expect(during.headers['x-ratelimit-remaining-requests']).toBe('29'); // this replica's half
    expect((await app.sluice.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ mode: 'degraded' });

    await startRedis();
    await expect
      .poll(async () => (await ask()).headers['x-ratelimit-remaining-requests'], { timeout: 10_000 })
      .toBe('58');
    const messages = app.logs.map((l) => l.msg);
    expect(messages.filter((m) => String(m).startsWith('state store unreachable'))).toHaveLength(1);
    expect(messages.filter((m) => String(m).startsWith('state store reachable again'))).toHaveLength(1);
    expect(await app.metric('sluice_state_store_errors_total', { operation: 'tenant_admit' })).toBeGreaterThanOrEqual(
      1,
    );
    await app.close();
  },
  20_000,
);
