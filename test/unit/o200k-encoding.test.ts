import { readFileSync } from 'node:fs';
import { encode as libraryEncode, vocabularySize } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { loadO200k, readTiktokenRanks } from '../../src/classify/o200k-encoding.js';

/** Deterministic text from a mix of scripts, emoji, code, numbers and odd whitespace. */
function mixedTexts(count: number): string[] {
  const pieces = [
    'The capital of France is Paris.',
    ' naïve café',
    'Привет, как дела?',
    '東京都の人口は',
    '😀👍🏽 family: 👨‍👩‍👧',
    'مرحبا بالعالم',
    'function f(x) { return x ** 2; }\n',
    '\t\t  ',
    '\r\n',
    '1234567.89',
    '<|endoftext|>',
    '\uFEFFbom',
    'ß ẞ İ ı',
    '   \n\n\n',
    '{"a": [1, 2, {"b": null}]}',
    'क्षत्रिय',
    '\u200b\u200d',
    'https://example.com/a?b=c&d=e',
    "don't won't I'm",
    'ÅÄÖ åäö',
  ];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const n = 1 + Math.floor(next() * 8);
    for (let j = 0; j < n; j++) s += pieces[Math.floor(next() * pieces.length)];
    out.push(s);
  }
  return out;
}

describe('o200k encoding from the shipped tiktoken data', () => {
  const o200k = loadO200k();
  const asText = { disallowedSpecial: new Set<string>() };

  it('encodes exactly as the library module does', () => {
    const fixture = JSON.parse(
      readFileSync(new URL('../fixtures/gsm8k-weak-answers.json', import.meta.url), 'utf8'),
    ) as unknown;
    const texts = [...mixedTexts(400), JSON.stringify(fixture), '', ' ', 'a'.repeat(5000)];
    for (const text of texts) expect(o200k.encode(text, asText), text).toEqual(libraryEncode(text, asText));
  });

  it('has the whole vocabulary, including tokens that are not UTF-8 alone', () => {
    expect(o200k.vocabularySize).toBe(vocabularySize);
    // Bytes that only mean something with their neighbours round-trip through the byte-level tokens.
    const text = `${'é'.repeat(3)}\u{10FFFF}${'\u{1F600}'.repeat(5)}`;
    expect(o200k.decode(o200k.encode(text))).toBe(text);
  });

  it('finds every text of the shipped table at its rank, and nothing else', () => {
    const path = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
    const file = readFileSync(path, 'latin1');
    const { texts, binary, count, length } = readTiktokenRanks(Buffer.from(file, 'latin1'));
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let checked = 0;
    for (const line of file.split('\n')) {
      if (line === '') continue;
      const [b64, n] = line.split(' ');
      const bytes = Buffer.from(b64!, 'base64');
      const rank = Number(n);
      let text: string | undefined;
      try {
        text = utf8.decode(bytes);
      } catch {
        text = undefined;
      }
      if (text === undefined) {
        if (texts.text(rank) !== undefined || binary[rank]?.join() !== [...bytes].join())
          expect([texts.text(rank), binary[rank]], String(rank)).toEqual([undefined, [...bytes]]);
      } else if (texts.get(text) !== rank || texts.text(rank) !== text || binary[rank] !== undefined)
        expect([texts.get(text), texts.text(rank), binary[rank]], text).toEqual([rank, text, undefined]);
      checked++;
    }
    expect([checked, count, length]).toEqual([199_998, 199_998, 199_998]);
    expect(binary.filter(Boolean)).toHaveLength(1_562); // ranks whose bytes are not UTF-8 alone
    for (const missing of ['', ' the quick brown fox', 'zzzzzzzzzzzzzzzzzzzz', '\u{10FFFF}\u{10FFFF}'])
      expect(texts.get(missing)).toBeUndefined();
    expect(texts.text(length + 5)).toBeUndefined();
  });

  it('reads the tiktoken line format and rejects anything else', () => {
    const read = (file: string) => {
      const r = readTiktokenRanks(Buffer.from(file));
      return Array.from({ length: r.length }, (_, rank) => r.texts.text(rank) ?? r.binary[rank]);
    };
    expect(read(`${Buffer.from('hi').toString('base64')} 0\n${Buffer.from([0xff]).toString('base64')} 1\n`)).toEqual([
      'hi',
      [0xff],
    ]);
    expect(read(`${Buffer.from([0xef, 0xbb, 0xbf]).toString('base64')} 0`)).toEqual(['\uFEFF']);
    // characters of 1 to 4 bytes side by side: each text starts where the one before it ends
    expect(read(['YQ== 2', 'w6k= 0', '4oKs 3', '8J+YgA== 1'].join('\n'))).toEqual([
      '\u00e9',
      '\u{1F600}',
      'a',
      '\u20ac',
    ]);
    // bytes a strict UTF-8 decoder refuses stay bytes: a surrogate, an overlong form, past U+10FFFF, cut short
    const refused = [
      [0xed, 0xa0, 0x80],
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0x80],
    ];
    const file = refused.map((b, rank) => `${Buffer.from(b).toString('base64')} ${rank}`).join('\n');
    expect(read(file)).toEqual(refused);
    expect(() => read('aGk= x\n')).toThrow(/bad rank/);
    expect(() => read('aGk= \n')).toThrow(/bad rank/);
    expect(() => read('no-space-here\n')).toThrow(/bad line/);
    expect(() => read('a!k= 0\n')).toThrow(/bad base64/);
    expect(() => read('aGk 0\n')).toThrow(/bad base64/);
  });
});

describe('long words', () => {
  it('counts a whitespace-free run past 1,024 characters in slices, within one token per slice of the exact count', async () => {
    const { countText } = await import('../../src/classify/count-tokens.js');
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const blob = Array.from({ length: 6_000 }, () => alphabet[Math.floor(rand() * 64)]).join('');
    const text = `data: ${blob} end of the line`;
    const exact = libraryEncode(text, { disallowedSpecial: new Set() }).length;
    const counted = countText(text, { exact: true }).tokens;
    expect(Math.abs(counted - exact)).toBeLessThanOrEqual(Math.ceil(blob.length / 512));
    // A run of one character is unaffected (its slices fall on token boundaries) and a 1 MB word is counted at all.
    expect(countText('x'.repeat(4_096), { exact: true }).tokens).toBe(libraryEncode('x'.repeat(4_096)).length);
    expect(countText('x'.repeat(1_000_000), { exact: true }).tokens).toBe(125_000);
  });
});
