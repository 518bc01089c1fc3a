// Trains the difficulty model from labelled prompts, reproducibly (fixed seed), and measures it honestly:
// k-fold cross-validation (train on k−1 folds, score the held-out one) reports AUC, APGR and CPT per source,
// then the shipped weights are trained on everything. Pure.
import { countText } from './count-tokens.js';
import { foldsOf, type LabelledPrompt } from './difficulty-data.js';
import { extractFeatures, type FeatureVector } from './difficulty-features.js';
import { difficultyModel, type DifficultyWeights } from './difficulty-model.js';
import { mulberry32, train, type TrainOptions } from './logistic-model.js';
import { apgr, auc, cpt, type Outcome } from './routing-metrics.js';

/** Chosen by 5-fold CV on the shared dev file (a small grid over learning rate and epochs). */
export const difficultyTrainOptions: TrainOptions = { epochs: 8, learningRate: 0.03, l2: 1e-5, seed: 42 };

export interface SourceReport {
  source: string;
  n: number;
  apgr: number;
  cpt50: number;
  cpt80: number;
  /** AUC of the difficulty for "the strong model does better". */
  auc: number;
}

export function featuresOf(rows: readonly LabelledPrompt[]): FeatureVector[] {
  return rows.map(
    (r) =>
      r.features ??
      extractFeatures({
        question: r.prompt,
        inputTokens: countText(r.prompt).tokens,
        turns: 1,
        tools: false,
        jsonMode: false,
      }),
  );
}

export function fitDifficulty(
  xs: readonly FeatureVector[],
  rows: readonly LabelledPrompt[],
  opts = difficultyTrainOptions,
): DifficultyWeights {
  return {
    cheapWrong: train(
      xs,
      rows.map((r) => (r.weakCorrect ? 0 : 1)),
      opts,
    ),
    strongWrong: train(
      xs,
      rows.map((r) => (r.strongCorrect ? 0 : 1)),
      opts,
    ),
  };
}

/** Held-out difficulty for every row: each row is scored by a model that never saw it. */
export function crossValidatedScores(
  xs: readonly FeatureVector[],
  rows: readonly LabelledPrompt[],
  k: number,
  opts = difficultyTrainOptions,
  foldSeed = 7,
): number[] {
  const folds = foldsOf(rows, k, mulberry32(foldSeed));
  const scores = new Array<number>(rows.length).fill(0);
  for (let f = 0; f < k; f++) {
    const trainIdx = rows.map((_, i) => i).filter((i) => folds[i] !== f);
    const model = difficultyModel(
      fitDifficulty(
        trainIdx.map((i) => xs[i]!),
        trainIdx.map((i) => rows[i]!),
        opts,
      ),
    );
    rows.forEach((_, i) => {
      if (folds[i] === f) scores[i] = model.scoreFeatures(xs[i]!);
    });
  }
  return scores;
}

export function reportBySource(rows: readonly LabelledPrompt[], scores: readonly number[]): SourceReport[] {
  const sources = [...new Set(rows.map((r) => r.source))].sort();
  return [...(sources.length > 1 ? sources : []), 'overall'].map((source) => {
    const idx = rows.map((_, i) => i).filter((i) => source === 'overall' || rows[i]!.source === source);
    const outcomes: Outcome[] = idx.map((i) => ({
      score: scores[i]!,
      weakCorrect: rows[i]!.weakCorrect,
      strongCorrect: rows[i]!.strongCorrect,
    }));
    const better = idx.map((i) => rows[i]!.strongCorrect && !rows[i]!.weakCorrect);
    return {
      source,
      n: idx.length,
      apgr: apgr(outcomes),
      cpt50: cpt(outcomes, 0.5),
      cpt80: cpt(outcomes, 0.8),
      auc: auc(
        idx.map((i) => scores[i]!),
        better,
      ),
    };
  });
}
