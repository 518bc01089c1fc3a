// The verbosity-compensation score of an answer in [0,1]: a logistic model over answer features whose weights
// ship in models/judge.json (fitted by `sluice calibrate-judge`). Pure.
import { answerFeatureNames, answerFeatures, type AnswerFeatureInput } from './answer-features.js';

export interface JudgeModel {
  format: 'sluice-judge/1';
  features: string[];
  weights: number[];
}

export function scoreFeatures(w: ArrayLike<number>, x: ArrayLike<number>): number {
  let z = 0;
  for (let k = 0; k < x.length; k++) z += w[k]! * x[k]!;
  return 1 / (1 + Math.exp(-z));
}

export function verbosityScorer(model: JudgeModel): (input: AnswerFeatureInput) => number {
  if (model.format !== 'sluice-judge/1' || model.features.join() !== answerFeatureNames.join()) {
    throw new Error(`judge weights: expected sluice-judge/1 with features ${answerFeatureNames.join(', ')}`);
  }
  const w = Float64Array.from(model.weights);
  return (input) => scoreFeatures(w, answerFeatures(input));
}
