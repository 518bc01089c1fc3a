// The pino logger: JSON lines, secrets redacted wherever they could appear. Tests pass a capturing destination.
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Where a secret could appear in a log object. Exact paths only: wildcards make pino scan every line's nested
 * objects (about 10 µs per request line), and Sluice never logs headers or keys except under these names.
 */
export const redactPaths = [
  'req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-api-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["api-key"]', 'headers["x-api-key"]', 'headers.cookie',
  'apiKey', 'authorization', 'backend.apiKey',
];

/**
 * Without a destination, logs go to stdout asynchronously: a slow log reader must never stall the event loop
 * (a full pipe blocks a synchronous write). `logger.flush()` runs on shutdown so the last lines are kept.
 */
export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: false });
  return pino({ level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'sluice' } }, destination);
}
