// npm run bench:routing — how well Sluice routes, on ../shared/data/routing/mixtral-gpt4.dev.jsonl, every model
// figure from held-out folds (5-fold cross-validation: train on 4, score the 5th):
//  1. difficulty routing alone: APGR, CPT(50%), CPT(80%) per source and overall, next to a plain hashed-n-gram model;
//  2. the verbosity judge alone on GSM8K answers: AUROC for "the weak answer is wrong", and accuracy at its
//     escalation rate against random escalation at the same rate;
//  3. router + judge as a real cascade, paying for every attempt: cost (share of always-strong) to reach 95 % of
//     the strong model's accuracy (GSM8K: router and judge; MMLU: router only);
//  4. leave one task out: trained without GSM8K and scored on it, trained without one MMLU subject group (STEM,
//     humanities, social sciences, other) and scored on it: how far difficulty from the prompt transfers to tasks
//     the model never saw (why a quality target measures live instead of trusting it);
//  5. classification latency for 1k- and 100k-token prompts.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { countText } from '../src/classify/count-tokens.js';
import { parseLabelledJsonl, type LabelledPrompt } from '../src/classify/difficulty-data.js';
import type { FeatureVector } from '../src/classify/difficulty-features.js';
import { loadDifficultyModel } from '../src/classify/load-models.js';
import { mulberry32, predict, train } from '../src/classify/logistic-model.js';
import { profileRequest } from '../src/classify/profile.js';
import { auc } from '../src/classify/routing-metrics.js';
import { foldsOf } from '../src/classify/difficulty-data.js';
import { crossValidatedScores, featuresOf, fitDifficulty, reportBySource } from '../src/classify/train-difficulty.js';
import { difficultyModel } from '../src/classify/difficulty-model.js';
import { answerFeatures, type AnswerFeatureInput } from '../src/judge/answer-features.js';
import { crossValidatedJudgeScores, judgeAuroc, judgeExamples } from '../src/judge/train-judge.js';

const dataPath = process.env.ROUTING_DATA ?? '../shared/data/routing/mixtral-gpt4.dev.jsonl';
const prices = { weak: { in: 0.6, out: 0.6 }, strong: { in: 10, out: 30 } }; // USD per million tokens
const judgeThreshold = 0.5; // the route default

function main(): void {
  const { rows } = parseLabelledJsonl(readFileSync(dataPath, 'utf8'));
  // Latency first, on a heap as small as a gateway's; printed last.
  const latencyReport = [...latency(rows), ...judgeLatency(rows)];
  console.log(`# bench:routing — ${rows.length} prompts from ${dataPath.split('/').pop()}, 5-fold cross-validation\n`);
  const xs = featuresOf(rows);
  const difficulty = crossValidatedScores(xs, rows, 5);
  routingAlone(rows, xs, difficulty);
  const judge = judgeAlone(rows);
  cascade(rows, difficulty, judge);
  leaveOneTaskOut(rows, xs, difficulty);
  console.log(latencyReport.join('\n'));
}

function routingAlone(rows: LabelledPrompt[], xs: FeatureVector[], difficulty: number[]): void {
  const plain = plainNgramScores(rows, xs);
  const ours = reportBySource(rows, difficulty);
  const base = reportBySource(rows, plain);
  console.log('## 1. Difficulty routing alone (random: APGR 0.500, CPT(50%) 50 %, CPT(80%) 80 %)');
  console.log('| source | n | APGR | CPT(50%) | CPT(80%) | plain n-gram APGR |\n|---|---|---|---|---|---|');
  ours.forEach((r, i) => {
    console.log(
      `| ${r.source} | ${r.n} | ${r.apgr.toFixed(3)} | ${pct(r.cpt50)} | ${pct(r.cpt80)} | ${base[i]!.apgr.toFixed(3)} |`,
    );
  });
  console.log();
}

/** MMLU's four subject groups, by subject name. */
export function taskOf(r: LabelledPrompt): string {
  if (r.source !== 'mmlu') return r.source;
  const s = r.subject ?? '';
  if (
    /math|physics|chemistry|biology|computer|engineering|astronomy|statistics|machine_learning|anatomy|abstract_algebra|security|medical_genetics|virology/.test(
      s,
    )
  )
    return 'mmlu-stem';
  if (/history|law|philosophy|moral|logic|religions|jurisprudence|prehistory|fallacies/.test(s))
    return 'mmlu-humanities';
  if (
    /econom|psychology|geography|government|sociology|politics|public_relations|security_studies|human_sexuality|foreign_policy/.test(
      s,
    )
  )
    return 'mmlu-social';
  return 'mmlu-other';
}

