// The traffic and the config bench:chaos and bench:soak share: a seeded mix of requests through the three doors
// (JSON and streams, some long prompts, some to be abandoned by the client), and a two-tier route over backends
// that are all the chaos upstream.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { freePort } from './processes.js';

let seed = 7;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const longText = 'The quick brown fox jumps over the lazy dog while the river keeps running to the sea. '.repeat(900);

export function nextRequest(): { path: string; body: string; abortMs?: number } {
  const stream = random() < 0.5;
  const prompt =
    random() < 0.1 ? `${longText} Summarise this.` : `Question ${Math.floor(random() * 1e6)}: the capital?`;
  const abortMs = random() < 0.1 ? 5 + Math.floor(random() * 80) : undefined;
  const door = random();
  const body =
    door < 0.7
      ? { model: 'auto', messages: [{ role: 'user', content: prompt }], stream, max_tokens: 200 }
      : door < 0.85
        ? { model: 'auto', input: prompt, stream, store: false, max_output_tokens: 200 }
        : { model: 'auto', max_tokens: 200, stream, messages: [{ role: 'user', content: prompt }] };
  const path = door < 0.7 ? '/v1/chat/completions' : door < 0.85 ? '/v1/responses' : '/v1/messages';
  return { path, body: JSON.stringify(body), ...(abortMs !== undefined && { abortMs }) };
}

/** A config file for Sluice in front of the chaos upstream; returns its path. */
export async function chaosConfig(upstreamPort: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
  const config = join(dir, 'sluice.yaml');
  const backend = (id: string, price: string) =>
    `  - { id: ${id}, protocol: openai, baseUrl: "http://127.0.0.1:${upstreamPort}/v1", model: ${id}, pricing: ${price}, timeouts: { firstTokenMs: 1000, idleMs: 1000, totalMs: 8000 } }`;
  writeFileSync(
    config,
    [
      `server: { host: 127.0.0.1, port: ${await freePort()}, logLevel: info }`,
      'health: { enabled: false }',
      'backends:',
      backend('cheap-a', '{ inputPerMTok: 0.15, outputPerMTok: 0.6 }'),
      backend('cheap-b', '{ inputPerMTok: 0.15, outputPerMTok: 0.6 }'),
      backend('strong', '{ inputPerMTok: 2.5, outputPerMTok: 10 }'),
      'routes:',
      '  - { name: auto, tiers: [{ backends: [cheap-a, cheap-b] }, { backends: [strong] }], maxAttempts: 4, streaming: { mode: holdback, holdbackTokens: 16 } }',
    ].join('\n'),
  );
  return config;
}

export type ChaosOutcome =
  | { kind: 'answered'; status: number; ms: number }
  | { kind: 'aborted' }
  | { kind: 'error'; name: string };

/** Sends one chaos request (abandoning it when the traffic says so) and reads its answer to the end. */
export async function sendChaosRequest(
  pool: Pool,
  timeouts: { headersTimeout?: number; bodyTimeout?: number } = {},
): Promise<ChaosOutcome> {
  const r = nextRequest();
  const controller = new AbortController();
  const timer = r.abortMs !== undefined ? setTimeout(() => controller.abort(), r.abortMs) : undefined;
  const t0 = performance.now();
  try {
    const res = await pool.request({
      path: r.path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: r.body,
      signal: controller.signal,
      ...timeouts,
    });
    await res.body.text();
    return { kind: 'answered', status: res.statusCode, ms: performance.now() - t0 };
  } catch (err) {
    return controller.signal.aborted ? { kind: 'aborted' } : { kind: 'error', name: (err as Error).name };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Sluice's /metrics page, read once for several sums. */
export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Sums the samples of one metric in a /metrics page (all its label sets). */
export function metricSum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
}
