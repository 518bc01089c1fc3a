// Quality targets through HTTP: shadow calls after the client's answer, agreement, the estimate, the self-set
// threshold (cold start on the strongest tier, then the cheap start once the evidence allows), the shadow budget,
// shadow failures that never reach the client, the agreement judge, and the shadow log.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/config/load-config.js';
import { runCli } from '../../src/cli/run-cli.js';
import {
  chatChunks,
  chatCompletion,
  startFakeUpstream,
  type FakeUpstream,
  type Received,
} from '../helpers/fake-upstream.js';
import { cleanPrefix, redisAvailable, redisUrl, testPrefix } from '../helpers/redis.js';
import { sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

const hasRedis = await redisAvailable();
let cheap: FakeUpstream, strong: FakeUpstream, judge: FakeUpstream;
let app: TestApp | undefined;
const prefixes: string[] = [];

beforeAll(async () => {
  [cheap, strong, judge] = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  cheap.requests.length = 0;
  strong.requests.length = 0;
  judge.requests.length = 0;
});
afterAll(async () => {
  await Promise.all([cheap.close(), strong.close(), judge.close()]);
  for (const p of prefixes) await cleanPrefix(p);
});

const usage = { prompt_tokens: 20, completion_tokens: 10 };
const answer = (text: string) => () => ({ kind: 'json' as const, body: chatCompletion(text, { usage }) });

function config(quality: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const backend = (id: string, url: string, price: number) => ({
    id,
    protocol: 'openai',
    baseUrl: url,
    model: `${id}-model`,
    apiKeyEnv: 'TEST_KEY',
    pricing: { inputPerMTok: price, outputPerMTok: price * 4 },
  });
  return {
    backends: [backend('cheap', cheap.url, 0.1), backend('strong', strong.url, 2.5), backend('judge', judge.url, 0.1)],
    routes: [
      {
        name: 'support',
        tiers: [{ backends: ['cheap'] }, { backends: ['strong'] }],
        quality: { target: 0.8, shadowRate: 1, maxShadowUsdPerDay: 5, minSamples: 10, refreshMs: 0, ...quality },
      },
    ],
    ...extra,
  };
}

const ask = (a: TestApp, content = 'What is 6 times 7?', extra: Record<string, unknown> = {}) =>
  a.post('/v1/chat/completions', { model: 'support', messages: [{ role: 'user', content }], max_tokens: 50, ...extra });

async function traffic(a: TestApp, n: number): Promise<string[]> {
  const tiers: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await ask(a);
    expect(res.status).toBe(200);
    tiers.push(res.headers['x-sluice-tier']!);
    await a.sluice.quality.idle();
  }
  return tiers;
}

