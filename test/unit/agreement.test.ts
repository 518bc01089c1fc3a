import { describe, expect, it } from 'vitest';
import type { AnswerView } from '../../src/shared/answer.js';
import { chosenLetter, compareAnswers, finalNumber, hasOptions } from '../../src/quality/agreement.js';

const view = (text: string, toolCalls: AnswerView['toolCalls'] = []): AnswerView => ({
  text,
  toolCalls,
  finishReason: 'stop',
});
const plain = { prompt: 'What is the capital of France?', json: false };
const mc = { prompt: 'Find the degree of Q(sqrt(2)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:', json: false };

describe('compareAnswers', () => {
  it('agrees on the same text up to case, punctuation, articles and spacing', () => {
    expect(compareAnswers(view('Paris.'), view('  paris'), plain)).toEqual({ agreement: 'agree', basis: 'text' });
    expect(compareAnswers(view('The Eiffel Tower!'), view('eiffel tower'), plain).agreement).toBe('agree');
  });
  it('leaves free text it cannot compare undecided', () => {
    expect(compareAnswers(view('Paris is the capital.'), view('It is Paris, of course.'), plain)).toEqual({
      agreement: 'undecided',
      basis: 'none',
    });
  });
  it('compares the chosen letter of a multiple-choice question', () => {
    expect(compareAnswers(view('The answer is (C).'), view('C. 2'), mc)).toEqual({
      agreement: 'agree',
      basis: 'choice',
    });
    expect(compareAnswers(view('Answer: B'), view('**C**'), mc)).toEqual({ agreement: 'disagree', basis: 'choice' });
  });
  it('compares final numbers: GSM8K "####" marks, "the answer is", else the last number', () => {
    const weak =
      'So in one session, he runs 3 x 60 = <<3*60=180>>180 meters.\nIn a week: 180 x 3 = 540 meters.\n#### 540';
    const strong = 'Each session is 180 meters, so the total is 540 meters/week.\n\n#### 540';
    expect(compareAnswers(view(weak), view(strong), plain)).toEqual({ agreement: 'agree', basis: 'number' });
    expect(compareAnswers(view('15 + 25 = <<15+2'), view('60 - 40 = 20 cups, so she needs 20 cups.'), plain)).toEqual({
      agreement: 'disagree',
      basis: 'number',
    });
  });
  it('compares JSON in JSON mode whatever the key order or spacing', () => {
    const json = { prompt: 'x', json: true };
    expect(compareAnswers(view('{"a":1,"b":[1,2]}'), view('{ "b": [1, 2], "a": 1 }'), json)).toEqual({
      agreement: 'agree',
      basis: 'json',
    });
    expect(compareAnswers(view('{"a":1}'), view('{"a":2}'), json)).toEqual({ agreement: 'disagree', basis: 'json' });
  });
  it('compares tool calls by name and parsed arguments, in any order', () => {
    const call = (name: string, args: string) => ({ index: 0, id: 'c', name, arguments: args });
    const a = view('', [call('get_weather', '{"city":"Paris","unit":"c"}'), call('get_time', '{}')]);
    const b = view('', [call('get_time', '{ }'), call('get_weather', '{"unit":"c","city":"Paris"}')]);
    expect(compareAnswers(a, b, plain)).toEqual({ agreement: 'agree', basis: 'tools' });
    expect(compareAnswers(a, view('It is sunny.'), plain)).toEqual({ agreement: 'disagree', basis: 'tools' });
  });
});

describe('answer shapes', () => {
  it('finds lettered options only when the prompt lists them', () => {
    expect(hasOptions(mc.prompt)).toBe(true);
    expect(hasOptions('A. single line only')).toBe(false);
  });
  it('reads the chosen letter', () => {
    expect(chosenLetter('The answer is B')).toBe('B');
    expect(chosenLetter('D) 6')).toBe('D');
    expect(chosenLetter('I think so.')).toBeUndefined();
  });
  it('reads the final number', () => {
    expect(finalNumber('Total: $1,250.50 in all')).toBe(1250.5);
    expect(finalNumber('The answer is 42. Checking: 40 + 2.')).toBe(42);
    expect(finalNumber('no digits')).toBeUndefined();
  });
});
