// Writes a log line whose fields are already JSON text (members without braces) through a pino logger: the level,
// time and bindings are pino's own, the line goes to pino's destination, and it reads exactly as the same fields
// logged as an object would. A logger configured to change lines (formatters, mixins, hooks, a message prefix,
// serializers or redaction of these keys) gets the object instead, so its configuration still applies.
import { type Logger, symbols } from 'pino';

type Level = 'info' | 'warn';
/** The pino logger a line goes through (fastify's request logger is one). */
export type LineLogger = Logger;
type Internals = Record<symbol, unknown>;
/** In pino's symbols since 8.14, not yet in its types. */
const msgPrefixSym = (symbols as unknown as Record<string, symbol>).msgPrefixSym!;

/**
 * The top-level keys the members may hold, and whether each holds a scalar (string, number, boolean) or an object
 * or array: a serializer or a redaction path on one of them applies.
 */
export type MemberKeys = Readonly<Record<string, 'scalar' | 'object'>>;

export function logMembers(logger: LineLogger, level: Level, members: string, msg: string, keys: MemberKeys): void {
  if (!logger.isLevelEnabled(level)) return;
  const l = logger as unknown as Internals;
  if (!plain(l, keys)) {
    logger[level](JSON.parse(`{${members}}`) as object, msg);
    return;
  }
  const head = (l[symbols.lsCacheSym] as Record<number, string>)[logger.levels.values[level]!]!;
  const time = (l[symbols.timeSym] as () => string)();
  const stream = l[symbols.streamSym] as { write(s: string): unknown };
  stream.write(
    `${head}${time}${l[symbols.chindingsSym] as string},${members},"msg":${JSON.stringify(msg)}${l[symbols.endSym] as string}`,
  );
}

/** Per key set, serializers and redaction stringifiers (a child logger shares its parent's): whether they are plain. */
const checked = new WeakMap<MemberKeys, WeakMap<object, WeakMap<object, boolean>>>();
const none = {};

/**
 * Whether pino would write these keys and the message as they are. A redaction path inside a key (`backend.apiKey`)
 * cannot change a scalar there: its stringifier, given a string, gives it back as JSON. One naming the key itself
 * (`backend`) censors it.
 */
function plain(l: Internals, keys: MemberKeys): boolean {
  const formatters = l[symbols.formattersSym] as { log?: unknown } | undefined;
  const hooks = l[symbols.hooksSym] as { streamWrite?: unknown } | undefined;
  const stream = l[symbols.streamSym] as Internals | undefined;
  if (
    !stream ||
    formatters?.log ||
    hooks?.streamWrite ||
    l[symbols.mixinSym] ||
    l[msgPrefixSym] ||
    l[symbols.nestedKeySym] ||
    l[symbols.messageKeySym] !== 'msg' ||
    (l[symbols.errorKeySym] as string) in keys ||
    stream[symbols.needsMetadataGsym] === true
  )
    return false;
  const serializers = (l[symbols.serializersSym] ?? none) as Record<string, unknown>;
  const stringifiers = (l[symbols.stringifiersSym] ?? none) as Record<string | symbol, (v: unknown) => unknown>;
  let byKeys = checked.get(keys);
  if (!byKeys) checked.set(keys, (byKeys = new WeakMap()));
  let bySerializers = byKeys.get(serializers);
  if (!bySerializers) byKeys.set(serializers, (bySerializers = new WeakMap()));
  let ok = bySerializers.get(stringifiers);
  if (ok === undefined) {
    ok =
      !stringifiers[symbols.wildcardFirstSym] &&
      Object.entries(keys).every(
        ([k, kind]) =>
          !serializers[k] &&
          (!stringifiers[k] || (kind === 'scalar' && stringifiers[k]('probe "1"') === JSON.stringify('probe "1"'))),
      );
    bySerializers.set(stringifiers, ok);
  }
  return ok;
}
