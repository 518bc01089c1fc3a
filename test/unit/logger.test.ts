// The production log destination: lines are buffered (one write per several lines), yet none waits long on a
// quiet gateway, none is lost, and the order holds. Writes to a real file descriptor, as stdout would be.
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createLogger, logBuffering } from '../../src/log/create-logger.js';
import { type LineBatch, lineBatch } from '../../src/log/line-batch.js';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; n?: number; apiKey?: string });

it('buffers lines, flushes a lone line within the flush period, and keeps every line in order', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-log-')), 'out.log');
  const fd = openSync(file, 'w');
  const logger = createLogger({ level: 'info', fd });
  const batch = (logger as unknown as Record<symbol, LineBatch>)[pino.symbols.streamSym]!;
  const stream = batch.writer as unknown as { sync: boolean; end(): void; once(e: 'close', f: () => void): void };
  try {
    expect(stream).toMatchObject({ sync: false });
    logger.info({ apiKey: 'sk-secret' }, 'lone line');
    expect(readFileSync(file, 'utf8')).toBe(''); // held back: under minLength, and no write is issued synchronously
    await expect.poll(() => lines(file).length, { timeout: 2_000, interval: logBuffering.periodicFlushMs / 4 }).toBe(1);
    expect(lines(file)[0]).toMatchObject({ msg: 'lone line', apiKey: '[redacted]' });

    const filler = 'x'.repeat(200);
    for (let n = 0; n < 300; n++) logger.info({ n, filler }, 'burst'); // ~75 KB: written in minLength-sized writes
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const burst = lines(file).slice(1);
    expect(burst.map((l) => l.n)).toEqual([...Array(300).keys()]);
  } finally {
    // The stream closes the descriptor itself and stops its flush timer; closing the fd under it would make the
    // next periodic flush write to a closed descriptor (EBADF, thrown outside any test).
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      batch.end();
    });
  }
});

it('hands lines to the writer joined, in order, once enough are held or the flush period passes', async () => {
  const texts: string[] = [];
  let synced = 0;
  const batch = lineBatch(
    { write: (t: string) => texts.push(t), flushSync: () => synced++ },
    { minLength: 10, flushMs: 20 },
  );
  try {
    batch.write('{"a":1}\n');
    expect(texts).toEqual([]); // 8 characters: held
    batch.write('{"b":2}\n');
    expect(texts).toEqual(['{"a":1}\n{"b":2}\n']); // one string for both
    batch.write('{"c":3}\n');
    await expect.poll(() => texts.length, { timeout: 1_000, interval: 5 }).toBe(2);
    expect(texts[1]).toBe('{"c":3}\n');
    batch.write('{"d":4}\n');
    batch.flushSync();
    expect(texts[2]).toBe('{"d":4}\n');
    expect(synced).toBe(1);
  } finally {
    batch.end();
  }
});