describe('shadow sampling and the self-set threshold', () => {
  it('starts on the strongest tier, shadows the cheapest, and starts cheap once the cheap tier is seen to agree', async () => {
    cheap.script(answer('The answer is 42.'));
    strong.script(answer('6 x 7 = 42, so the answer is 42.'));
    app = await startTestApp(config({}), { env: { TEST_KEY: 'k' } });
    const first = await ask(app);
    // Cold start errs toward quality: the client gets the strong answer, unchanged; the shadow call comes after.
    expect(first.headers['x-sluice-tier']).toBe('1');
    expect(first.json.choices[0].message.content).toBe('6 x 7 = 42, so the answer is 42.');
    await app.sluice.quality.idle();
    expect(cheap.requests).toHaveLength(1);
    expect(cheap.requests[0]!.body.stream).toBe(false);
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'agree' })).toBe(1);
    expect(await app.metric('sluice_shadow_cost_usd_total', { route: 'support' })).toBeCloseTo(
      (20 * 0.1 + 10 * 0.4) / 1e6,
      12,
    );
    const tiers = await traffic(app, 40);
    expect(tiers.slice(0, 8).every((t) => t === '1')).toBe(true);
    expect(tiers.slice(-10).every((t) => t === '0')).toBe(true);
    // Served cheap now: the shadow goes to the strongest tier, and the estimate holds.
    expect(await app.metric('sluice_quality_estimate', { route: 'support' })).toBe(1);
    expect(await app.metric('sluice_quality_target', { route: 'support' })).toBe(0.8);
    expect(await app.metric('sluice_quality_max_difficulty', { route: 'support' })).toBeGreaterThan(0);
    expect(strong.requests.at(-1)!.body.stream).toBe(false);
    const changes = app.logs.filter((l) => l.msg === 'quality threshold changed');
    expect(changes.at(-1)).toMatchObject({
      route: 'support',
      coldStart: false,
      threshold: { old: 'cold_start' },
      evidence: { target: 0.8 },
    });
    // The saving the route reports is the cascade's; shadow spend is counted apart.
    expect(await app.metric('sluice_cost_usd_total', { route: 'support', backend: 'cheap' })).toBeGreaterThan(0);
  });

  it('follows traffic that changes: when the cheap tier starts to disagree, requests go back to the strongest', async () => {
    let cheapRight = true;
    cheap.script(() => answer(cheapRight ? 'The answer is 42.' : 'The answer is 41.')());
    strong.script(answer('The answer is 42.'));
    app = await startTestApp(config({ window: 20 }), { env: { TEST_KEY: 'k' } });
    expect((await traffic(app, 30)).slice(-5)).toEqual(['0', '0', '0', '0', '0']);
    cheapRight = false;
    const after = await traffic(app, 30);
    expect(after.slice(-5)).toEqual(['1', '1', '1', '1', '1']);
    expect(app.logs.filter((l) => l.msg === 'quality threshold changed').at(-1)).toMatchObject({
      coldStart: false,
      maxDifficulty: 0,
    });
  });

  it('stays on the strongest tier while the cheap tier disagrees', async () => {
    cheap.script(answer('The answer is 41.'));
    strong.script(answer('The answer is 42.'));
    app = await startTestApp(config({}), { env: { TEST_KEY: 'k' } });
    const tiers = await traffic(app, 30);
    expect(tiers.every((t) => t === '1')).toBe(true);
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'disagree' })).toBe(30);
    // Served by the strongest tier, every delivered answer counts as matching.
    expect(await app.metric('sluice_quality_estimate', { route: 'support' })).toBe(1);
  });

  it('counts a cheap answer its judge would escalate as matching (the cascade would have moved on)', async () => {
    cheap.script(answer(''));
    strong.script(answer('The answer is 42.'));
    app = await startTestApp(config({}), { env: { TEST_KEY: 'k' } });
    await traffic(app, 12);
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'agree' })).toBe(12);
  });

  it('samples only shadowRate of the requests', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    let i = 0;
    app = await startTestApp(config({ shadowRate: 0.25 }), {
      env: { TEST_KEY: 'k' },
      random: () => [0.1, 0.5, 0.9, 0.3][i++ % 4]!,
    });
    await traffic(app, 20);
    expect(cheap.requests).toHaveLength(5);
  });
});

describe('shadow failures never reach the client', () => {
  it('a reset, an error status or a stall past the shadow timeout is an error outcome; the answers are unchanged', async () => {
    strong.script(answer('The answer is 42.'));
    const replies = [
      { kind: 'reset' as const },
      { kind: 'json' as const, status: 500, body: { error: { message: 'boom' } } },
      { kind: 'stall' as const },
    ];
    cheap.script((_req: Received, n: number) => replies[(n - 1) % 3]!);
    app = await startTestApp(config({ timeoutMs: 300 }), { env: { TEST_KEY: 'k' } });
    for (let i = 0; i < 3; i++) {
      const res = await ask(app);
      expect(res.status).toBe(200);
      expect(res.json.choices[0].message.content).toBe('The answer is 42.');
    }
    await app.sluice.quality.idle();
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'error' })).toBe(3);
    expect(await app.metric('sluice_requests_total', { route: 'support', outcome: 'ok' })).toBe(3);
    expect(app.logs.filter((l) => l.msg === 'shadow call failed')).toHaveLength(3);
  });

  it('stops at the daily shadow budget, says so once, and serves on', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    // A call reserves its worst case (50 output tokens at 0.4 per MTok: about 2.1e-5 USD) and settles to what it
    // cost (6e-6): a budget of 5e-5 lets a few through, then stops them.
    app = await startTestApp(config({ maxShadowUsdPerDay: 0.00005, minSamples: 100 }), { env: { TEST_KEY: 'k' } });
    const tiers = await traffic(app, 12);
    expect(tiers.every((t) => t === '1')).toBe(true);
    const calls = cheap.requests.length;
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThan(8);
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'skipped_budget' })).toBe(
      12 - calls,
    );
    expect(app.logs.filter((l) => String(l.msg).startsWith('shadow budget for the day spent'))).toHaveLength(1);
    expect(await app.metric('sluice_shadow_cost_usd_total', { route: 'support' })).toBeLessThanOrEqual(0.00005);
  });
});

