// Fits the verbosity judge: a dense logistic model of "the answer is wrong" from answer features, by full-batch
// gradient descent (deterministic), and measures it by k-fold cross-validation. Pure.
import { foldsOf, type LabelledPrompt } from '../classify/difficulty-data.js';
import { mulberry32 } from '../classify/logistic-model.js';
import { auc } from '../classify/routing-metrics.js';
import { answerFeatureNames, answerFeatures } from './answer-features.js';
import { scoreFeatures, type JudgeModel } from './verbosity-model.js';

export const judgeTrainOptions = { epochs: 300, learningRate: 0.5, l2: 0.01 };

/**
 * Weights kept for features the training answers never exercise (the shared data has no logprobs): a prior,
 * not a fit. Low first-token probability and low mean logprob mark unsure answers (Zhang et al. 2024).
 */
export const judgePriors: Partial<Record<(typeof answerFeatureNames)[number], number>> = {
  first_token_doubt: 1.5,
  mean_logprob_doubt: 2,
};

export function judgeExamples(rows: readonly LabelledPrompt[]): {
  xs: Float64Array[];
  ys: number[];
  rows: LabelledPrompt[];
} {
  const kept = rows.filter((r) => r.weakResponse !== undefined);
  return {
    rows: kept,
    xs: kept.map((r) => answerFeatures({ prompt: r.prompt, answer: r.weakResponse! })),
    ys: kept.map((r) => (r.weakCorrect ? 0 : 1)),
  };
}

export function fitJudge(xs: readonly Float64Array[], ys: readonly number[], opts = judgeTrainOptions): JudgeModel {
  const w = new Float64Array(answerFeatureNames.length);
  for (let e = 0; e < opts.epochs; e++) {
    const grad = new Float64Array(w.length);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const p = scoreFeatures(w, x);
      for (let k = 0; k < w.length; k++) grad[k]! += (p - ys[i]!) * x[k]!;
    }
    for (let k = 0; k < w.length; k++)
      w[k]! -= opts.learningRate * (grad[k]! / xs.length + (k === 0 ? 0 : opts.l2 * w[k]!));
  }
  answerFeatureNames.forEach((name, k) => {
    const prior = judgePriors[name];
    if (prior !== undefined && xs.every((x) => x[k] === 0)) w[k] = prior;
  });
  return {
    format: 'sluice-judge/1',
    features: [...answerFeatureNames],
    weights: Array.from(w, (v) => Number(v.toPrecision(6))),
  };
}

/** Held-out judge scores: each answer is scored by a judge fitted without its fold. */
export function crossValidatedJudgeScores(
  xs: readonly Float64Array[],
  ys: readonly number[],
  rows: readonly LabelledPrompt[],
  k = 5,
  foldSeed = 7,
): number[] {
  const folds = foldsOf(rows, k, mulberry32(foldSeed));
  const scores = new Array<number>(xs.length).fill(0);
  for (let f = 0; f < k; f++) {
    const idx = xs.map((_, i) => i).filter((i) => folds[i] !== f);
    const model = fitJudge(
      idx.map((i) => xs[i]!),
      idx.map((i) => ys[i]!),
    );
    const w = Float64Array.from(model.weights);
    xs.forEach((x, i) => {
      if (folds[i] === f) scores[i] = scoreFeatures(w, x);
    });
  }
  return scores;
}

export function judgeAuroc(scores: readonly number[], ys: readonly number[]): number {
  return auc(
    scores,
    ys.map((y) => y === 1),
  );
}
