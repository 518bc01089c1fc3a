// Routing quality measures, as RouteLLM defines them. Pure.
// APGR: area under the performance-gap-recovered curve as the share sent to the strong model goes from 0 to 1
// (random routing = 0.5). CPT(x): the smallest share of strong calls that recovers x of the gap.

export interface Outcome {
  /** Higher = send to the strong model first. */
  score: number;
  weakCorrect: boolean;
  strongCorrect: boolean;
}

/** PGR at each k = 0..n strong calls, routing the k highest scores to the strong model. */
export function pgrCurve(outcomes: readonly Outcome[]): number[] {
  const n = outcomes.length;
  const sorted = [...outcomes].sort((a, b) => b.score - a.score);
  const weak = outcomes.filter((o) => o.weakCorrect).length;
  const strong = outcomes.filter((o) => o.strongCorrect).length;
  const gap = strong - weak;
  const curve = [0];
  let correct = weak;
  for (let k = 0; k < n; k++) {
    const o = sorted[k]!;
    correct += Number(o.strongCorrect) - Number(o.weakCorrect);
    curve.push(gap === 0 ? 0 : (correct - weak) / gap);
  }
  return curve;
}

export function apgr(outcomes: readonly Outcome[]): number {
  const curve = pgrCurve(outcomes);
  let area = 0;
  for (let k = 1; k < curve.length; k++) area += (curve[k - 1]! + curve[k]!) / 2;
  return area / (curve.length - 1);
}

/** Share of strong calls needed to recover `target` of the gap (1 when never reached before all are strong). */
export function cpt(outcomes: readonly Outcome[], target: number): number {
  const curve = pgrCurve(outcomes);
  const k = curve.findIndex((v) => v >= target - 1e-12);
  return (k < 0 ? curve.length - 1 : k) / (curve.length - 1);
}

/** Area under the ROC curve of `score` for the positive label (ties count half). */
export function auc(scores: readonly number[], labels: readonly boolean[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[idx[k]!]) {
        rankSumPos += avgRank;
        pos++;
      }
    i = j + 1;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