function leaveOneTaskOut(rows: LabelledPrompt[], xs: FeatureVector[], inTask: number[]): void {
  console.log('## 4. Leave one task out: trained without the task, scored on it (random: APGR 0.500)');
  console.log(
    '| held-out task | n | APGR unseen | AUC unseen | APGR with the task in training (5-fold) |\n|---|---|---|---|---|',
  );
  const tasks = rows.map(taskOf);
  for (const task of ['gsm8k', 'mmlu-stem', 'mmlu-humanities', 'mmlu-social', 'mmlu-other']) {
    const trainIdx = rows.map((_, i) => i).filter((i) => tasks[i] !== task);
    const testIdx = rows.map((_, i) => i).filter((i) => tasks[i] === task);
    const model = difficultyModel(
      fitDifficulty(
        trainIdx.map((i) => xs[i]!),
        trainIdx.map((i) => rows[i]!),
      ),
    );
    const held = testIdx.map((i) => ({ ...rows[i]!, source: task }));
    const [unseen] = reportBySource(
      held,
      testIdx.map((i) => model.scoreFeatures(xs[i]!)),
    );
    const [seen] = reportBySource(
      held,
      testIdx.map((i) => inTask[i]!),
    );
    console.log(
      `| ${task} | ${testIdx.length} | ${unseen!.apgr.toFixed(3)} | ${unseen!.auc.toFixed(3)} | ${seen!.apgr.toFixed(3)} |`,
    );
  }
  console.log();
}

/** The bar to clear: one logistic model of "strong better" over hashed n-grams only. */
function plainNgramScores(rows: LabelledPrompt[], xs: FeatureVector[]): number[] {
  const ngramsOnly = xs.map((x) => ({ ...x, dense: Float64Array.from(x.dense, (_, k) => (k === 0 ? 1 : 0)) }));
  const folds = foldsOf(rows, 5, mulberry32(7));
  const scores = new Array<number>(rows.length).fill(0);
  for (let f = 0; f < 5; f++) {
    const idx = rows.map((_, i) => i).filter((i) => folds[i] !== f);
    const w = train(
      idx.map((i) => ngramsOnly[i]!),
      idx.map((i) => Number(rows[i]!.strongCorrect && !rows[i]!.weakCorrect)),
      { epochs: 12, learningRate: 0.2, l2: 1e-5, seed: 42 },
    );
    rows.forEach((_, i) => {
      if (folds[i] === f) scores[i] = predict(w, ngramsOnly[i]!);
    });
  }
  return scores;
}

function judgeAlone(rows: LabelledPrompt[]): Map<LabelledPrompt, number> {
  const { xs, ys, rows: answered } = judgeExamples(rows);
  const scores = crossValidatedJudgeScores(xs, ys, answered);
  const lengthAuc = auc(
    answered.map((r) => r.weakResponse!.length),
    ys.map((y) => y === 1),
  );
  const escalated = scores.map((s) => s > judgeThreshold);
  const rate = escalated.filter(Boolean).length / answered.length;
  const weakAcc = mean(answered.map((r) => Number(r.weakCorrect)));
  const strongAcc = mean(answered.map((r) => Number(r.strongCorrect)));
  const judgeAcc = mean(answered.map((r, i) => Number(escalated[i] ? r.strongCorrect : r.weakCorrect)));
  const randomAcc = weakAcc + rate * (strongAcc - weakAcc);
  console.log(`## 2. Verbosity judge alone on ${answered.length} GSM8K answers of the weak model`);
  console.log(
    `AUROC of the VC score for "weak answer is wrong": ${judgeAuroc(scores, ys).toFixed(3)} (answer length alone: ${lengthAuc.toFixed(3)})`,
  );
  console.log(
    `at the route default threshold ${judgeThreshold}: escalates ${pct(rate)}; accuracy ${pct(judgeAcc)} vs ${pct(randomAcc)} for random escalation at the same rate (weak ${pct(weakAcc)}, strong ${pct(strongAcc)})\n`,
  );
  return new Map(answered.map((r, i) => [r, scores[i]!]));
}

