// NLTK word_tokenize's counts, which the paper's "in N words" criterion uses.
import { describe, expect, it } from 'vitest';
import { firstLineTooLong } from '../../src/judge/implied-length.js';
import { sentences, wordTokenize } from '../../src/judge/word-tokenize.js';

describe('wordTokenize (NLTK word_tokenize)', () => {
  it.each([
    ['Logistic regression baseline.', ['Logistic', 'regression', 'baseline', '.']],
    ['TF-IDF, NVDM.', ['TF-IDF', ',', 'NVDM', '.']],
    ['New state-of-the-art.', ['New', 'state-of-the-art', '.']],
    ['It costs 3,600 dollars.', ['It', 'costs', '3,600', 'dollars', '.']],
    ['Pi is 3.14 roughly', ['Pi', 'is', '3.14', 'roughly']],
    ["I can't say; it's John's.", ['I', 'ca', "n't", 'say', ';', 'it', "'s", 'John', "'s", '.']],
    ["We'll see (maybe)!", ['We', "'ll", 'see', '(', 'maybe', ')', '!']],
    ['He said "no" -- twice...', ['He', 'said', '``', 'no', "''", '--', 'twice', '...']],
    ['Yes. It is.', ['Yes', '.', 'It', 'is', '.']],
    ['Cannot, gonna stop', ['Can', 'not', ',', 'gon', 'na', 'stop']],
  ])('%s', (text, tokens) => {
    expect(wordTokenize(text)).toEqual(tokens);
  });

  it('splits sentences at a final mark before a capital, not after an initial or an abbreviation', () => {
    expect(sentences('It rained. Then it stopped! Why? J. Smith knows, Dr. Who too.')).toEqual([
      'It rained.',
      'Then it stopped!',
      'Why?',
      'J. Smith knows, Dr. Who too.',
    ]);
  });
});

describe("the paper's criterion on real-looking answers", () => {
  it('counts punctuation: 4 tokens are verbose for "in 3 words", 3 are not', () => {
    expect(firstLineTooLong('Logistic regression baseline.', 3)).toBe(true);
    expect(firstLineTooLong('TF-IDF, NVDM.', 3)).toBe(true);
    expect(firstLineTooLong('New state-of-the-art.', 3)).toBe(false);
  });
  it('removes ** and reads the first line only', () => {
    expect(firstLineTooLong('**Neural topic models**\nThey are a family of...', 3)).toBe(false);
    expect(firstLineTooLong('**Neural topic models.**', 3)).toBe(true);
  });
});
