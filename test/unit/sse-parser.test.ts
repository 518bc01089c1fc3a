// The SSE parser against line ends split across chunks, comments, multi-byte characters and cut streams.
import { describe, expect, it } from 'vitest';
import { createSseParser, createUtf8Reader, type SseEvent } from '../../src/upstream/sse-parser.js';

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

describe('createUtf8Reader', () => {
  /** What the streaming UTF-8 decoder makes of the same reads: the reader must agree with it byte for byte. */
  const reference = (reads: Uint8Array[]) => {
    const d = new TextDecoder('utf-8');
    return reads.map((r) => d.decode(r, { stream: true })).join('') + d.decode();
  };
  const read = (reads: Uint8Array[]) => {
    const r = createUtf8Reader();
    return reads.map((c) => r.read(c)).join('') + r.end();
  };
  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const samples = {
    ascii: bytes('data: {"content":"plain"}\n\n'),
    mixed: bytes('data: h\u00e9 \u20ac \u6771\u4eac \ud83d\ude00 ok\n\n'),
    // a lone continuation byte, a lead byte cut by ASCII, an overlong form, bytes no UTF-8 has, a cut 4-byte form
    invalid: bytes('a', [0x80], 'b', [0xe2, 0x82], 'c', [0xc0, 0xaf], 'd', [0xff, 0xfe], 'e', [0xf0, 0x9f, 0x98]),
  };
  for (const [name, all] of Object.entries(samples)) {
    it(`reads ${name} bytes cut into three reads at every pair of positions as the UTF-8 decoder does`, () => {
      for (let i = 0; i <= all.length; i++)
        for (let j = i; j <= all.length; j++) {
          const reads = [all.subarray(0, i), all.subarray(i, j), all.subarray(j)];
          expect(read(reads)).toBe(reference(reads));
        }
    });
  }
  it('reads one byte at a time, and plain Uint8Arrays as well as Buffers', () => {
    const all = Buffer.concat([samples.mixed, samples.ascii, samples.invalid, samples.ascii]);
    const reads = [...all].map((b) => new Uint8Array([b]));
    expect(read(reads)).toBe(reference(reads));
    const views = [new Uint8Array(samples.ascii), new Uint8Array(samples.mixed).subarray(3)];
    expect(read(views)).toBe(reference(views));
  });
  it('keeps a character that ends a read and starts the next, even when the next read is ASCII', () => {
    const euro = Buffer.from('\u20ac');
    expect(read([bytes('x', [euro[0]!]), euro.subarray(1), bytes('yz')])).toBe('x\u20acyz');
    expect(read([bytes('x', [euro[0]!, euro[1]!]), bytes('yz')])).toBe('x\ufffdyz'); // cut, then ASCII: replaced
  });
});

describe('the verbatim start of a read', () => {
  const verbatimOf = (chunks: Array<string | Uint8Array>, until?: string) => {
    const p = createSseParser(until);
    return chunks.map((c) => p.push(c).verbatim);
  };
  it('is the whole read when every event is one `data: ` line and a blank line, LF ends', () => {
    const read = 'data: {"a":1}\n\ndata: h\u00e9 \u20ac\n\n';
    expect(verbatimOf([read])).toEqual([{ text: read, count: 2 }]);
    expect(verbatimOf([Buffer.from(read)])).toEqual([{ text: read, count: 2 }]); // decoded bytes too
  });
  it('stops before the first event whose framing would not come out the same re-written', () => {
    const head = 'data: a\n\n';
    for (const rest of [
      'data: b\r\n\r\n', // CRLF
      'data: b\r\r',
      'data:b\n\n', // no space
      'data: b\ndata: c\n\n', // two data lines
      ': ping\n\ndata: b\n\n', // a comment
      'event: x\ndata: b\n\n', // another field
      'id: 1\ndata: b\n\n',
      '\ndata: b\n\n', // an extra blank line
      'data: b\n', // the read ends inside an event
      'data: b',
    ]) {
      expect(verbatimOf([head + rest]), JSON.stringify(rest)).toEqual([{ text: head, count: 1 }]);
      expect(verbatimOf([rest]), JSON.stringify(rest)).toEqual([undefined]);
    }
  });
  it('stops before the event named as its end', () => {
    expect(verbatimOf(['data: a\n\ndata: [DONE]\n\ndata: b\n\n'], '[DONE]')).toEqual([
      { text: 'data: a\n\n', count: 1 },
    ]);
    expect(verbatimOf(['data: [DONE]\n\n'], '[DONE]')).toEqual([undefined]);
  });
  it('is nothing when the read starts inside an event or a line end the previous read began', () => {
    expect(verbatimOf(['data: a\n\ndata: b', '\n\ndata: c\n\n', 'data: d\n\n'])).toEqual([
      { text: 'data: a\n\n', count: 1 },
      undefined,
      { text: 'data: d\n\n', count: 1 },
    ]);
    expect(verbatimOf(['data: a\n\r', '\ndata: b\n\n'])).toEqual([undefined, undefined]); // CRLF split across reads
  });
  it('is always what re-framing its events would write, at every split of a stream', () => {
    const text = 'data: {"a":1}\n\ndata: x\n\n: c\n\ndata: y\r\n\r\ndata: z\n\ndata: [DONE]\n\n';
    for (const [x, y] of allSplits(text)) {
      const p = createSseParser('[DONE]');
      for (const batch of [p.push(x!), p.push(y!)]) {
        if (!batch.verbatim) continue;
        const { text: verbatim, count } = batch.verbatim;
        const framed = batch.slice(0, count).map((e) => `data: ${e.data}\n\n`);
        expect(framed.join('')).toBe(verbatim);
        expect(batch.slice(0, count).map((e) => e.data)).not.toContain('[DONE]');
      }
    }
  });
});
