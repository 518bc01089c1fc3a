// The judge's verdicts: real GSM8K answers, the paper's N-words criterion, structure, truncation, refusal.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadJudgeModel } from '../../src/classify/load-models.js';
import type { AnswerView } from '../../src/shared/answer.js';
import { firstLineTooLong, impliedWords } from '../../src/judge/implied-length.js';
import { judgeAnswer, type JudgeRequest, type JudgeSettings } from '../../src/judge/judge-answer.js';
import { malformed } from '../../src/judge/structure.js';
import { verbosityScorer } from '../../src/judge/verbosity-model.js';

const scorer = verbosityScorer(loadJudgeModel('models/judge.json'));
const settings: JudgeSettings = { verbosity: true, threshold: 0.5, refusal: false };
const fixture = JSON.parse(readFileSync(new URL('../fixtures/gsm8k-weak-answers.json', import.meta.url), 'utf8')) as {
  answers: Array<{ prompt: string; answer: string; correct: boolean }>;
};

const req = (prompt: string, extra: Partial<JudgeRequest> = {}): JudgeRequest => ({
  prompt,
  clientMaxTokens: undefined,
  impliedWords: impliedWords(prompt),
  structure: { toolNames: [] },
  ...extra,
});
const view = (text: string, extra: Partial<AnswerView> = {}): AnswerView => ({
  text,
  toolCalls: [],
  finishReason: 'stop',
  ...extra,
});
const judge = (
  text: string,
  r: JudgeRequest,
  s: Partial<JudgeSettings> = {},
  partial = false,
  v: Partial<AnswerView> = {},
) => judgeAnswer(view(text, v), r, { ...settings, ...s }, scorer, partial);

describe('verbosity on real GSM8K answers (Mixtral-8x7B)', () => {
  for (const a of fixture.answers) {
    it(`${a.correct ? 'accepts a correct' : 'escalates a wrong'} answer: ${a.answer.trim().slice(0, 50)}…`, () => {
      const verdict = judge(a.answer, req(a.prompt));
      expect(verdict.kind).toBe(a.correct ? 'accept' : 'escalate');
      if (verdict.kind === 'escalate') expect(verdict.reason).toBe('verbose');
      expect(verdict.score).toBeGreaterThanOrEqual(0);
    });
  }
  it('scores lower on logprobs that show confidence than on doubtful ones', () => {
    const a = fixture.answers[0]!;
    const sure = scorer({ prompt: a.prompt, answer: a.answer, logprobs: [-0.01, -0.02, -0.01] });
    const unsure = scorer({ prompt: a.prompt, answer: a.answer, logprobs: [-2.3, -1.2, -1.5] });
    expect(unsure).toBeGreaterThan(sure + 0.2);
  });
});

describe("the paper's criterion: asked for at most N words", () => {
  it('reads what prompts ask for', () => {
    expect(impliedWords('Describe Paris in 3 words.')).toBe(3);
    expect(impliedWords('Answer in one word: capital of France?')).toBe(1);
    expect(impliedWords('Summarise it in at most five words')).toBe(5);
    expect(impliedWords('Give me a title, 4 words or fewer')).toBe(4);
    expect(impliedWords('Reply with a single number')).toBe(1);
    expect(impliedWords('Answer yes or no: is water wet?')).toBe(1);
    expect(impliedWords('Explain photosynthesis.')).toBeUndefined();
  });
  it('counts the words of the first line only', () => {
    expect(firstLineTooLong('City of light\nand more text below', 3)).toBe(false);
    expect(firstLineTooLong('The city of light', 3)).toBe(true);
  });
  it('escalates as verbose when the first line has more than N tokens, whatever the score', () => {
    const r = req('Describe Paris in 3 words.');
    expect(judge('City of light', r)).toEqual({ kind: 'accept', score: 0 });
    // The paper counts NLTK tokens: the final period is the fourth.
    expect(judge('City of light.', r)).toEqual({ kind: 'escalate', reason: 'verbose', score: 1 });
    expect(judge('Paris is the city of light, romance and art.', r)).toEqual({
      kind: 'escalate',
      reason: 'verbose',
      score: 1,
    });
  });
  it('applies to a partial answer once its first line is complete', () => {
    const r = req('Describe Paris in 3 words.');
    expect(judge('Paris is the city', r, {}, true).kind).toBe('accept');
    expect(judge('Paris is the city of light\nIt', r, {}, true)).toMatchObject({ kind: 'escalate', reason: 'verbose' });
  });
  it('catches gross overshoot and dense hedging while streaming', () => {
    expect(
      judge(Array.from({ length: 30 }, () => 'word').join(' '), req('Name a colour in one word'), {}, true).kind,
    ).toBe('escalate');
    const hedged =
      "I'm not sure, it might be red, or perhaps blue, it could be green, possibly yellow, maybe it depends on the light and the time of day really";
    expect(judge(hedged, req('What colour is the sky?'), {}, true)).toMatchObject({
      kind: 'escalate',
      reason: 'verbose',
    });
  });
});

