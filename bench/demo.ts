// npm run demo — real recorded answers through a real Sluice with a quality target. 1,000 prompts (GSM8K with
// both models' real answers, MMLU with letters from their correctness; bench/fixtures/README.md) are replayed:
// the route starts every request on the strong tier (cold start), shadows a share on the cheap tier, and once the
// evidence allows, starts the easy ones cheap. Printed as it goes and at the end: cost against always-strong
// (shadow spend included), quality, and the live estimate beside the truth. Loopback only; stops by itself.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseLabelledJsonl } from '../src/classify/difficulty-data.js';
import { runReplay } from './quality-run.js';
import { replayAnswers, shuffled } from './replay-upstream.js';

const fixture = fileURLToPath(new URL('../../bench/fixtures/replay-demo.jsonl', import.meta.url));
const passes = Number(process.env.DEMO_PASSES ?? 2);
const target = Number(process.env.DEMO_TARGET_QUALITY ?? 0.85);
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const { rows } = parseLabelledJsonl(readFileSync(fixture, 'utf8'));
  const count = rows.length * passes;
  // The replay server rebuilds the same order from the same file, seed and count.
  const order = Array.from({ length: passes }, () => shuffled(rows, 7)).flat();
  const replay = order.map(replayAnswers);
  const warmup = 300;
  console.log(
    `Sluice with a quality target of ${target} on ${rows.length} recorded prompts (Mixtral-8x7B as the cheap tier, GPT-4 as the strong one), ${passes} passes.`,
  );
  console.log(
    "Cold start: every request goes to the strong tier while a share is also asked of the cheap one, off the client's path.\n",
  );
  const { figures: f } = await runReplay({
    rows: replay,
    source: { path: fixture, seed: 7, count: rows.length },
    target,
    shadowRate: 0.3,
    minSamples: 100,
    window: 600,
    warmup,
    concurrency: 8,
    latencyMs: 20,
    every: 250,
    progress: (g, n) =>
      console.log(
        `  ${String(n).padStart(5)} requests | cheap tier ${pct(g.cheapShare).padStart(7)} | agreement with GPT-4 ${pct(g.agreement)} | estimate ${g.estimate?.toFixed(3) ?? '-'} vs truth ${g.truthInWindow.toFixed(3)} | cost ${pct((g.costUsd.cascade + g.costUsd.shadow) / g.costUsd.alwaysStrong)} of always-GPT-4`,
      ),
  });
  const total = f.costUsd.cascade + f.costUsd.shadow;
  console.log(`\nAfter the first ${warmup} requests (${f.requests} counted):`);
  console.log(
    `  cost:      $${total.toFixed(4)} (cascade $${f.costUsd.cascade.toFixed(4)} + shadow $${f.costUsd.shadow.toFixed(4)}) against $${f.costUsd.alwaysStrong.toFixed(4)} always-GPT-4: ${pct(total / f.costUsd.alwaysStrong)}`,
  );
  console.log(
    `  quality:   ${pct(f.agreement)} of answers agree with GPT-4's; ${pct(f.quality)} of GPT-4's correct answers (Mixtral alone: ${pct(f.cheapQuality)})`,
  );
  console.log(
    `  estimate:  sluice_quality_estimate ${f.estimate?.toFixed(3) ?? '-'} beside the truth ${f.truthInWindow.toFixed(3)} (target ${target})`,
  );
  console.log(
    `  threshold: a typical request starts on Mixtral up to difficulty ${f.maxDifficulty?.toFixed(3) ?? '-'} (${f.samples} decided samples)`,
  );
  console.log(
    '\nThe shipped difficulty model was trained on these two tasks; on tasks it has never seen, the threshold starts fewer requests cheap (npm run bench:quality, bench:routing §4), and the target still holds because it is measured.',
  );
  if (count !== replay.length) throw new Error('replay order mismatch');
}

await main();