describe('agreement', () => {
  it('asks the judge backend when the answers cannot be compared, in random order, and prices it as shadow spend', async () => {
    cheap.script(answer('Paris is the capital of France.'));
    strong.script(answer('It is Paris.'));
    judge.script(answer('SAME'));
    app = await startTestApp(config({ judge: 'judge' }), { env: { TEST_KEY: 'k' } });
    await traffic(app, 2);
    expect(judge.requests).toHaveLength(2);
    const sent = judge.requests[0]!.body as { messages: Array<{ content: string }>; max_tokens: number };
    expect(sent.messages[0]!.content).toMatch(/Reply with one word: SAME/);
    expect(sent.messages[1]!.content).toMatch(
      /Answer 1:\n(Paris is the capital of France\.|It is Paris\.)\n\nAnswer 2:/,
    );
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'agree' })).toBe(2);
    // Two shadow calls and two judge calls, 20 in and 10 out each at the same prices.
    expect(await app.metric('sluice_shadow_cost_usd_total', { route: 'support' })).toBeCloseTo(
      (4 * (20 * 0.1 + 10 * 0.4)) / 1e6,
      12,
    );
  });

  it('leaves them undecided without a judge', async () => {
    cheap.script(answer('Paris is the capital of France.'));
    strong.script(answer('It is Paris.'));
    app = await startTestApp(config({}), { env: { TEST_KEY: 'k' } });
    await traffic(app, 2);
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'undecided' })).toBe(2);
  });

  it('compares what a streaming client got', async () => {
    cheap.script(answer('The answer is 42.'));
    strong.script(() => ({ kind: 'sse', events: chatChunks(['The answer ', 'is 42.'], { usage }) }));
    app = await startTestApp(config({}), { env: { TEST_KEY: 'k' } });
    const res = await ask(app, 'What is 6 times 7?', { stream: true });
    expect(sseData(res.text).at(-1)).toBe('[DONE]');
    await app.sluice.quality.idle();
    expect(await app.metric('sluice_shadow_requests_total', { route: 'support', outcome: 'agree' })).toBe(1);
  });
});

describe('the shadow log', () => {
  it('writes features and outcomes (prompts only with storePrompts) and restores the evidence after a restart', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    const dir = mkdtempSync(join(tmpdir(), 'sluice-shadow-'));
    const log = join(dir, 'shadow.jsonl');
    app = await startTestApp(config({ log }), { env: { TEST_KEY: 'k' } });
    await traffic(app, 12);
    await app.close();
    app = undefined;
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatchObject({
      route: 'support',
      outcome: 'agree',
      start_tier: 1,
      shadow_tier: 0,
      cheap_ok: true,
      strong_ok: true,
      features: { dense: expect.any(Array) },
    });
    expect(lines[0]).not.toHaveProperty('messages');
    expect(readFileSync(log, 'utf8')).not.toContain('6 times 7');
    // A new process on the memory store starts from the logged evidence: past the cold start at once.
    app = await startTestApp(config({ log }), { env: { TEST_KEY: 'k' } });
    await app.sluice.quality.idle();
    expect((await ask(app)).headers['x-sluice-tier']).toBe('0');
  });

  it('is what sluice train-difficulty and sluice calibrate learn from', async () => {
    // The cheap tier gets the arithmetic wrong and the greetings right.
    cheap.script((req) =>
      answer(JSON.stringify(req.body.messages).includes('times') ? 'The answer is 41.' : 'Hello there')(),
    );
    strong.script((req) =>
      answer(JSON.stringify(req.body.messages).includes('times') ? 'The answer is 42.' : 'Hello there')(),
    );
    const dir = mkdtempSync(join(tmpdir(), 'sluice-shadow-'));
    const log = join(dir, 'shadow.jsonl');
    app = await startTestApp(config({ log, minSamples: 1_000, window: 2_000 }), { env: { TEST_KEY: 'k' } });
    for (let i = 0; i < 40; i++) {
      await ask(app, i % 2 ? `What is ${i} times 7?` : `Say hello to friend ${i}`);
      await app.sluice.quality.idle();
    }
    await app.close();
    app = undefined;
    let out = '';
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: () => {},
    };
    const weights = join(dir, 'difficulty.json');
    expect(await runCli(['train-difficulty', '--data', log, '--out', weights], io)).toBe(0);
    expect(out).toMatch(/difficulty model: 40 prompts/);
    expect(await runCli(['calibrate', '--data', log, '--strong-share', '0.5', '--weights', weights], io)).toBe(0);
    expect(out).toMatch(/sends 50\.0 % of 40 prompts up/);
    expect(out).toMatch(/100\.0 % of the gap recovered/);
  });

  it('keeps prompts and answers when storePrompts is set', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    const log = join(mkdtempSync(join(tmpdir(), 'sluice-shadow-')), 'shadow.jsonl');
    app = await startTestApp(config({ log, storePrompts: true }), { env: { TEST_KEY: 'k' } });
    await traffic(app, 1);
    await app.close();
    app = undefined;
    expect(JSON.parse(readFileSync(log, 'utf8').trim())).toMatchObject({
      messages: [{ role: 'user', content: 'What is 6 times 7?' }],
      delivered_answer: '42',
      shadow_answer: '42',
    });
  });
});