function cascade(rows: LabelledPrompt[], difficulty: number[], judge: Map<LabelledPrompt, number>): void {
  console.log(
    '## 3. Router + judge as a cascade, every attempt paid (Mixtral $0.60/$0.60, GPT-4-1106 $10/$30 per M tokens)',
  );
  for (const source of ['gsm8k', 'mmlu']) {
    const idx = rows.map((_, i) => i).filter((i) => rows[i]!.source === source);
    const items: CascadeItem[] = idx.map((i) => {
      const r = rows[i]!;
      const tin = countText(r.prompt).tokens;
      // MMLU rows carry no answer text: a one-letter answer is counted as one output token.
      const weakOut = r.weakResponse ? countText(r.weakResponse).tokens : 1;
      const strongOut = r.strongResponse ? countText(r.strongResponse).tokens : 1;
      return {
        r,
        d: difficulty[i]!,
        s: judge.get(r) as number | undefined,
        weakCost: cost(prices.weak, tin, weakOut),
        strongCost: cost(prices.strong, tin, strongOut),
      };
    });
    const best = cheapestOperatingPoint(items);
    if (!best) {
      console.log(`${source}: 95 % of strong accuracy not reachable`);
      continue;
    }
    const useJudge = items.every((x) => x.s !== undefined);
    console.log(
      `${source} (${useJudge ? 'router + judge' : 'router only'}): ${pct(best.share)} of always-strong cost reaches ${pct(best.acc)} accuracy (target ${pct(best.target)}); ` +
        `${pct(best.direct / items.length)} sent straight to strong, ${pct(best.escalated / items.length)} escalated by the judge (maxDifficulty ${best.td.toFixed(4)}, judge threshold ${best.ts.toFixed(3)})`,
    );
    // The sweep above picks its thresholds on the scores it reports (a cost curve, like CPT). Choosing them on four
    // folds and replaying the fifth shows what a deployment that calibrated beforehand would get.
    const folds = foldsOf(
      items.map((x) => x.r),
      5,
      mulberry32(11),
    );
    const heldOut = { spent: 0, correct: 0 };
    for (let f = 0; f < 5; f++) {
      const chosen = cheapestOperatingPoint(items.filter((_, i) => folds[i] !== f));
      if (!chosen) continue;
      const o = replay(
        items.filter((_, i) => folds[i] === f),
        chosen.td,
        chosen.ts,
      );
      heldOut.spent += o.spent;
      heldOut.correct += o.correct;
    }
    console.log(
      `  thresholds chosen on the other four folds: ${pct(heldOut.spent / sumOf(items, (x) => x.strongCost))} of always-strong cost, ${pct(heldOut.correct / items.length)} accuracy`,
    );
  }
  console.log();
}

interface CascadeItem {
  r: LabelledPrompt;
  d: number;
  s: number | undefined;
  weakCost: number;
  strongCost: number;
}

/** Cost and correct answers when prompts above maxDifficulty td go straight to strong and judge scores above ts escalate. */
function replay(
  items: CascadeItem[],
  td: number,
  ts: number,
): { spent: number; correct: number; escalated: number; direct: number } {
  const o = { spent: 0, correct: 0, escalated: 0, direct: 0 };
  for (const x of items) {
    if (x.d > td) {
      o.spent += x.strongCost;
      o.correct += Number(x.r.strongCorrect);
      o.direct++;
      continue;
    }
    o.spent += x.weakCost;
    if ((x.s ?? 0) > ts) {
      o.spent += x.strongCost;
      o.correct += Number(x.r.strongCorrect);
      o.escalated++;
    } else o.correct += Number(x.r.weakCorrect);
  }
  return o;
}

/** The cheapest (maxDifficulty, judge threshold) pair that reaches 95 % of the strong model's accuracy. */
function cheapestOperatingPoint(items: CascadeItem[]) {
  const strongAll = sumOf(items, (x) => x.strongCost);
  const target = 0.95 * mean(items.map((x) => Number(x.r.strongCorrect)));
  const useJudge = items.every((x) => x.s !== undefined);
  const sGrid = useJudge
    ? quantiles(
        items.map((x) => x.s!),
        100,
      )
    : [Infinity];
  let best:
    | { share: number; acc: number; target: number; td: number; ts: number; escalated: number; direct: number }
    | undefined;
  for (const td of quantiles(
    items.map((x) => x.d),
    50,
  ))
    for (const ts of sGrid) {
      const o = replay(items, td, ts);
      const acc = o.correct / items.length;
      if (acc >= target && (!best || o.spent / strongAll < best.share))
        best = { share: o.spent / strongAll, acc, target, td, ts, escalated: o.escalated, direct: o.direct };
    }
  return best;
}

