// A bounded map that keeps what is in use, in two generations: new entries go to the young one; when it holds half
// the limit of entries or of weight it becomes the old one and the previous old one is dropped; an entry found in
// the old generation moves back to the young. So entries in use stay, about the limits are kept at most, and every
// operation is O(1). (A Map evicting its oldest key one at a time scans the deleted slots at its front on every
// eviction: about 7 µs an insert once full, instead of 0.1 µs.) Pure.

export class RecentMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private youngWeight = 0;

  /** `weigh` gives an entry's share of `maxWeight` (characters, bytes). */
  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
    private readonly weigh: (key: string, value: V) => number,
  ) {}

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.set(key, aged);
    }
    return aged;
  }

  set(key: string, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
    this.youngWeight += this.weigh(key, value);
    if (this.young.size * 2 >= this.maxEntries || this.youngWeight * 2 >= this.maxWeight) {
      this.old = this.young;
      this.young = new Map();
      this.youngWeight = 0;
    }
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.youngWeight = 0;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
