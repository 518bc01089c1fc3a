// The training, calibration and inspection commands, run in-process on a small generated data set.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-models-'));
const data = join(dir, 'labelled.jsonl');
// Prompts about proofs trip the cheap model; small talk does not. Some rows carry answers for the judge.
writeFileSync(
  data,
  Array.from({ length: 240 }, (_, i) => {
    const hard = i % 3 === 0;
    const row: Record<string, unknown> = {
      prompt: hard ? `Prove lemma ${i} about prime ideals rigorously.` : `Say hello to friend number ${i}.`,
      weak_correct: !hard,
      strong_correct: true,
      source: i % 2 ? 'a' : 'b',
    };
    if (i < 120)
      row.weak_response = hard
        ? `Maybe it is ${i}, or perhaps ${i + 1}, I am not sure`
        : `Hello friend ${i}. The answer is ${i}.`;
    return JSON.stringify(row);
  }).join('\n'),
);

async function run(args: string[], stdin = '') {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    stdin: async () => stdin,
  });
  return { code, out, err };
}

describe('model commands', () => {
  const weights = join(dir, 'difficulty.json');
  it('train-difficulty reports held-out AUC and APGR per source and writes weights, reproducibly', async () => {
    const first = await run(['train-difficulty', '--data', data, '--out', weights]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\| overall \| 240 \| 1\.000 \|/);
    const bytes = readFileSync(weights, 'utf8');
    await run(['train-difficulty', '--data', data, '--out', weights]);
    expect(readFileSync(weights, 'utf8')).toBe(bytes);
  });
  it('calibrate prints the maxDifficulty that sends a share up, and its quality and cost', async () => {
    const res = await run(['calibrate', '--data', data, '--strong-share', '0.3333', '--weights', weights]);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/maxDifficulty for the cheapest tier: 0\.\d{4} \(sends 33\.\d % of 240 prompts up\)/);
    expect(res.out).toMatch(/100\.0 % of the gap recovered/);
  });
  it('classify reads a request body on stdin and prints its profile', async () => {
    const res = await run(
      ['classify', '--weights', weights],
      JSON.stringify({
        model: 'auto',
        messages: [{ role: 'user', content: 'Prove lemma 7 about prime ideals rigorously.' }],
      }),
    );
    const profile = JSON.parse(res.out);
    expect(profile).toMatchObject({ sizeClass: 'small', tokensEstimated: false });
    const easy = JSON.parse(
      (
        await run(
          ['classify', '--weights', weights],
          JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Say hello to friend number 8.' }] }),
        )
      ).out,
    );
    expect(profile.difficulty).toBeGreaterThan(easy.difficulty);
  });
  it('calibrate-judge fits the judge on rows with answers and reports its AUROC', async () => {
    const out = join(dir, 'judge.json');
    const res = await run(['calibrate-judge', '--data', data, '--out', out]);
    expect(res.out).toMatch(/120 answers, 5-fold AUROC for "answer is wrong" 1\.000/);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('sluice-judge/1');
  });
  it('a missing --data is a usage error (exit 2)', async () => {
    const res = await run(['train-difficulty']);
    expect(res).toMatchObject({ code: 2, err: expect.stringContaining('--data is required') });
  });
});
