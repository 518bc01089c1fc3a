// The pino logger: JSON lines, secrets redacted wherever they could appear. Tests pass a capturing destination.
import { pino, type DestinationStream, type Logger } from 'pino';
import { lineBatch } from './line-batch.js';

/**
 * Where a secret could appear in a log object. Exact paths only: wildcards make pino scan every line's nested
 * objects (about 10 µs per request line), and Sluice never logs headers or keys except under these names.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["api-key"]',
  'headers["x-api-key"]',
  'headers.cookie',
  'apiKey',
  'authorization',
  'backend.apiKey',
];

/**
 * Without a destination, logs go to stdout asynchronously: a slow log reader must never stall the event loop
 * (a full pipe blocks a synchronous write). Lines are gathered (log/line-batch.ts) up to `minLength` bytes before
 * they go, joined, to sonic-boom, which hands each batch to the thread pool, and `periodicFlushMs` bounds how long
 * a line waits on a quiet gateway: one hand-off per several requests instead of one per line (each costs thread
 * wake-ups, which dominate at low concurrency). What is held is written synchronously when the process exits;
 * `logger.flush()` runs on shutdown.
 */
// 16 KiB, sonic-boom's largest single write: each batch is then one write of its own, never appended to another.
export const logBuffering = { minLength: 16 * 1024, periodicFlushMs: 100 };

export function createLogger(opts: { level: string; destination?: DestinationStream; fd?: number }): Logger {
  const destination =
    opts.destination ??
    // minLength 1: each batch is written as it comes, and flush() waits for the writes in flight (at 0 it would not).
    lineBatch(pino.destination({ dest: opts.fd ?? 1, sync: false, minLength: 1 }), {
      minLength: logBuffering.minLength,
      flushMs: logBuffering.periodicFlushMs,
    });
  return pino(
    { level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'sluice' } },
    destination,
  );
}
