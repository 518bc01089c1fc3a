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

export function loadO200k(): GptEncoding {
  const path = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
  const ranks = parseTiktokenRanks(readFileSync(path, 'latin1'));
  const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks);
  // The library memoizes the merges of up to 100,000 word pieces, unbounded by bytes (10-20 MB of a gateway's heap
  // once varied traffic has filled it). 20,000 keeps the common pieces of every language at a fraction of that.
  encoding.setMergeCacheSize(mergeCacheEntries);
  return encoding;
}

export const mergeCacheEntries = 20_000;
