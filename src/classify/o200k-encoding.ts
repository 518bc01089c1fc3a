// The o200k BPE, built from the rank table gpt-tokenizer ships as data (`data/o200k_base.tiktoken`, the format
// OpenAI's tiktoken publishes) rather than from its JavaScript module of the same table. Same encoder, same counts
// (a unit test holds the two to identical tokens); what differs is memory:
// - an imported module's 4 MB source text and its compiled literals stay on the heap for the life of the process;
// - the library looks token texts up in a Map of 200,000 strings: about 17 MB and 400,000 objects that every full
//   collection marks again. Here they are a flat table of about 6 MB in a handful of objects (`RankTable`), read
//   straight from the file's bytes, so not even startup makes a string per token.
import { readFileSync } from 'node:fs';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/**
 * Token texts looked up by text: every text in one string, where each rank's text starts in it and how long it is,
 * and an open-addressing hash table of ranks. A lookup hashes the key's characters and compares it in place.
 */
export class RankTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `starts[rank]` is -1 for a rank without a text. */
  constructor(
    private readonly pool: string,
    private readonly starts: Int32Array,
    private readonly lengths: Int32Array,
  ) {
    let count = 0;
    for (const start of starts) if (start >= 0) count++;
    let size = 1;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size); // rank + 1; 0 is empty
    for (let rank = 0; rank < starts.length; rank++) {
      const start = starts[rank]!;
      if (start < 0) continue;
      let i = hashOf(pool, start, start + lengths[rank]!) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = rank + 1;
    }
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

export interface TiktokenRanks {
  /** Every rank whose bytes are UTF-8 on their own, by its text. */
  texts: RankTable;
  /** The other ranks' bytes, by rank (sparse). */
  binary: number[][];
  /** Ranks in the file, both kinds. */
  count: number;
  /** One more than the highest rank. */
  length: number;
}

const BASE64 = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  BASE64[c.charCodeAt(0)] = i;

/**
 * Reads the tiktoken format (per line: a token's bytes in base64, a space, its rank) from the file's bytes in one
 * pass, with no object per token: the bytes of the tokens that are UTF-8 on their own go one after another into
 * one buffer, decoded once into the table's string.
 */
export function readTiktokenRanks(file: Uint8Array): TiktokenRanks {
  const out = Buffer.allocUnsafe(Math.ceil((file.length * 3) / 4));
  let starts = new Int32Array(1024).fill(-1); // by rank: the text's start in UTF-16 units, or -1
  let lengths = new Int32Array(1024);
  const binary: number[][] = [];
  let written = 0; // bytes of texts in `out`
  let units = 0; // their UTF-16 length
  let count = 0;
  let length = 0;
  let from = 0;
  while (from < file.length) {
    let end = file.indexOf(10, from);
    if (end < 0) end = file.length;
    const space = file.indexOf(32, from);
    if (space > from && space < end) {
      const tokenStart = written;
      const decoded = decodeBase64(file, from, space, out, written);
      if (decoded < 0) throw new Error(`tiktoken ranks: bad base64 at offset ${from}`);
      let rank = 0;
      for (let i = space + 1; i < end; i++) {
        const d = file[i]! - 48;
        if (d < 0 || d > 9 || rank > 1e9) throw new Error(`tiktoken ranks: bad rank at offset ${from}`);
        rank = rank * 10 + d;
      }
      if (end === space + 1) throw new Error(`tiktoken ranks: bad rank at offset ${from}`);
      if (rank >= starts.length) {
        const grownStarts = new Int32Array(Math.max(rank + 1, starts.length * 2)).fill(-1);
        grownStarts.set(starts);
        const grownLengths = new Int32Array(grownStarts.length);
        grownLengths.set(lengths);
        starts = grownStarts;
        lengths = grownLengths;
      }
      const n = utf16Units(out, tokenStart, tokenStart + decoded);
      if (n >= 0) {
        starts[rank] = units;
        lengths[rank] = n;
        units += n;
        written += decoded;
      } else binary[rank] = Array.from(out.subarray(tokenStart, tokenStart + decoded));
      count++;
      length = Math.max(length, rank + 1);
    } else if (end > from) {
      throw new Error(`tiktoken ranks: bad line at offset ${from}`);
    }
    from = end + 1;
  }
  const pool = out.toString('utf8', 0, written);
  return { texts: new RankTable(pool, starts.subarray(0, length), lengths.subarray(0, length)), binary, count, length };
}

