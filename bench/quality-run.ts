// One replay of recorded answers through a real Sluice over HTTP, with a quality target: what the client got,
// what it cost (cascade, waste and shadow spend) against always asking the strong model, and the live estimate
// beside the truth. Shared by bench:quality and the demo. Loopback only.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { request } from 'undici';
import { buildApp, type Sluice } from '../src/app.js';
import { loadConfigObject } from '../src/config/load-config.js';
import { countText } from '../src/classify/count-tokens.js';
import { compareAnswers } from '../src/quality/agreement.js';
import type { ReplayRow } from './replay-upstream.js';

export const prices = {
  weak: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
  strong: { inputPerMTok: 10, outputPerMTok: 30 },
};

export interface ReplayOptions {
  /** The rows, as the replay server rebuilds them from `source` (data file, seed, count). */
  rows: readonly ReplayRow[];
  source: { path: string; seed: number; count: number };
  /** A difficulty model file to route with (default: the shipped one). */
  difficultyModel?: string;
  target: number;
  shadowRate: number;
  /** Requests before the figures start counting (the threshold is learnt from the start). */
  warmup: number;
  concurrency: number;
  latencyMs: number;
  minSamples?: number;
  window?: number;
  /** Extra requests at the end, with and without shadowing, for the client latency. */
  latencyRequests?: number;
  /** Called every `every` requests with the figures so far. */
  progress?: (f: Figures, done: number) => void;
  every?: number;
  seed?: number;
}

export interface Figures {
  requests: number;
  /** Share of delivered answers that agree with the strong model's recorded answer. */
  agreement: number;
  /** Correct delivered answers over correct strong answers. */
  quality: number;
  /** The same, for the cheap model alone. */
  cheapQuality: number;
  cheapShare: number;
  costUsd: { cascade: number; shadow: number; alwaysStrong: number };
  /** sluice_quality_estimate at the end, and the truth over the same window of requests. */
  estimate: number | undefined;
  truthInWindow: number;
  samples: number;
  maxDifficulty: number | undefined;
}

interface Served {
  row: ReplayRow;
  backend: string;
  costUsd: number;
  ms: number;
}

const strongCost = (r: ReplayRow) =>
  ((countText(r.row.prompt).tokens + 8) * prices.strong.inputPerMTok) / 1e6 +
  (countText(r.strong).tokens * prices.strong.outputPerMTok) / 1e6;
const agrees = (a: string, b: string, prompt: string) =>
  compareAnswers(
    { text: a, toolCalls: [], finishReason: 'stop' },
    { text: b, toolCalls: [], finishReason: 'stop' },
    { prompt, json: false },
  ).agreement === 'agree';

function config(url: string, o: ReplayOptions, shadowRate: number) {
  return loadConfigObject(
    {
      server: { port: 0, host: '127.0.0.1' },
      ...(o.difficultyModel && { classifier: { difficultyModel: o.difficultyModel } }),
      backends: [
        {
          id: 'mixtral',
          protocol: 'openai',
          baseUrl: url,
          model: 'mixtral-8x7b',
          apiKeyEnv: 'REPLAY_KEY',
          pricing: prices.weak,
          contextWindow: 32_000,
        },
        {
          id: 'gpt-4',
          protocol: 'openai',
          baseUrl: url,
          model: 'gpt-4-1106',
          apiKeyEnv: 'REPLAY_KEY',
          pricing: prices.strong,
          contextWindow: 128_000,
        },
      ],
      routes: [
        {
          name: 'auto',
          tiers: [{ backends: ['mixtral'] }, { backends: ['gpt-4'] }],
          quality: {
            target: o.target,
            shadowRate,
            maxShadowUsdPerDay: 1_000,
            minSamples: o.minSamples ?? 200,
            window: o.window ?? 2_000,
            refreshMs: 500,
          },
        },
      ],
    },
    { env: { REPLAY_KEY: 'replay' } },
  );
}

async function gauge(
  s: Sluice,
  name: 'qualityEstimate' | 'qualityMaxDifficulty' | 'qualitySamples',
): Promise<number | undefined> {
  return (await s.metrics[name].get()).values.find((v) => v.labels.route === 'auto')?.value;
}
async function counter(s: Sluice, name: 'shadowCost'): Promise<number> {
  return (await s.metrics[name].get()).values.reduce((n, v) => n + v.value, 0);
}