function latency(rows: LabelledPrompt[]): string[] {
  const model = loadDifficultyModel('models/difficulty.json');
  const corpus = rows.map((r) => r.prompt).join('\n\n');
  const out = [
    '## 5. Classification latency (tokenizer + features + difficulty model), after 2,000 warm-up calls; 3,000 and 600 timed calls',
  ];
  for (const [tokens, runs] of [
    [1_000, 600],
    [100_000, 120],
  ] as const) {
    const text = sliceToTokens(corpus, tokens);
    // Bodies as the gateway gets them: parsed from JSON (flat strings), each a little different.
    const bodies = Array.from(
      { length: runs },
      (_, i) =>
        JSON.parse(
          JSON.stringify({
            messages: [
              { role: 'system', content: 'You are helpful.' },
              { role: 'user', content: `${i} ${text}` },
            ],
          }),
        ) as Record<string, unknown>,
    );
    const opts = { defaultMaxOutputTokens: 512, model, contextWindows: [128_000, 200_000] };
    // Steady state, as in a long-running gateway: V8 needs a couple of thousand calls to optimise this path.
    for (let i = 0; i < 2_000; i++) profileRequest('chat', bodies[i % bodies.length]!, opts);
    // Five passes over the bodies: p99 of 600 calls is the 6th-slowest, one scavenge or host hiccup away.
    const times: number[] = [];
    for (let pass = 0; pass < 5; pass++) {
      for (const body of bodies) {
        const t0 = performance.now();
        profileRequest('chat', body, opts);
        times.push(performance.now() - t0);
      }
    }
    const warm = times.sort((a, b) => a - b);
    const q = (p: number) => warm[Math.min(warm.length - 1, Math.floor(p * warm.length))]!;
    out.push(
      `${tokens.toLocaleString('en')}-token prompt: p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms (target at p99: ${tokens === 1_000 ? '0.3' : '5'} ms)`,
    );
  }
  return out;
}

/** The judge's answer features (the whole per-answer cost of the verbosity judge), on a data answer and on a worst case. */
function judgeLatency(rows: LabelledPrompt[]): string[] {
  const sample = rows.find((r) => r.weakResponse !== undefined);
  const numbers = (n: number, step: number) =>
    Array.from({ length: n }, (_, i) => (i * step + 0.5).toString()).join(', ');
  const cases: Array<[string, AnswerFeatureInput]> = [
    ...(sample?.weakResponse
      ? [
          ['a GSM8K answer of the weak model', { prompt: sample.prompt, answer: sample.weakResponse }] as [
            string,
            AnswerFeatureInput,
          ],
        ]
      : []),
    // A data prompt and an answer each with 10,000 numbers and some equations: what made the features quadratic.
    [
      '10,000 numbers in prompt and answer (100 KB each)',
      {
        prompt: `Sum these: ${numbers(10_000, 7)}`,
        answer: `Here: ${numbers(10_000, 11)}. So 2 + 2 = 4 and the total = 12.`,
      },
    ],
  ];
  const out = ['judge features per answer, after 200 warm-up calls, 200 timed:'];
  for (const [name, input] of cases) {
    for (let i = 0; i < 200; i++) answerFeatures(input);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      answerFeatures(input);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    out.push(`  ${name}: p50 ${times[100]!.toFixed(3)} ms, p99 ${times[198]!.toFixed(3)} ms`);
  }
  return out;
}

function sliceToTokens(text: string, tokens: number): string {
  let chars = tokens * 4;
  let s = text.slice(0, chars);
  for (let i = 0; i < 6; i++) {
    const n = countText(s).tokens;
    chars = Math.round((chars * tokens) / n);
    s = text.repeat(Math.ceil(chars / text.length)).slice(0, chars);
  }
  return s;
}

const cost = (p: { in: number; out: number }, tin: number, tout: number) => (tin * p.in + tout * p.out) / 1e6;
const sumOf = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / (xs.length || 1);
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function quantiles(xs: number[], n: number): number[] {
  const s = [...xs].sort((a, b) => a - b);
  return [-Infinity, ...Array.from({ length: n }, (_, i) => s[Math.floor(((i + 1) / (n + 1)) * s.length)]!), Infinity];
}

main();
