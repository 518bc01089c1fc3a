// The bounded map behind the token-count cache and the in-memory response cache.
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { RecentMap } from '../../src/shared/recent-map.js';

describe('RecentMap', () => {
  it('keeps the entries in use and at most about its limit of entries', () => {
    const map = new RecentMap<number>(100, 1e9, () => 1);
    map.set('system prompt', 7);
    for (let i = 0; i < 5_000; i++) {
      map.set(`message ${i}`, i);
      if (i % 40 === 0) expect(map.get('system prompt')).toBe(7); // used every 40 entries: never dropped
      expect(map.size).toBeLessThanOrEqual(100);
    }
    expect(map.get('message 4999')).toBe(4999);
    expect(map.get('message 10')).toBeUndefined();
  });
  it('keeps at most about its limit of weight', () => {
    const map = new RecentMap<string>(1_000, 1_000, (key, value) => key.length + value.length);
    for (let i = 0; i < 100; i++) map.set(`${i}`, 'x'.repeat(100));
    expect(map.size).toBeLessThanOrEqual(10); // 1,000 characters of 100-character values
    expect(map.get('99')).toBe('x'.repeat(100));
  });
  it('replaces, deletes and clears', () => {
    const map = new RecentMap<number>(4, 1e9, () => 1);
    map.set('a', 1);
    map.set('b', 2); // 'a' and 'b' now in the old generation
    map.set('a', 3);
    expect(map.get('a')).toBe(3);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    expect(map.get('b')).toBe(2);
    map.clear();
    expect(map.size).toBe(0);
  });
  it("bounds the in-memory store's cached answers by size, not only by count", async () => {
    const store = createMemoryStore();
    const answer = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 200; i++) await store.cacheSet(`k${i}`, answer, 60_000); // 200 MB offered
    expect(await store.cacheGet('k199')).toBe(answer);
    expect(await store.cacheGet('k0')).toBeUndefined();
  });
});
