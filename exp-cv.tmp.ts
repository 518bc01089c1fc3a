import { readFileSync } from 'node:fs';
import { countText } from './src/classify/count-tokens.js';
import { extractFeatures } from './src/classify/difficulty-features.js';
import { parseLabelledJsonl, foldsOf } from './src/classify/difficulty-data.js';
import { train, predict, mulberry32, defaultTrainOptions } from './src/classify/logistic-model.js';
import { apgr, auc, cpt } from './src/classify/routing-metrics.js';
const { rows } = parseLabelledJsonl(readFileSync('../shared/data/routing/mixtral-gpt4.dev.jsonl', 'utf8'));
const xs = rows.map((r) => extractFeatures({ question: r.prompt, inputTokens: countText(r.prompt).tokens, turns: 1, tools: false, jsonMode: false }));
const labelFns: Record<string, (r: typeof rows[number]) => number> = {
  strongBetter: (r) => (r.strongCorrect && !r.weakCorrect ? 1 : 0),
  weakWrong: (r) => (r.weakCorrect ? 0 : 1),
};
const variant = process.argv[2] ?? 'strongBetter';
const opts = { ...defaultTrainOptions, ...(process.argv[3] ? JSON.parse(process.argv[3]) : {}) };
const folds = foldsOf(rows, 5, mulberry32(Number(process.env.FOLD_SEED ?? 7)));
const scores = new Array<number>(rows.length);
for (let f = 0; f < 5; f++) {
  const tr = rows.map((_, i) => i).filter((i) => folds[i] !== f);
  if (variant === 'product' || variant === 'diff') {
    const a = train(tr.map((i) => xs[i]!), tr.map((i) => (rows[i]!.weakCorrect ? 0 : 1)), opts);
    const trw = tr.filter((i) => !rows[i]!.weakCorrect);
    const c = variant === 'product' ? train(trw.map((i) => xs[i]!), trw.map((i) => (rows[i]!.strongCorrect ? 1 : 0)), opts) : train(tr.map((i) => xs[i]!), tr.map((i) => (rows[i]!.strongCorrect ? 0 : 1)), opts);
    rows.forEach((_, i) => { if (folds[i] === f) scores[i] = variant === 'product' ? predict(a, xs[i]!) * predict(c, xs[i]!) : process.env.INDEP ? predict(a, xs[i]!) * (1 - predict(c, xs[i]!)) : predict(a, xs[i]!) - predict(c, xs[i]!); });
    continue;
  }
  const w = train(tr.map((i) => xs[i]!), tr.map((i) => labelFns[variant]!(rows[i]!)), opts);
  rows.forEach((_, i) => { if (folds[i] === f) scores[i] = predict(w, xs[i]!); });
}
for (const src of ['mmlu', 'gsm8k', 'all']) {
  const idx = rows.map((_, i) => i).filter((i) => src === 'all' || rows[i]!.source === src);
  const o = idx.map((i) => ({ score: scores[i]!, weakCorrect: rows[i]!.weakCorrect, strongCorrect: rows[i]!.strongCorrect }));
  console.log(src, 'APGR', apgr(o).toFixed(3), 'CPT50', cpt(o, 0.5).toFixed(3), 'CPT80', cpt(o, 0.8).toFixed(3), 'AUC(weak wrong)', auc(idx.map((i) => scores[i]!), idx.map((i) => !rows[i]!.weakCorrect)).toFixed(3));
}
