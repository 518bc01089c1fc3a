// Commands that train, calibrate and inspect the classifier and the judge. I/O lives here; the work is pure.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseLabelledJsonl, type LabelledPrompt } from '../classify/difficulty-data.js';
import {
  crossValidatedScores,
  difficultyTrainOptions,
  featuresOf,
  fitDifficulty,
  reportBySource,
} from '../classify/train-difficulty.js';
import { toFile } from '../classify/difficulty-model.js';
import { loadDifficultyModel } from '../classify/load-models.js';
import { profileRequest } from '../classify/profile.js';
import { countText } from '../classify/count-tokens.js';
import { crossValidatedJudgeScores, fitJudge, judgeAuroc, judgeExamples } from '../judge/train-judge.js';
import { validateBody } from '../http/validate-body.js';
import type { CliIo } from './run-cli.js';

export function readRows(path: string, io: CliIo): LabelledPrompt[] {
  const { rows, problems } = parseLabelledJsonl(readFileSync(path, 'utf8'));
  if (problems.length > 0) io.stderr(`${problems.length} rows skipped (first: ${problems[0]})\n`);
  if (rows.length === 0) throw new Error(`${path}: no labelled rows`);
  return rows;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

export async function trainDifficulty(opts: { data: string; out: string; folds: number }, io: CliIo): Promise<number> {
  const rows = readRows(opts.data, io);
  const xs = featuresOf(rows);
  const reports = reportBySource(rows, crossValidatedScores(xs, rows, opts.folds));
  io.stdout(`difficulty model: ${rows.length} prompts, ${opts.folds}-fold cross-validation (held-out scores)\n`);
  io.stdout('| source | n | AUC | APGR | CPT(50%) | CPT(80%) |\n|---|---|---|---|---|---|\n');
  for (const r of reports)
    io.stdout(
      `| ${r.source} | ${r.n} | ${r.auc.toFixed(3)} | ${r.apgr.toFixed(3)} | ${pct(r.cpt50)} | ${pct(r.cpt80)} |\n`,
    );
  const weights = fitDifficulty(xs, rows);
  writeFileSync(
    opts.out,
    JSON.stringify(
      toFile(weights, {
        data: opts.data.split('/').pop(),
        rows: rows.length,
        options: difficultyTrainOptions,
        crossValidation: reports,
      }),
    ),
  );
  io.stdout(`weights (trained on all ${rows.length} prompts) written to ${opts.out}\n`);
  return 0;
}

export async function calibrateJudge(opts: { data: string; out: string }, io: CliIo): Promise<number> {
  const { xs, ys, rows } = judgeExamples(readRows(opts.data, io));
  if (rows.length === 0) throw new Error('no rows with weak_response: the judge needs answers with correctness');
  const cv = judgeAuroc(crossValidatedJudgeScores(xs, ys, rows), ys);
  const model = fitJudge(xs, ys);
  writeFileSync(opts.out, JSON.stringify(model, null, 1));
  io.stdout(
    `verbosity judge: ${rows.length} answers, 5-fold AUROC for "answer is wrong" ${cv.toFixed(3)}\nweights written to ${opts.out}\n`,
  );
  return 0;
}

/** The maxDifficulty that sends `share` of the prompts past the cheapest tier, with expected quality and cost. */
export async function calibrate(
  opts: {
    data: string;
    share: number;
    weights: string;
    cheap: [number, number];
    strong: [number, number];
    outputTokens: number;
  },
  io: CliIo,
): Promise<number> {
  const rows = readRows(opts.data, io);
  const model = loadDifficultyModel(opts.weights);
  const scored = rows.map((r) => ({
    r,
    d: r.features
      ? model.scoreFeatures(r.features)
      : model.score({
          question: r.prompt,
          inputTokens: countText(r.prompt).tokens,
          turns: 1,
          tools: false,
          jsonMode: false,
        }),
  }));
  const sorted = scored.map((s) => s.d).sort((a, b) => a - b);
  const k = Math.round(rows.length * (1 - opts.share));
  const threshold = k >= sorted.length ? 1 : k <= 0 ? 0 : (sorted[k - 1]! + sorted[k]!) / 2;
  let correct = 0;
  let cost = 0;
  let strongCost = 0;
  for (const { r, d } of scored) {
    const up = d > threshold;
    correct += Number(up ? r.strongCorrect : r.weakCorrect);
    const tin = r.inputTokens ?? countText(r.prompt).tokens;
    const price = ([i, o]: [number, number]) => (tin * i + opts.outputTokens * o) / 1e6;
    cost += price(up ? opts.strong : opts.cheap);
    strongCost += price(opts.strong);
  }
  const weak = rows.filter((r) => r.weakCorrect).length / rows.length;
  const strong = rows.filter((r) => r.strongCorrect).length / rows.length;
  const quality = correct / rows.length;
  io.stdout(
    [
      `maxDifficulty for the cheapest tier: ${threshold.toFixed(4)} (sends ${pct(scored.filter((s) => s.d > threshold).length / rows.length)} of ${rows.length} prompts up)`,
      `expected accuracy ${pct(quality)} (cheap only ${pct(weak)}, strong only ${pct(strong)}; ${pct((quality - weak) / (strong - weak || 1))} of the gap recovered)`,
      `expected cost ${pct(cost / strongCost)} of sending everything to the strong tier (${opts.outputTokens} output tokens assumed)`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function classifyStdin(opts: { weights: string }, io: CliIo): Promise<number> {
  const body = validateBody('chat', JSON.parse(await io.stdin!()));
  const profile = profileRequest('chat', body, {
    defaultMaxOutputTokens: 512,
    model: loadDifficultyModel(opts.weights),
  });
  io.stdout(`${JSON.stringify(profile, null, 2)}\n`);
  return 0;
}
