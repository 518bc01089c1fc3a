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
  it('writes a string between quotes as its JSON literal, across a full slab too', () => {
    const w = new ByteWriter();
    for (const t of ['', ' word1', 'caf\u00e9 \u{1F600}', 'x'.repeat(100), 'y'.repeat(70_000)]) {
      w.quoted(t);
      expect(taken(w).toString(), t.slice(0, 20)).toBe(JSON.stringify(t));
    }
  });
  it('writes integers in decimal', () => {
    const w = new ByteWriter();
    for (const n of [0, 1, 9, 10, 99, 100, 999, 1000, 12345, 1e6, 2 ** 31 - 1, 2 ** 40]) {
      w.uint(n);
      expect(taken(w).toString(), String(n)).toBe(String(n));
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
      writers[k]!.uint(i);
      expected[k] += `${piece}${i}`;
      if (next() % 5 === 0) got[k] += taken(writers[k]!).toString();
    }
    writers[0]!.bytes(Buffer.from('-'.repeat(100_000))); // one write larger than a slab
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
