// The byte writer against Buffer.from: same bytes for text in every script, numbers, views that stay valid.
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/shared/byte-writer.js';

describe('ByteWriter', () => {
  it('writes text as UTF-8 exactly as Buffer.from does, ASCII or not', () => {
    const w = new ByteWriter();
    const texts = ['"plain"', '"h\u00e9 \u20ac"', '"\u{1F600}"', '"\u6771\u4eac"', 'a\ud800b', '', '\u00ff'];
    for (const t of texts) {
      w.text(t);
      expect(Buffer.from(w.take() ?? new Uint8Array()).toString('hex'), t).toBe(Buffer.from(t).toString('hex'));
    }
  });
  it('writes integers in decimal', () => {
    const w = new ByteWriter();
    for (const n of [0, 1, 9, 10, 99, 100, 999, 1000, 12345, 1e6, 2 ** 31 - 1, 2 ** 40]) {
      w.uint(n);
      expect(Buffer.from(w.take()!).toString(), String(n)).toBe(String(n));
    }
  });
  it('keeps views handed out intact while later bytes fill and outgrow the slab', () => {
    const w = new ByteWriter();
    const views: Array<[Uint8Array, string]> = [];
    let expected = '';
    for (let i = 0; i < 3000; i++) {
      const piece = `event ${i} ${'x'.repeat(i % 97)}|`;
      w.text(piece);
      w.uint(i);
      expected += `${piece}${i}`;
      if (i % 7 === 0) views.push([w.take()!, expected]);
      if (i % 7 === 0) expected = '';
    }
    w.bytes(Buffer.from('-'.repeat(40_000))); // one write past a whole slab
    views.push([w.take()!, `${expected}${'-'.repeat(40_000)}`]);
    for (const [view, text] of views) expect(Buffer.from(view).toString()).toBe(text);
    expect(w.take()).toBeUndefined();
  });
});

describe('ByteWriter growth', () => {
  it('copies bytes that are never taken a bounded number of times, not once per write', () => {
    const w = new ByteWriter();
    const copy = Buffer.prototype.copy;
    let copied = 0;
    Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
      const n = copy.apply(this, args);
      copied += n;
      return n;
    };
    try {
      for (let i = 0; i < 20_000; i++) w.text('"a token"');
    } finally {
      Buffer.prototype.copy = copy;
    }
    const total = 20_000 * 9;
    expect(w.take()!.length).toBe(total);
    expect(copied).toBeLessThan(2 * total);
  });
});
