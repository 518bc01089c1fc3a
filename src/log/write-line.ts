// One pino line from an object Sluice builds itself (the request summary): pino's own prefix (level, time, the
// logger's bindings) and end around the object serialised by one native JSON.stringify, instead of pino's
// per-key serialiser (about 6 µs of a request's line). Only for objects whose keys Sluice sets, none of them
// a redacted path: no header, key or secret is ever in them. Any other logger is called as usual.
import { symbols } from 'pino';

/** A pino logger (or any logger with these methods, written to as usual). */
export interface LineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
  levels?: { values: Record<string, number> };
}

type PinoInternals = Record<symbol, unknown> & {
  [symbols.streamSym]?: { write(line: string): unknown };
  [symbols.lsCacheSym]?: Record<number, string>;
  [symbols.timeSym]?: () => string;
  [symbols.chindingsSym]?: string;
  [symbols.endSym]?: string;
  [symbols.messageKeySym]?: string;
};

export function writeLine(logger: LineLogger, level: 'info' | 'warn', obj: object, msg: string): void {
  const l = logger as unknown as PinoInternals;
  const stream = l[symbols.streamSym];
  const prefix = l[symbols.lsCacheSym]?.[logger.levels?.values[level] ?? -1];
  const time = l[symbols.timeSym];
  if (!stream || prefix === undefined || !time || l[symbols.chindingsSym] === undefined) {
    logger[level](obj, msg);
    return;
  }
  if (logger.isLevelEnabled?.(level) === false) return;
  const json = JSON.stringify(obj);
  const fields = json.length > 2 ? `,${json.slice(1, -1)}` : '';
  stream.write(
    `${prefix}${time()}${l[symbols.chindingsSym]}${fields},${JSON.stringify(l[symbols.messageKeySym] ?? 'msg')}:${JSON.stringify(msg)}${l[symbols.endSym] ?? '}\n'}`,
  );
}
