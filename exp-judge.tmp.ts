import { readFileSync } from 'node:fs';
import { parseLabelledJsonl, foldsOf } from './src/classify/difficulty-data.js';
import { mulberry32 } from './src/classify/logistic-model.js';
import { auc } from './src/classify/routing-metrics.js';
import { answerFeatures, answerFeatureNames } from './src/judge/answer-features.js';
const { rows } = parseLabelledJsonl(readFileSync('../shared/data/routing/mixtral-gpt4.dev.jsonl', 'utf8'));
const g = rows.filter((r) => r.source === 'gsm8k' && r.weakResponse !== undefined);
const xs = g.map((r) => answerFeatures({ prompt: r.prompt.split('\n\n').pop() ?? r.prompt, answer: r.weakResponse! }));
const ys = g.map((r) => (r.weakCorrect ? 0 : 1));
answerFeatureNames.forEach((name, k) => { if (k > 0) console.log(name.padEnd(24), auc(xs.map((x) => x[k]!), ys.map((y) => y === 1)).toFixed(3)); });
function fit(idx: number[], l2 = 0.01, epochs = 300, lr = 0.5) {
  const w = new Float64Array(xs[0]!.length);
  for (let e = 0; e < epochs; e++) {
    const grad = new Float64Array(w.length);
    for (const i of idx) { const x = xs[i]!; let z = 0; for (let k = 0; k < w.length; k++) z += w[k]! * x[k]!; const p = 1 / (1 + Math.exp(-z)); for (let k = 0; k < w.length; k++) grad[k]! += (p - ys[i]!) * x[k]!; }
    for (let k = 0; k < w.length; k++) w[k]! -= lr * (grad[k]! / idx.length + (k ? l2 * w[k]! : 0));
  }
  return w;
}
const folds = foldsOf(g, 5, mulberry32(7));
const scores = new Array<number>(g.length);
for (let f = 0; f < 5; f++) { const w = fit(g.map((_, i) => i).filter((i) => folds[i] !== f)); g.forEach((_, i) => { if (folds[i] === f) { let z = 0; for (let k = 0; k < w.length; k++) z += w[k]! * xs[i]![k]!; scores[i] = 1 / (1 + Math.exp(-z)); } }); }
console.log('CV AUROC (weak wrong)', auc(scores, ys.map((y) => y === 1)).toFixed(3));
console.log('length only AUROC', auc(g.map((r) => r.weakResponse!.length), ys.map((y) => y === 1)).toFixed(3));
