// The pino logger: JSON lines, secrets redacted wherever they could appear. Tests pass a capturing destination.
import { pino, type DestinationStream, type Logger } from 'pino';

export const redactPaths = [
  'req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-api-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["api-key"]', 'headers["x-api-key"]', 'headers.cookie',
  '*.apiKey', '*.authorization', 'apiKey', 'authorization',
];

export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino({ level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'sluice' } }, opts.destination);
}
