// Classifier features, determinism, training on a toy signal, the shipped weights, and the routing metrics.
import { describe, expect, it } from 'vitest';
import { extractFeatures, denseNames, hashBits, type DifficultyInput } from '../../src/classify/difficulty-features.js';
import { difficultyModel } from '../../src/classify/difficulty-model.js';
import { loadDifficultyModel } from '../../src/classify/load-models.js';
import { train, predict, serialise, deserialise } from '../../src/classify/logistic-model.js';
import { parseLabelledJsonl, foldsOf } from '../../src/classify/difficulty-data.js';
import { apgr, auc, cpt } from '../../src/classify/routing-metrics.js';
import { mulberry32 } from '../../src/classify/logistic-model.js';
import { profileRequest, sizeClassOf, difficultyBand } from '../../src/classify/profile.js';
import { countChatTokens, countText, estimateMargin, exactLimitChars } from '../../src/classify/count-tokens.js';

const input = (question: string, extra: Partial<DifficultyInput> = {}): DifficultyInput => ({
  question,
  inputTokens: countText(question).tokens,
  turns: 1,
  tools: false,
  jsonMode: false,
  ...extra,
});
const dense = (q: string, name: (typeof denseNames)[number], extra: Partial<DifficultyInput> = {}) =>
  extractFeatures(input(q, extra)).dense[denseNames.indexOf(name)]!;

describe('difficulty features', () => {
  it('are deterministic, one entry per distinct uni- and bigram', () => {
    const a = extractFeatures(input('Find the degree of the field extension Q(sqrt 2) over Q.'));
    const b = extractFeatures(input('Find the degree of the field extension Q(sqrt 2) over Q.'));
    expect(Array.from(a.hashed)).toEqual(Array.from(b.hashed));
    // 12 words, 10 distinct (the, q twice); 11 bigrams, all distinct
    expect(a.hashed.length).toBe(10 + 11);
    expect(new Set(a.hashed).size).toBe(a.hashed.length);
    expect(Math.max(...a.hashed)).toBeLessThan(1 << hashBits);
    expect(a.hashedValue).toBeCloseTo(1 / Math.sqrt(a.hashed.length));
  });
  it('see code, maths, multiple choice, tools, JSON mode and reasoning verbs', () => {
    expect(dense('```js\nconst x = 1;\n```', 'code')).toBe(1);
    expect(dense('What is 2+2=?', 'math_symbols')).toBeGreaterThan(0);
    expect(dense('Which is right?\nA. 1\nB. 2\nC. 3\nD. 4', 'multiple_choice')).toBe(1);
    expect(dense('Which is right?\nA. 1\nB. 2\nC. 3\nD. 4', 'numeric_options')).toBe(1);
    expect(dense('hi', 'tools', { tools: true })).toBe(1);
    expect(dense('hi', 'json_mode', { jsonMode: true })).toBe(1);
    expect(dense('Prove the theorem and derive the bound', 'reasoning_verbs')).toBe(0.5);
  });
  it('sample long prompts instead of scanning them whole', () => {
    const long = 'lorem ipsum dolor sit amet '.repeat(20_000);
    const x = extractFeatures(input(long));
    expect(x.hashed.length).toBeLessThan(1_000); // ~2.5k characters read, not 540k
  });
});

