// The SSE parser against line ends split across chunks, comments, multi-byte characters and cut streams.
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../src/upstream/sse-parser.js';

function parse(chunks: Array<string | Uint8Array>): SseEvent[] {
  const p = createSseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
}

/** Every way to cut `text` in two. */
function allSplits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('createSseParser', () => {
  const expected = [{ data: '{"a":1}' }, { data: '[DONE]' }];
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CR', '\r'],
    ['CRLF', '\r\n'],
  ] as const) {
    it(`parses ${name} line ends split at every position`, () => {
      const text = `data: {"a":1}${eol}${eol}data: [DONE]${eol}${eol}`;
      for (const chunks of allSplits(text)) expect(parse(chunks)).toEqual(expected);
    });
  }
  it('parses CR, LF and CRLF mixed in one stream, split at every position', () => {
    const text = 'data: a\r\ndata: b\n\rdata: c\r\r: note\r\ndata: [DONE]\n\n';
    for (const chunks of allSplits(text))
      expect(parse(chunks)).toEqual([{ data: 'a\nb' }, { data: 'c' }, { data: '[DONE]' }]);
  });
  it('parses one byte at a time', () => {
    const text = 'data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n';
    expect(parse(text.split(''))).toEqual(expected);
  });
  it('ignores comments and unknown fields, keeps event and id', () => {
    expect(parse([': keep-alive\n\nretry: 10\nevent: error\nid: 7\ndata: x\n\n'])).toEqual([
      { data: 'x', event: 'error', id: '7' },
    ]);
  });
  it('joins multi-line data with LF and accepts "data:" without a space', () => {
    expect(parse(['data:a\ndata: b\n\n'])).toEqual([{ data: 'a\nb' }]);
    expect(parse(['data: a\ndata: b\ndata: c\n\ndata: d\n\n'])).toEqual([{ data: 'a\nb\nc' }, { data: 'd' }]);
    expect(parse(['data:\n\n'])).toEqual([{ data: '' }]); // an empty data line is still an event
  });
  it('decodes a multi-byte character split across chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo €\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign
    expect(parse([bytes.slice(0, cut), bytes.slice(cut)])).toEqual([{ data: 'héllo €' }]);
  });
  it('flushes a last event that has no closing blank line (missing [DONE], cut stream)', () => {
    expect(parse(['data: {"a":1}\n\ndata: {"b":2}'])).toEqual([{ data: '{"a":1}' }, { data: '{"b":2}' }]);
  });
  it('produces nothing for blank input', () => {
    expect(parse(['\n\n\r\n'])).toEqual([]);
  });
});