/** Decodes base64 from `src[from, to)` into `out` at `at`; the number of bytes, or -1 when it is not base64. */
function decodeBase64(src: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number {
  let end = to;
  while (end > from && src[end - 1] === 61 /* = */) end--;
  if ((to - from) % 4 !== 0 || to - end > 2) return -1;
  let bits = 0;
  let have = 0;
  let n = 0;
  for (let i = from; i < end; i++) {
    const v = BASE64[src[i]!]!;
    if (v < 0) return -1;
    bits = (bits << 6) | v;
    have += 6;
    if (have >= 8) {
      have -= 8;
      out[at + n++] = (bits >> have) & 0xff;
    }
  }
  return n;
}

/**
 * The UTF-16 length of `b[from, to)` when it is well-formed UTF-8 (what a fatal decoder accepts: no overlong forms,
 * surrogates or code points past U+10FFFF, no cut sequence), else -1.
 */
function utf16Units(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      n++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return -1;
    if (i + need >= to) return -1; // cut short
    const second = b[i + 1]!;
    if (second < lo || second > hi) return -1;
    for (let k = 2; k <= need; k++) if ((b[i + k]! & 0xc0) !== 0x80) return -1;
    i += need + 1;
    n += need === 3 ? 2 : 1;
  }
  return n;
}

/** What the library's byte-pair core holds that this module replaces (its field names; private in its types). */
interface BpeCore {
  bytePairStringRankEncoder: { get(key: string): number | undefined };
  bytePairRankDecoder: unknown;
  bytePairNonUtfRankDecoder: Map<number, Uint8Array>;
  mergeableBytePairRankCount: number;
}

/**
 * The o200k encoding. The library is handed only the ranks that are not UTF-8 alone (it keeps those in structures
 * of its own, about 1,500 of them), then its text lookup and its decoder are pointed at the table, so it never
 * holds a string per token. Encoding, counting and decoding behave as the library's own o200k module.
 */
export function loadO200k(): GptEncoding {
  const path = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
  const { texts, binary, count, length } = readTiktokenRanks(readFileSync(path));
  const ranks: number[][] = binary;
  ranks.length = length; // its highest rank bounds the library's token values
  const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks);
  const core = (encoding as unknown as { bytePairEncodingCoreProcessor: BpeCore }).bytePairEncodingCoreProcessor;
  if (!(core?.bytePairStringRankEncoder instanceof Map) || core.bytePairRankDecoder !== ranks)
    throw new Error('gpt-tokenizer: its byte-pair core is not laid out as this version of Sluice expects');
  const bytes = core.bytePairNonUtfRankDecoder;
  core.bytePairStringRankEncoder = texts;
  core.bytePairRankDecoder = new Proxy(ranks, {
    get: (target, prop) => {
      if (typeof prop !== 'string' || !/^\d+$/.test(prop)) return Reflect.get(target, prop);
      const rank = Number(prop);
      return texts.text(rank) ?? (bytes.has(rank) ? target[rank] : undefined);
    },
  });
  // The vocabulary size the library reports is counted from what it was handed.
  const handed = core.mergeableBytePairRankCount;
  core.mergeableBytePairRankCount = count;
  (encoding as { vocabularySize: number }).vocabularySize += count - handed;
  // The library memoizes the merges of up to 100,000 word pieces, unbounded by bytes (10-20 MB of a gateway's heap
  // once varied traffic has filled it). 20,000 keeps the common pieces of every language at a fraction of that.
  encoding.setMergeCacheSize(mergeCacheEntries);
  return encoding;
}

export const mergeCacheEntries = 20_000;