describe('training', () => {
  const rows = Array.from({ length: 400 }, (_, i) => ({
    q: i % 2 ? `please prove lemma ${i}` : `say hello ${i}`,
    y: i % 2,
  }));
  const xs = rows.map((r) => extractFeatures(input(r.q)));
  it('is reproducible: same data and seed, same weights', () => {
    const opts = { epochs: 3, learningRate: 0.1, l2: 1e-5, seed: 1 };
    const a = train(
      xs,
      rows.map((r) => r.y),
      opts,
    );
    const b = train(
      xs,
      rows.map((r) => r.y),
      opts,
    );
    expect(Buffer.from(a.hashed.buffer).equals(Buffer.from(b.hashed.buffer))).toBe(true);
    expect(Array.from(a.dense)).toEqual(Array.from(b.dense));
  });
  it('learns a signal in the words and survives a round trip through the weights file', () => {
    const w = train(
      xs,
      rows.map((r) => r.y),
      { epochs: 5, learningRate: 0.1, l2: 1e-5, seed: 1 },
    );
    const scores = xs.map((x) => predict(w, x));
    expect(
      auc(
        scores,
        rows.map((r) => r.y === 1),
      ),
    ).toBe(1);
    const back = deserialise(JSON.parse(JSON.stringify(serialise(w, {}))));
    expect(predict(back, xs[1]!)).toBeCloseTo(scores[1]!, 6);
  });
  it("gives a difficulty in [0,1] that rises with the cheap model's expected failure", () => {
    const cheapWrong = train(
      xs,
      rows.map((r) => r.y),
      { epochs: 5, learningRate: 0.1, l2: 1e-5, seed: 1 },
    );
    const strongWrong = train(
      xs,
      rows.map(() => 0),
      { epochs: 5, learningRate: 0.1, l2: 1e-5, seed: 1 },
    );
    const model = difficultyModel({ cheapWrong, strongWrong });
    const hard = model.score(input('please prove lemma 9'));
    const easy = model.score(input('say hello 8'));
    expect(hard).toBeGreaterThan(easy);
    for (const d of [hard, easy]) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1);
    }
  });
});

describe('the shipped weights', () => {
  const model = loadDifficultyModel('models/difficulty.json');
  it('load and score deterministically', () => {
    const q = input('Find all zeros in the indicated finite field of the polynomial x^5 + 3x^3 + x^2 + 2x in Z_5');
    expect(model.score(q)).toBe(model.score(q));
    expect(model.score(q)).toBeGreaterThan(0);
    expect(model.score(q)).toBeLessThan(1);
  });
});

describe('labelled data', () => {
  it('reads RouteLLM rows and your own logs, and reports bad lines', () => {
    const text = [
      '{"prompt":"a","weak_correct":true,"strong_correct":true,"source":"mmlu"}',
      '{"messages":[{"role":"user","content":"b"}],"cheap_ok":false}',
      'not json',
      '{"prompt":"c"}',
    ].join('\n');
    const { rows, problems } = parseLabelledJsonl(text);
    expect(rows.map((r) => [r.prompt, r.weakCorrect, r.strongCorrect, r.source])).toEqual([
      ['a', true, true, 'mmlu'],
      ['b', false, true, 'all'],
    ]);
    expect(problems).toHaveLength(2);
  });
  it('assigns stratified folds deterministically', () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({
      prompt: String(i),
      weakCorrect: true,
      strongCorrect: true,
      source: i < 10 ? 'a' : 'b',
    }));
    const f1 = foldsOf(rows, 5, mulberry32(3));
    expect(f1).toEqual(foldsOf(rows, 5, mulberry32(3)));
    for (const s of ['a', 'b'])
      for (let k = 0; k < 5; k++) expect(rows.filter((r, i) => r.source === s && f1[i] === k)).toHaveLength(2);
  });
});

