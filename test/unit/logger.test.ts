// The production log destination: lines are buffered (one write per several lines), yet none waits long on a
// quiet gateway, none is lost, and the order holds. Writes to a real file descriptor, as stdout would be.
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createLogger, logBuffering } from '../../src/log/create-logger.js';
import { writeLine } from '../../src/log/write-line.js';

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

it("writes a summary line exactly as pino would, level and bindings included, and honours the logger's level", () => {
  const written: string[] = [];
  const destination = { write: (line: string) => written.push(line) };
  const logger = createLogger({ level: 'info', destination }).child({ reqId: 'r-1' });
  const summary = {
    route: 'auto',
    status: 200,
    attempts: [{ tier: 0, backend: 'b0', costUsd: '0.000001', ms: 1.5, gone: undefined }],
    skipped: undefined,
    ratio: Number.NaN,
  };
  logger.info(summary, 'request');
  writeLine(logger, 'info', summary, 'request');
  writeLine(logger, 'warn', { route: 'auto' }, 'request');
  const [byPino, ours, warn] = written.map((l) => l.replace(/"time":\d+/, '"time":0'));
  expect(ours).toBe(byPino);
  expect(JSON.parse(warn!)).toMatchObject({
    level: 40,
    reqId: 'r-1',
    service: 'sluice',
    route: 'auto',
    msg: 'request',
  });
  writeLine(createLogger({ level: 'error', destination }), 'warn', { route: 'auto' }, 'request');
  expect(written).toHaveLength(3);
});
