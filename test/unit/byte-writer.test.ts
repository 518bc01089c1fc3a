// The byte writer against Buffer.from: same bytes for text in every script, numbers, views that stay valid while
// other writers share the slab and slabs fill.
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/shared/byte-writer.js';

const taken = (w: ByteWriter) => Buffer.concat(w.take() ?? []);

describe('ByteWriter', () => {
  it('writes text as UTF-8 exactly as Buffer.from does, ASCII or not', () => {
    const w = new ByteWriter();
    const long = 'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1"}}\n\n';
    const texts = [
      ...['"plain"', '"h\u00e9 \u20ac"', '"\u{1F600}"', '"\u6771\u4eac"', 'a\ud800b', '', '\u00ff'],
      // Longer than a token: encoded natively, ASCII or not, a lone surrogate included.
      ...[long, `${long}\u00e9\u{1F600}`, `${'\u6771'.repeat(70)}\ud800`, long.repeat(2000)],
    ];
    for (const t of texts) {
      w.text(t);
      expect(taken(w).toString('hex'), t).toBe(Buffer.from(t).toString('hex'));
    }
  });
  it('writes an event around a string: quoted as its JSON literal or as it is, across a full slab too', () => {
    const w = new ByteWriter();
    const head = Buffer.from('data: {"delta":');
    const tail = Buffer.from('}');
    const texts = [
      '',
      ' word1',
      'caf\u00e9 \u{1F600}',
      '\u00e9 first',
      'a\ud800b',
      'x'.repeat(100),
      'y'.repeat(70_000),
    ];
    for (const t of texts) {
      w.around(head, t, true, tail);
      expect(taken(w).toString('hex'), t.slice(0, 20)).toBe(Buffer.from(`data: {"delta":"${t}"}`).toString('hex'));
      const literal = JSON.stringify(t);
      w.around(head, literal, false, tail);
      expect(taken(w).toString(), t.slice(0, 20)).toBe(`data: {"delta":${literal}}`);
    }
  });
  it('writes the sequence number in decimal, and the end after it', () => {
    const w = new ByteWriter();
    const end = Buffer.from('}\n\n');
    for (const n of [0, 1, 9, 10, 99, 100, 999, 1000, 12345, 1e6, 2 ** 31 - 1, 2 ** 40]) {
      w.around(Buffer.from('{'), 't', true, Buffer.from(',"n":'), n, end);
      expect(taken(w).toString(), String(n)).toBe(`{"t","n":${n}}\n\n`);
    }
  });
  it('keeps every writer its own bytes in order while writers interleave and slabs fill', () => {
    const writers = [new ByteWriter(), new ByteWriter(), new ByteWriter()];
    const expected = ['', '', ''];
    const got = ['', '', ''];
    let seed = 3;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const k = next() % 3;
      const piece = `<${k}:${i}:${'x'.repeat(next() % 200)}>`;
      writers[k]!.text(piece);
      writers[k]!.around(Buffer.from('['), 'w', true, Buffer.from(':'), i, Buffer.from(']'));
      expected[k] += `${piece}["w":${i}]`;
      if (next() % 5 === 0) got[k] += taken(writers[k]!).toString();
    }
    writers[0]!.text('-'.repeat(100_000)); // one write larger than a slab
    expected[0] += '-'.repeat(100_000);
    for (let k = 0; k < 3; k++) got[k] += taken(writers[k]!).toString();
    expect(got).toEqual(expected);
    expect(writers[1]!.take()).toBeUndefined();
  });
  it('never changes a view it handed out', () => {
    const a = new ByteWriter();
    const b = new ByteWriter();
    a.text('first');
    const [view] = a.take()!;
    for (let i = 0; i < 10_000; i++) (i % 2 ? a : b).text('overwrite?');
    expect(Buffer.from(view!).toString()).toBe('first');
  });
});
