// The pino logger: JSON lines, secrets redacted wherever they could appear. Tests pass a capturing destination.
import { pino, type DestinationStream, type Logger } from 'pino';

export const redactPaths = [
  'req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-api-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["api-key"]', 'headers["x-api-key"]', 'headers.cookie',
  '*.apiKey', '*.authorization', 'apiKey', 'authorization',
];

/**
 * Without a destination, logs go to stdout asynchronously: a slow log reader must never stall the event loop
 * (a full pipe blocks a synchronous write). `logger.flush()` runs on shutdown so the last lines are kept.
 */
export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: false });
  return pino({ level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'sluice' } }, destination);
}