describe.runIf(hasRedis)('shared by replicas through Redis', () => {
  it('a replica routes on the samples another one gathered, and a restart keeps them', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    const prefix = testPrefix('quality');
    prefixes.push(prefix);
    const shared = config({}, { state: { driver: 'redis', url: redisUrl, prefix } });
    const a = await startTestApp(shared, { env: { TEST_KEY: 'k' } });
    const b = await startTestApp(config({ shadowRate: 0 }, { state: { driver: 'redis', url: redisUrl, prefix } }), {
      env: { TEST_KEY: 'k' },
    });
    try {
      expect((await ask(b)).headers['x-sluice-tier']).toBe('1');
      await traffic(a, 12);
      await b.sluice.quality.get('support')!.refresh();
      expect((await ask(b)).headers['x-sluice-tier']).toBe('0');
    } finally {
      await a.close();
      await b.close();
    }
    app = await startTestApp(shared, { env: { TEST_KEY: 'k' } });
    await app.sluice.quality.idle();
    expect((await ask(app)).headers['x-sluice-tier']).toBe('0');
  });
});

describe.runIf(hasRedis)('Redis down', () => {
  it('pauses shadowing, says so, and routes on the last thresholds', async () => {
    cheap.script(answer('42'));
    strong.script(answer('42'));
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
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
    try {
      await expect.poll(ping, { timeout: 5_000 }).toBe('PONG');
      app = await startTestApp(config({}, { state: { driver: 'redis', url: `redis://127.0.0.1:${port}` } }), {
        env: { TEST_KEY: 'k' },
      });
      await traffic(app, 12);
      expect((await ask(app)).headers['x-sluice-tier']).toBe('0');
      await app.sluice.quality.idle();
      await new Promise((resolve) => {
        server.once('exit', resolve);
        server.kill('SIGKILL');
      });
      const before = strong.requests.length;
      for (let i = 0; i < 3; i++) {
        const res = await ask(app);
        expect(res.status).toBe(200);
        expect(res.headers['x-sluice-tier']).toBe('0');
        await app.sluice.quality.idle();
        await app.sluice.quality.get('support')!.refresh();
      }
      expect(strong.requests.length).toBe(before); // no shadow calls while paused
      expect(app.logs.filter((l) => String(l.msg).startsWith('shadow sampling paused'))).toHaveLength(1);
      expect(await app.metric('sluice_state_store_errors_total', { operation: 'shadow_reserve' })).toBe(3);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});

describe('config', () => {
  const base = (quality: Record<string, unknown>, tiers = [{ backends: ['a'] }, { backends: ['b'] }]) => ({
    backends: [
      { id: 'a', protocol: 'mock', model: 'a' },
      { id: 'b', protocol: 'mock', model: 'b' },
    ],
    routes: [{ name: 'r', tiers, quality }],
  });
  it('rejects a bad quality block with every problem and its path', () => {
    expect(() => loadConfigObject(base({ target: 1.5, shadowRate: 2, maxShadowUsdPerDay: 1 }))).toThrow(
      /routes\[0\]\.quality\.target[\s\S]*routes\[0\]\.quality\.shadowRate/,
    );
    expect(() => loadConfigObject(base({ target: 0.9, maxShadowUsdPerDay: 1 }, [{ backends: ['a'] }]))).toThrow(
      /routes\[0\]\.quality: a quality target needs at least two tiers/,
    );
    expect(() => loadConfigObject(base({ target: 0.9, maxShadowUsdPerDay: 1, judge: 'nope' }))).toThrow(
      /routes\[0\]\.quality\.judge: unknown backend "nope"/,
    );
    expect(() => loadConfigObject(base({ target: 0.9 }))).toThrow(/maxShadowUsdPerDay/);
    expect(() => loadConfigObject(base({ target: 0.9, maxShadowUsdPerDay: 1, extra: 1 }))).toThrow(/extra/);
  });
});
