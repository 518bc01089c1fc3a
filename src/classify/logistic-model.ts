// A logistic model over hashed sparse features plus dense features: prediction, reproducible training (seeded
// AdaGrad with L2), and (de)serialisation of its weights. Pure: no I/O.
import { denseCount, hashBits, type FeatureVector } from './difficulty-features.js';

export interface LogisticWeights {
  hashed: Float32Array;
  dense: Float64Array;
}

export function predict(w: LogisticWeights, x: FeatureVector): number {
  let z = 0;
  for (let i = 0; i < x.dense.length; i++) z += w.dense[i]! * x.dense[i]!;
  for (let i = 0; i < x.hashed.length; i++) z += w.hashed[x.hashed[i]!]! * x.hashedValue;
  return 1 / (1 + Math.exp(-z));
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** Weight of positive examples (class balance). */
  positiveWeight?: number;
}

export const defaultTrainOptions: TrainOptions = { epochs: 12, learningRate: 0.2, l2: 1e-5, seed: 42 };

export function train(
  xs: readonly FeatureVector[],
  ys: readonly number[],
  opts: TrainOptions = defaultTrainOptions,
): LogisticWeights {
  const w: LogisticWeights = { hashed: new Float32Array(1 << hashBits), dense: new Float64Array(denseCount) };
  const gHashed = new Float32Array(1 << hashBits).fill(1e-8);
  const gDense = new Float64Array(denseCount).fill(1e-8);
  const order = xs.map((_, i) => i);
  const rand = mulberry32(opts.seed);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(order, rand);
    for (const i of order) {
      const x = xs[i]!;
      const y = ys[i]!;
      const weight = y > 0.5 ? (opts.positiveWeight ?? 1) : 1;
      const g = (predict(w, x) - y) * weight;
      for (let k = 0; k < x.dense.length; k++) {
        const grad = g * x.dense[k]! + (k === 0 ? 0 : opts.l2 * w.dense[k]!);
        gDense[k]! += grad * grad;
        w.dense[k]! -= (opts.learningRate * grad) / Math.sqrt(gDense[k]!);
      }
      for (let k = 0; k < x.hashed.length; k++) {
        const h = x.hashed[k]!;
        const grad = g * x.hashedValue + opts.l2 * w.hashed[h]!;
        gHashed[h]! += grad * grad;
        w.hashed[h]! -= (opts.learningRate * grad) / Math.sqrt(gHashed[h]!);
      }
    }
  }
  return w;
}

/** Weights file: a JSON object with metadata and base64 little-endian float arrays. */
export interface WeightsFile {
  format: 'sluice-difficulty/1';
  hashBits: number;
  dense: number[];
  hashed: string;
  trainedOn: Record<string, unknown>;
}

export function serialise(w: LogisticWeights, trainedOn: Record<string, unknown>): WeightsFile {
  return {
    format: 'sluice-difficulty/1',
    hashBits,
    dense: Array.from(w.dense, (v) => Number(v.toPrecision(7))),
    hashed: Buffer.from(w.hashed.buffer, w.hashed.byteOffset, w.hashed.byteLength).toString('base64'),
    trainedOn,
  };
}

export function deserialise(file: WeightsFile): LogisticWeights {
  if (file.format !== 'sluice-difficulty/1' || file.hashBits !== hashBits || file.dense.length !== denseCount) {
    throw new Error(
      `difficulty weights: expected format sluice-difficulty/1 with ${hashBits} hash bits and ${denseCount} dense features`,
    );
  }
  const bytes = Buffer.from(file.hashed, 'base64');
  const hashed = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (hashed.length !== 1 << hashBits) throw new Error('difficulty weights: hashed table has the wrong size');
  return { hashed, dense: Float64Array.from(file.dense) };
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
