// Builds a Sluice app the way production does, on 127.0.0.1:0, with a capturing log and a plain HTTP client.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { buildApp, type Sluice } from '../../src/app.js';
import { loadConfigObject, type Env } from '../../src/config/load-config.js';
import { redactPaths } from '../../src/log/create-logger.js';

export interface TestApp {
  url: string;
  sluice: Sluice;
  logs: Array<Record<string, unknown>>;
  rawLog(): string;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, string>; text: string; json: any }>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function startTestApp(
  raw: Record<string, unknown>,
  opts: { env?: Env; random?: () => number } = {},
): Promise<TestApp> {
  const loaded = loadConfigObject(
    {
      server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 2_000, ...(raw.server as object) },
      ...withoutServer(raw),
    },
    { env: opts.env ?? {} },
  );
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
  const sluice = buildApp({ loaded, logger, processMetrics: false, ...(opts.random && { random: opts.random }) });
  const address = await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const logs: TestApp['logs'] = [];
  return {
    url: address,
    sluice,
    get logs() {
      logs.length = 0;
      for (const l of lines) logs.push(JSON.parse(l) as Record<string, unknown>);
      return logs;
    },
    rawLog: () => lines.join('\n'),
    async post(path, body, headers = {}) {
      const res = await request(address + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers as Record<string, string>, text, json };
    },
    async metric(name, labels = {}) {
      // Histogram series (_count, _sum, _bucket) live under their histogram's name.
      const base = name.replace(/_(count|sum|bucket)$/, '');
      const metric = await (
        sluice.metrics.registry.getSingleMetric(name) ?? sluice.metrics.registry.getSingleMetric(base)
      )?.get();
      const match = metric?.values.filter(
        (v) =>
          ((v as { metricName?: string }).metricName ?? name) === name &&
          Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val),
      );
      if (!match || match.length === 0) return undefined;
      return match.reduce((s, v) => s + v.value, 0);
    },
    close: () => sluice.close(),
  };
}

function withoutServer(raw: Record<string, unknown>): Record<string, unknown> {
  const { server: _server, ...rest } = raw;
  return rest;
}

/**
 * The demo's shape with no waiting: `auto` cascades from an unsure mock (which also embeds) to a sure one, judged
 * after 8 streamed tokens. What an SDK sees when pointed at Sluice's shipped config.
 */
export function mockCascadeConfig(): Record<string, unknown> {
  const mock = (skill: number) => ({
    latencyMs: 0,
    tokensPerSecond: 0,
    answerTokens: 12,
    skill,
    verboseWhenUnsure: skill < 1,
  });
  return {
    backends: [
      { id: 'small', protocol: 'mock', model: 'mock-small', endpoints: ['chat', 'embeddings'], mock: mock(0.45) },
      { id: 'large', protocol: 'mock', model: 'mock-large', mock: mock(1) },
    ],
    routes: [
      {
        name: 'auto',
        tiers: [{ backends: ['small'] }, { backends: ['large'] }],
        streaming: { mode: 'holdback', holdbackTokens: 8 },
      },
    ],
  };
}

/** A one-tier route over OpenAI-protocol backends at the given fake URLs. */
export function proxyConfig(
  urls: string[],
  extra: { backend?: Record<string, unknown>; route?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    backends: urls.map((baseUrl, i) => ({
      id: `b${i}`,
      protocol: 'openai',
      baseUrl,
      model: `upstream-model-${i}`,
      apiKeyEnv: 'TEST_KEY',
      pricing: { inputPerMTok: 1, outputPerMTok: 2 },
      endpoints: ['chat', 'completions', 'embeddings'],
      ...extra.backend,
    })),
    routes: [{ name: 'auto', tiers: [{ backends: urls.map((_, i) => `b${i}`) }], ...extra.route }],
  };
}

/** Parses an SSE body into its data payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
}