describe('routing metrics', () => {
  const o = (score: number, weak: boolean, strong: boolean) => ({ score, weakCorrect: weak, strongCorrect: strong });
  it('APGR is the trapezoid area under the PGR curve: high for an oracle, below 0.5 reversed; CPT follows the curve', () => {
    const data = [o(0.9, false, true), o(0.8, false, true), o(0.1, true, true), o(0.0, true, true)];
    // PGR after 0..4 strong calls: 0, 0.5, 1, 1, 1
    expect(apgr(data)).toBeCloseTo((0.25 + 0.75 + 1 + 1) / 4);
    expect(cpt(data, 0.5)).toBe(0.25);
    expect(cpt(data, 1)).toBe(0.5);
    const reversed = data.map((d) => ({ ...d, score: 1 - d.score }));
    expect(apgr(reversed)).toBeLessThan(0.5);
  });
  it('AUC counts ties as half', () => {
    expect(auc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(auc([1, 1, 1, 1], [false, true, false, true])).toBe(0.5);
  });
});

describe('profile', () => {
  it('counts chat tokens with per-message overhead and images, and sizes the request', () => {
    const t = countChatTokens([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hello' },
          { type: 'image_url', image_url: { url: 'x', detail: 'low' } },
        ],
      },
    ]);
    expect(t.tokens).toBe(countText('user').tokens + countText('hello').tokens + 3 + 3 + 85);
    expect(sizeClassOf(500)).toBe('small');
    expect(sizeClassOf(9000, { small: 100, medium: 10_000, large: 20_000 })).toBe('medium');
    expect(difficultyBand(0.55)).toBe('0.5-0.6');
    expect(difficultyBand(1)).toBe('0.9-1.0');
  });
  it('counts special-token text in a prompt as plain text instead of refusing it', () => {
    for (const special of ['<|endoftext|>', '<|im_start|>', '<|fim_prefix|>']) {
      const text = `what does ${special} mean?`;
      expect(countText(text).tokens).toBeGreaterThan(countText('what does  mean?').tokens);
      expect(countText(text, { exact: true })).toEqual(countText(text));
      expect(countChatTokens([{ role: 'user', content: text }], undefined, { exact: true }).tokens).toBeGreaterThan(0);
    }
  });
  it('counts repeated texts from the cache and new ones exactly up to the per-request budget', () => {
    const system = `You are a careful assistant. ${'Answer briefly and cite the rule you apply. '.repeat(20)}`.slice(
      0,
      1_000,
    );
    const turn = (q: string) => [
      { role: 'system', content: system },
      { role: 'user', content: q },
    ];
    const first = countChatTokens(turn('What is 2 + 2?'));
    expect(first).toEqual({
      tokens:
        3 +
        2 * 3 +
        countText('system').tokens +
        countText(system).tokens +
        countText('user').tokens +
        countText('What is 2 + 2?').tokens,
      estimated: false,
    });
    expect(countChatTokens(turn('What is 2 + 2?'))).toEqual(first); // all from the cache now: the same count
    // New text past the budget is estimated (and marked so), until an exact recount; repeated, it is cached.
    const history = Array.from({ length: 8 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(30)}`,
    }));
    const cold = countChatTokens(history);
    expect(cold.estimated).toBe(true);
    const exact = countChatTokens(history, undefined, { exact: true });
    expect(exact.estimated).toBe(false);
    expect(Math.abs(cold.tokens - exact.tokens) / exact.tokens).toBeLessThan(estimateMargin);
    expect(countChatTokens(history)).toEqual(exact);
  });
  it('estimates above the exact limit and marks it', () => {
    const big = 'word '.repeat(exactLimitChars);
    const c = countText(big);
    expect(c.estimated).toBe(true);
    expect(Math.abs(c.tokens - exactLimitChars) / exactLimitChars).toBeLessThan(0.05);
  });
  it('uses the client max tokens, else the route default; no difficulty without a model', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 50 };
    expect(profileRequest('chat', body, { defaultMaxOutputTokens: 512 })).toMatchObject({
      outputTokens: 50,
      clientMaxTokens: 50,
    });
    expect(profileRequest('chat', { messages: body.messages }, { defaultMaxOutputTokens: 512 }).outputTokens).toBe(512);
    expect(profileRequest('chat', body, { defaultMaxOutputTokens: 512 }).difficulty).toBeUndefined();
  });
  it('counts the answers a request asks for: n, or best_of on legacy completions', () => {
    const opts = { defaultMaxOutputTokens: 512 };
    expect(profileRequest('chat', { messages: [{ role: 'user', content: 'hi' }] }, opts).choices).toBeUndefined();
    expect(profileRequest('chat', { messages: [{ role: 'user', content: 'hi' }], n: 3 }, opts).choices).toBe(3);
    expect(profileRequest('completions', { prompt: 'hi', n: 2, best_of: 5 }, opts).choices).toBe(5);
    expect(
      profileRequest('chat', { messages: [{ role: 'user', content: 'hi' }], best_of: 5 }, opts).choices,
    ).toBeUndefined();
  });
});
