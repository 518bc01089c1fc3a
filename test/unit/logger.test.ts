// The production log destination: lines are buffered (one write per several lines), yet none waits long on a
// quiet gateway, none is lost, and the order holds. Writes to a real file descriptor, as stdout would be.
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createLogger, logBuffering } from '../../src/log/create-logger.js';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; n?: number; apiKey?: string });

it('buffers lines, flushes a lone line within the flush period, and keeps every line in order', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-log-')), 'out.log');
  const fd = openSync(file, 'w');
  const logger = createLogger({ level: 'info', fd });
  const stream = (
    logger as unknown as Record<
      symbol,
      { minLength: number; sync: boolean; end(): void; once(e: 'close', f: () => void): void }
    >
  )[pino.symbols.streamSym]!;
  try {
    expect(stream).toMatchObject({ minLength: logBuffering.minLength, sync: false });
    logger.info({ apiKey: 'sk-secret' }, 'lone line');
    expect(readFileSync(file, 'utf8')).toBe(''); // held back: under minLength, and no write is issued synchronously
    await expect.poll(() => lines(file).length, { timeout: 2_000, interval: logBuffering.periodicFlushMs / 4 }).toBe(1);
    expect(lines(file)[0]).toMatchObject({ msg: 'lone line', apiKey: '[redacted]' });

    const filler = 'x'.repeat(200);
    for (let n = 0; n < 100; n++) logger.info({ n, filler }, 'burst'); // ~25 KB: written in minLength-sized writes
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const burst = lines(file).slice(1);
    expect(burst.map((l) => l.n)).toEqual([...Array(100).keys()]);
  } finally {
    // The stream closes the descriptor itself and stops its flush timer; closing the fd under it would make the
    // next periodic flush write to a closed descriptor (EBADF, thrown outside any test).
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      stream.end();
    });
  }
});
