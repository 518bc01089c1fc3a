// The o200k BPE, built from the rank table gpt-tokenizer ships as data (`data/o200k_base.tiktoken`, the format
// OpenAI's tiktoken publishes) rather than from its JavaScript module of the same table. Same encoder, same counts
// (a unit test holds the two to identical tokens); what differs is memory: an imported module's 4 MB source text
// and its compiled literals stay on the heap for the life of the process, a file read once is garbage after startup.
// About 5 MB of a gateway's resident memory, for a few tens of ms more at startup.
import { readFileSync } from 'node:fs';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/** One entry per rank: the token's text, or its bytes when they are not UTF-8 on their own. */
export function parseTiktokenRanks(file: string): (string | number[])[] {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const ranks: (string | number[])[] = [];
  let at = 0;
  while (at < file.length) {
    let end = file.indexOf('\n', at);
    if (end < 0) end = file.length;
    const space = file.indexOf(' ', at);
    if (space > at && space < end) {
      const bytes = Buffer.from(file.slice(at, space), 'base64');
      const rank = Number(file.slice(space + 1, end));
      if (!Number.isInteger(rank) || rank < 0) throw new Error(`tiktoken ranks: bad rank at offset ${at}`);
      try {
        ranks[rank] = utf8.decode(bytes);
      } catch {
        ranks[rank] = Array.from(bytes);
      }
    } else if (end > at) {
      throw new Error(`tiktoken ranks: bad line at offset ${at}`);
    }
    at = end + 1;
  }
  return ranks;
}

/**
 * The token texts of a rank table, looked up by text, in four flat arrays: every text in one string, where each
 * rank's text starts and how long it is, and an open-addressing hash table of ranks. The library's own lookup is a
 * Map of 200,000 strings: about 17 MB and 400,000 objects that every full collection marks again. This is about
 * 6 MB in a handful of objects; lookups are about as fast (a hash over the key's characters, then one comparison).
 */
export class RankTable {
  private readonly pool: string;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(ranks: readonly (string | number[] | undefined)[]) {
    this.starts = new Int32Array(ranks.length).fill(-1);
    this.lengths = new Int32Array(ranks.length);
    const texts: string[] = [];
    let at = 0;
    let count = 0;
    ranks.forEach((value, rank) => {
      if (typeof value !== 'string') return;
      this.starts[rank] = at;
      this.lengths[rank] = value.length;
      texts.push(value);
      at += value.length;
      count++;
    });
    this.pool = texts.join('');
    let size = 1;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size); // rank + 1; 0 is empty
    ranks.forEach((value, rank) => {
      if (typeof value !== 'string') return;
      let i = hashOf(value, 0, value.length) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = rank + 1;
    });
  }

  get(key: string): number | undefined {
    const n = key.length;
    for (let i = hashOf(key, 0, n) & this.mask; ; i = (i + 1) & this.mask) {
      const rank = this.slots[i]! - 1;
      if (rank < 0) return undefined;
      if (this.lengths[rank] === n && this.pool.startsWith(key, this.starts[rank])) return rank;
    }
  }

  /** The text of a rank, or undefined when it has none (no such rank, or bytes that are not UTF-8 alone). */
  text(rank: number): string | undefined {
    const start = this.starts[rank];
    return start === undefined || start < 0 ? undefined : this.pool.slice(start, start + this.lengths[rank]!);
  }
}

/** FNV-1a over UTF-16 code units. */
function hashOf(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What the library's byte-pair core holds that this module replaces (its field names, private in its types). */
interface BpeCore {
  bytePairStringRankEncoder: { get(key: string): number | undefined };
  bytePairRankDecoder: unknown;
  bytePairNonUtfRankDecoder: Map<number, Uint8Array>;
}

export function loadO200k(): GptEncoding {
  const path = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
  let ranks: (string | number[])[] | undefined = parseTiktokenRanks(readFileSync(path, 'latin1'));
  const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks!);
  const core = (encoding as unknown as { bytePairEncodingCoreProcessor: BpeCore }).bytePairEncodingCoreProcessor;
  if (!(core?.bytePairStringRankEncoder instanceof Map) || !Array.isArray(core.bytePairRankDecoder))
    throw new Error('gpt-tokenizer: its byte-pair core is not laid out as this version of Sluice expects');
  // The library's Map and its decoder array hold every token's string; both go, for the flat table. Decoding still
  // works: the decoder is read by rank, and the tokens that are not UTF-8 alone keep their own map.
  const table = new RankTable(ranks);
  const binary = core.bytePairNonUtfRankDecoder;
  core.bytePairStringRankEncoder = table;
  core.bytePairRankDecoder = new Proxy([], {
    get: (target, prop) => {
      if (typeof prop !== 'string' || !/^\d+$/.test(prop)) return Reflect.get(target, prop);
      const rank = Number(prop);
      return table.text(rank) ?? (binary.has(rank) ? binary.get(rank) : undefined);
    },
  });
  ranks = undefined;
  // The library memoizes the merges of up to 100,000 word pieces, unbounded by bytes (10-20 MB of a gateway's heap
  // once varied traffic has filled it). 20,000 keeps the common pieces of every language at a fraction of that.
  encoding.setMergeCacheSize(mergeCacheEntries);
  return encoding;
}

export const mergeCacheEntries = 20_000;
