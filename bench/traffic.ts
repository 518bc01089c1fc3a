// npm run demo:traffic — Sluice on the shipped config (simulated backends), fed a realistic mix of prompts for a minute,
// with a live summary read from its own metrics: requests, tier mix, escalations, spend, and the saving against
// sending everything to the strong tier. The compose stack runs it as its traffic generator (DEMO_TARGET).
// Loopback only unless DEMO_TARGET says otherwise; stops by itself (DEMO_SECONDS, DEMO_CONCURRENCY).
import { existsSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { request } from 'undici';
import { buildApp } from '../src/app.js';
import { configPathFrom, loadConfigFile } from '../src/config/load-config.js';
import type { Metrics } from '../src/metrics/metrics.js';

const seconds = Number(process.env.DEMO_SECONDS ?? 60);
const concurrency = Number(process.env.DEMO_CONCURRENCY ?? 8);
const port = Number(process.env.PORT ?? 8080);
const dataPath = process.env.DEMO_PROMPTS ?? '../shared/data/routing/mixtral-gpt4.dev.jsonl';

const builtIn = [
  'What is the capital of France? Answer in one word.',
  'Translate "good morning" into Spanish.',
  'List three primary colours.',
  'Write a haiku about autumn.',
  'Why is the sky blue?',
  'Summarise the plot of Romeo and Juliet in two sentences.',
  'Prove that the square root of 2 is irrational, step by step.',
  'Implement a thread-safe LRU cache and explain the trade-offs.',
  'Derive the formula for the sum of a geometric series.',
  'Explain why quicksort is O(n log n) on average, with a proof.',
];

function prompts(): string[] {
  if (!existsSync(dataPath)) return builtIn;
  const rows = readFileSync(dataPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string });
  const sample = rows.filter((_, i) => i % 37 === 0).map((r) => r.prompt);
  return [...sample, ...builtIn, ...builtIn];
}

/** One request in five asks for JSON, one in five offers a tool: unsure cheap answers to those come back malformed. */
function structure(n: number): Record<string, unknown> {
  if (n % 5 === 0) return { response_format: { type: 'json_object' } };
  if (n % 5 === 1)
    return {
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
          },
        },
      ],
    };
  return {};
}

async function main(): Promise<void> {
  // DEMO_TARGET: feed a Sluice that is already running (the compose stack) instead of starting one.
  const target = process.env.DEMO_TARGET;
  const loaded = target ? undefined : loadConfigFile(configPathFrom(undefined));
  const sluice = loaded ? buildApp({ loaded, logger: pino({ level: 'warn' }) }) : undefined;
  if (sluice) await sluice.app.listen({ host: '127.0.0.1', port });
  const url = `${target ?? `http://127.0.0.1:${port}`}/v1/chat/completions`;
  const pool = prompts();
  console.log(
    `Sluice on ${url}${loaded ? ` with ${loaded.source} (simulated backends)` : ''}; ${concurrency} clients for ${seconds}s, ${pool.length} prompts\n`,
  );
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  const client = async () => {
    while (Date.now() < deadline) {
      const content = pool[(n++ * 7919) % pool.length]!;
      const stream = n % 3 === 0;
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', stream, messages: [{ role: 'user', content }], ...structure(n) }),
      });
      await res.body.text();
    }
  };
  const ticker = setInterval(
    () => (sluice ? void summary(sluice.metrics, false) : console.log(`sent ${n} requests`)),
    3000,
  );
  await Promise.all(Array.from({ length: concurrency }, client));
  clearInterval(ticker);
  if (sluice) {
    await summary(sluice.metrics, true);
    await sluice.close();
  }
}

async function sum(m: Metrics, name: keyof Metrics, by?: string): Promise<Map<string, number>> {
  const metric = m[name] as {
    get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number> }> }>;
  };
  const out = new Map<string, number>();
  for (const v of (await metric.get()).values) {
    const key = by ? String(v.labels[by]) : 'all';
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

async function summary(m: Metrics, final: boolean): Promise<void> {
  const requests = await sum(m, 'requests', 'outcome');
  const total = [...requests.values()].reduce((a, b) => a + b, 0);
  const delivered = await sum(m, 'attempts', 'outcome');
  const tiers = new Map<string, number>();
  for (const v of (await m.attempts.get()).values)
    if (v.labels.outcome === 'accepted')
      tiers.set(String(v.labels.tier), (tiers.get(String(v.labels.tier)) ?? 0) + v.value);
  const escalations = await sum(m, 'escalations', 'reason');
  const spend = (await sum(m, 'cost')).get('all') ?? 0;
  const baseline = (await sum(m, 'baselineCost')).get('all') ?? 0;
  const share = (k: string) => `${(((tiers.get(k) ?? 0) / (delivered.get('accepted') || 1)) * 100).toFixed(0)} %`;
  const line = [
    `${final ? 'final' : 'so far'}: ${total} requests (${requests.get('ok') ?? 0} ok)`,
    `tier mix: cheap ${share('0')}, strong ${share('1')}`,
    `escalations: ${[...escalations].map(([r, c]) => `${r} ${c}`).join(', ') || 'none'}`,
    `spend $${spend.toFixed(4)} vs $${baseline.toFixed(4)} all-strong: saved $${(baseline - spend).toFixed(4)} (${baseline > 0 ? (((baseline - spend) / baseline) * 100).toFixed(0) : 0} %)`,
  ];
  console.log(line.join(' | '));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