describe('other verdicts', () => {
  it('empty: no text and no tool call', () => {
    expect(judge('  ', req('hi'))).toEqual({ kind: 'escalate', reason: 'empty' });
  });
  it('truncated: a length stop the client did not cause', () => {
    expect(judge('The answer is', req('hi'), {}, false, { finishReason: 'length' })).toEqual({
      kind: 'escalate',
      reason: 'truncated',
    });
    expect(judge('The answer is', req('hi', { clientMaxTokens: 3 }), {}, false, { finishReason: 'length' }).kind).toBe(
      'accept',
    );
  });
  it('refusal only when the route opts in', () => {
    const text = "I'm sorry, but I can't help with that.";
    expect(judge(text, req('hi')).kind).toBe('accept');
    expect(judge(text, req('hi'), { refusal: true })).toEqual({ kind: 'escalate', reason: 'refusal' });
    expect(judge('', req('hi'), { refusal: true }, false, { refusal: 'No.' })).toEqual({
      kind: 'escalate',
      reason: 'refusal',
    });
  });
  it('leaves structured answers to the structure checks', () => {
    const r = req('Give me JSON', { structure: { toolNames: [], responseFormat: { type: 'json_object' } } });
    expect(judge('{"ok": true}', r).kind).toBe('accept');
    expect(judge('{"ok": tru', r)).toEqual({ kind: 'escalate', reason: 'malformed' });
  });
});

describe('malformed', () => {
  const schema = {
    type: 'json_schema',
    json_schema: {
      schema: {
        type: 'object',
        required: ['name', 'age'],
        properties: { name: { type: 'string' }, age: { type: 'integer' } },
      },
    },
  };
  it('JSON mode must parse to an object (a ```json fence is tolerated)', () => {
    expect(malformed({ responseFormat: { type: 'json_object' }, toolNames: [] }, 'not json', [])).toMatch(
      /not valid JSON/,
    );
    expect(malformed({ responseFormat: { type: 'json_object' }, toolNames: [] }, '[1,2]', [])).toMatch(
      /not a JSON object/,
    );
    expect(
      malformed({ responseFormat: { type: 'json_object' }, toolNames: [] }, '```json\n{"a":1}\n```', []),
    ).toBeUndefined();
  });
  it('json_schema: required fields and property types', () => {
    expect(malformed({ responseFormat: schema, toolNames: [] }, '{"name":"Ann","age":3}', [])).toBeUndefined();
    expect(malformed({ responseFormat: schema, toolNames: [] }, '{"name":"Ann"}', [])).toBe(
      'answer lacks required field(s) age',
    );
    expect(malformed({ responseFormat: schema, toolNames: [] }, '{"name":"Ann","age":"3"}', [])).toBe(
      'field age is not of type integer',
    );
  });
  it('tool calls must name an offered tool and carry JSON object arguments', () => {
    const tools = { toolNames: ['get_weather'] };
    expect(malformed(tools, '', [{ name: 'get_weather', arguments: '{"city":"Paris"}' }])).toBeUndefined();
    expect(malformed(tools, '', [{ name: 'get_weather', arguments: '{"city":' }])).toMatch(/not valid JSON/);
    expect(malformed(tools, '', [{ name: 'launch_rockets', arguments: '{}' }])).toMatch(/unknown tool/);
    expect(malformed(tools, '', [{ name: 'get_weather', arguments: '"Paris"' }])).toMatch(/not a JSON object/);
  });
});
