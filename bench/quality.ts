// npm run bench:quality — does Sluice hold a quality target on real recorded answers? The shared dev data
// (../shared/data/routing/mixtral-gpt4.dev.jsonl: GSM8K rows with both models' real answers, MMLU rows with
// letters derived from their correctness) is replayed through a real Sluice over HTTP with target 0.85 and
// shadowRate 0.2. After a warm-up it prints the delivered agreement with the strong model, quality and cost
// (cascade, waste and shadow spend) against always-strong, the estimate's error, and the client p50 with and
// without shadowing, each against its target. Loopback only; stops by itself.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLabelledJsonl } from '../src/classify/difficulty-data.js';
import { toFile } from '../src/classify/difficulty-model.js';
import { featuresOf, fitDifficulty } from '../src/classify/train-difficulty.js';
import { runReplay } from './quality-run.js';
import { replayAnswers, shuffled } from './replay-upstream.js';

const dataPath = process.env.ROUTING_DATA ?? '../shared/data/routing/mixtral-gpt4.dev.jsonl';
const warmup = Number(process.env.QUALITY_WARMUP ?? 1_500);
const target = Number(process.env.QUALITY_TARGET ?? 0.85);
const shadowRate = Number(process.env.QUALITY_SHADOW_RATE ?? 0.2);

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main(): Promise<void> {
  const { rows } = parseLabelledJsonl(readFileSync(dataPath, 'utf8'));
  // The shipped difficulty model was trained on all of this file: here it is retrained on one half and the
  // other half, which it has never seen, is replayed.
  const source = { path: dataPath, seed: 2_026, count: Math.floor(rows.length / 2) };
  const order = shuffled(rows, source.seed);
  const replay = order.slice(0, source.count).map(replayAnswers);
  const train = order.slice(source.count);
  const model = join(mkdtempSync(join(tmpdir(), 'sluice-bench-')), 'difficulty.json');
  writeFileSync(
    model,
    JSON.stringify(
      toFile(fitDifficulty(featuresOf(train), train), { data: 'bench:quality training half', rows: train.length }),
    ),
  );
  console.log(
    `# bench:quality — ${replay.length} held-out recorded prompts from ${dataPath.split('/').pop()} (${replay.filter((r) => r.row.source === 'gsm8k').length} GSM8K with real answers; difficulty model trained on the other ${train.length}), target ${target}, shadowRate ${shadowRate}, warm-up ${warmup}\n`,
  );
  const t0 = Date.now();
  const { figures: f, p50 } = await runReplay({
    rows: replay,
    source,
    target,
    difficultyModel: model,
    shadowRate,
    warmup,
    concurrency: 8,
    latencyMs: 5,
    latencyRequests: 1_600,
    every: 1_000,
    progress: (g, n) =>
      console.log(
        `  after ${n}: agreement ${pct(g.agreement)}, cheap share ${pct(g.cheapShare)}, estimate ${g.estimate?.toFixed(3) ?? '-'} (truth ${g.truthInWindow.toFixed(3)}), max difficulty ${g.maxDifficulty?.toFixed(3) ?? '-'}`,
      ),
  });
  const total = f.costUsd.cascade + f.costUsd.shadow;
  const share = total / f.costUsd.alwaysStrong;
  const error = f.estimate === undefined ? Infinity : Math.abs(f.estimate - f.truthInWindow);
  console.log(`\n## After the warm-up (${f.requests} requests, ${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  console.log('| figure | value | target | |\n|---|---|---|---|');
  console.log(
    `| delivered agreement with the strong model | ${pct(f.agreement)} | ≥ 83 % | ${mark(f.agreement >= 0.83)} |`,
  );
  console.log(
    `| quality (correct answers / the strong model's) | ${pct(f.quality)} | | cheap model alone: ${pct(f.cheapQuality)} |`,
  );
  console.log(`| answered by the cheap tier | ${pct(f.cheapShare)} | | |`);
  console.log(
    `| cost, cascade and waste | ${pct(f.costUsd.cascade / f.costUsd.alwaysStrong)} | | $${f.costUsd.cascade.toFixed(4)} |`,
  );
  console.log(
    `| cost, shadow spend | ${pct(f.costUsd.shadow / f.costUsd.alwaysStrong)} | | $${f.costUsd.shadow.toFixed(4)} |`,
  );
  console.log(`| cost, all of it, against always-strong | ${pct(share)} | ≤ 85 % | ${mark(share <= 0.85)} |`);
  console.log(
    `| estimate (sluice_quality_estimate) against the truth | ${f.estimate?.toFixed(3) ?? '-'} vs ${f.truthInWindow.toFixed(3)} | within 0.05 | ${mark(error <= 0.05)} |`,
  );
  if (p50) {
    const diff = p50.shadowing - p50.off;
    console.log(
      `| client p50 with / without shadowing | ${p50.shadowing.toFixed(2)} / ${p50.off.toFixed(2)} ms | unchanged (±0.5 ms) | ${mark(Math.abs(diff) <= 0.5)} |`,
    );
  }
  console.log(
    `\nsamples in the window: ${f.samples}; typical request starts cheap up to difficulty ${f.maxDifficulty?.toFixed(3) ?? '-'}`,
  );
}

await main();
