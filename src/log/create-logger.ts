// The pino logger: JSON lines, secrets redacted wherever they could appear. Tests pass a capturing destination.
import { pino, type DestinationStream, type Logger } from 'pino';

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
 * (a full pipe blocks a synchronous write). Lines are gathered up to `minLength` bytes before a write is handed
 * to the thread pool, and `periodicFlushMs` bounds how long a line waits on a quiet gateway: one hand-off per
 * several requests instead of one per line (each costs thread wake-ups, which dominate at low concurrency).
 * pino writes what is left synchronously when the process exits; `logger.flush()` runs on shutdown.
 */
export const logBuffering = { minLength: 4096, periodicFlushMs: 100 };

export function createLogger(opts: { level: string; destination?: DestinationStream; fd?: number }): Logger {
  const destination =
    opts.destination ??
    pino.destination({
      dest: opts.fd ?? 1,
      sync: false,
      minLength: logBuffering.minLength,
      periodicFlush: logBuffering.periodicFlushMs,
    });
  return pino(
    { level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'sluice' } },
    destination,
  );
}