export async function runReplay(
  o: ReplayOptions,
): Promise<{ figures: Figures; p50: { shadowing: number; off: number } | undefined }> {
  const upstream = await startReplayProcess(o);
  let seed = o.seed ?? 12_345;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const sluice = buildApp({
    loaded: config(upstream.url, o, o.shadowRate),
    logger: pino({ level: 'warn' }),
    processMetrics: false,
    random,
  });
  const base = await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const served: Served[] = [];
  let shadowAtWarmup = 0;
  const ask = async (row: ReplayRow): Promise<Served> => {
    const t0 = performance.now();
    const res = await request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: row.row.prompt }] }),
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    return {
      row,
      backend: String(res.headers['x-sluice-backend']),
      costUsd: Number(res.headers['x-sluice-cost-usd']),
      ms: performance.now() - t0,
    };
  };
  const pass = async (rows: readonly ReplayRow[], sink: Served[], onEach?: (n: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < rows.length) {
          const i = next++;
          sink.push(await ask(rows[i]!));
          await onEach?.(i + 1);
        }
      }),
    );
  };
  try {
    await pass(o.rows, served, async (n) => {
      if (n === o.warmup) {
        await sluice.quality.idle();
        shadowAtWarmup = await counter(sluice, 'shadowCost');
      }
      if (o.progress && o.every && n % o.every === 0 && n > o.warmup)
        o.progress(await figures(sluice, served, o, shadowAtWarmup), n);
    });
    await sluice.quality.idle();
    const final = await figures(sluice, served, o, shadowAtWarmup);
    let p50: { shadowing: number; off: number } | undefined;
    if (o.latencyRequests) {
      const rows = o.rows.slice(0, o.latencyRequests);
      const on: Served[] = [],
        off: Served[] = [];
      // Alternate the two settings in rounds so that drift on the machine hits both alike.
      for (let round = 0; round < 4; round++) {
        const part = rows.slice((round * rows.length) / 4, ((round + 1) * rows.length) / 4);
        sluice.reload(config(upstream.url, o, o.shadowRate));
        await pass(part, on);
        sluice.reload(config(upstream.url, o, 0));
        await pass(part, off);
      }
      p50 = { shadowing: median(on.map((s) => s.ms)), off: median(off.map((s) => s.ms)) };
    }
    return { figures: final, p50 };
  } finally {
    await sluice.close();
    await upstream.close();
  }
}

async function figures(
  sluice: Sluice,
  served: readonly Served[],
  o: ReplayOptions,
  shadowAtWarmup: number,
): Promise<Figures> {
  const after = served.slice(o.warmup);
  let agree = 0,
    correct = 0,
    strongCorrect = 0,
    weakCorrect = 0,
    cheap = 0,
    cascade = 0,
    always = 0;
  for (const s of after) {
    const strong = s.backend === 'gpt-4';
    if (!strong) cheap++;
    agree += Number(strong || agrees(s.row.weak, s.row.strong, s.row.row.prompt));
    correct += Number(strong ? s.row.row.strongCorrect : s.row.row.weakCorrect);
    strongCorrect += Number(s.row.row.strongCorrect);
    weakCorrect += Number(s.row.row.weakCorrect);
    cascade += s.costUsd;
    always += strongCost(s.row);
  }
  const n = Math.max(1, after.length);
  const samples = (await gauge(sluice, 'qualitySamples')) ?? 0;
  // The estimate rests on the newest `window` samples: about window / shadowRate requests back.
  const span = Math.min(served.length, Math.round((o.window ?? 2_000) / Math.max(o.shadowRate, 1e-9)));
  const recent = served.slice(-span);
  const truth =
    recent.reduce(
      (m, s) => m + Number(s.backend === 'gpt-4' || agrees(s.row.weak, s.row.strong, s.row.row.prompt)),
      0,
    ) / Math.max(1, recent.length);
  return {
    requests: after.length,
    agreement: agree / n,
    quality: correct / Math.max(1, strongCorrect),
    cheapQuality: weakCorrect / Math.max(1, strongCorrect),
    cheapShare: cheap / n,
    costUsd: { cascade, shadow: (await counter(sluice, 'shadowCost')) - shadowAtWarmup, alwaysStrong: always },
    estimate: await gauge(sluice, 'qualityEstimate'),
    truthInWindow: truth,
    samples,
    maxDifficulty: await gauge(sluice, 'qualityMaxDifficulty'),
  };
}

/** The replay upstream in a child process of its own. */
async function startReplayProcess(o: ReplayOptions): Promise<{ url: string; close(): Promise<void> }> {
  const script = fileURLToPath(new URL('./replay-server.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, o.source.path, String(o.source.seed), String(o.source.count), String(o.latencyMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`replay server exited (${code})`)));
  });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}
