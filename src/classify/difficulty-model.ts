// The shipped difficulty model: two logistic models over the same features, P(cheapest tier wrong) and
// P(strongest tier wrong). Difficulty = ½(1 + P(cheap wrong) − P(strong wrong)): the expected quality gain of
// escalating, mapped to [0,1] (0.5 = none). Ranking by expected gain routes better than P(cheap wrong) alone,
// which also sends up the prompts both tiers get wrong. Pure; the weights file is read by the caller.
import { extractFeatures, type DifficultyInput, type FeatureVector } from './difficulty-features.js';
import { deserialise, predict, serialise, type LogisticWeights, type WeightsFile } from './logistic-model.js';

export interface DifficultyModel {
  score(input: DifficultyInput): number;
  scoreFeatures(x: FeatureVector): number;
}

export interface DifficultyWeights {
  cheapWrong: LogisticWeights;
  strongWrong: LogisticWeights;
}

export interface DifficultyFile {
  format: 'sluice-difficulty-pair/1';
  cheapWrong: WeightsFile;
  strongWrong: WeightsFile;
  report: Record<string, unknown>;
}

export function difficultyModel(w: DifficultyWeights): DifficultyModel {
  const scoreFeatures = (x: FeatureVector) => (1 + predict(w.cheapWrong, x) - predict(w.strongWrong, x)) / 2;
  return { scoreFeatures, score: (input) => scoreFeatures(extractFeatures(input)) };
}

export function toFile(w: DifficultyWeights, report: Record<string, unknown>): DifficultyFile {
  return {
    format: 'sluice-difficulty-pair/1',
    cheapWrong: serialise(w.cheapWrong, {}),
    strongWrong: serialise(w.strongWrong, {}),
    report,
  };
}

export function fromFile(json: unknown): DifficultyWeights {
  const f = json as Partial<DifficultyFile>;
  if (f?.format !== 'sluice-difficulty-pair/1' || !f.cheapWrong || !f.strongWrong)
    throw new Error('difficulty weights: not a sluice-difficulty-pair/1 file');
  return { cheapWrong: deserialise(f.cheapWrong), strongWrong: deserialise(f.strongWrong) };
}
