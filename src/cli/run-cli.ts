// The `sluice` subcommands, testable in-process: each writes to the given streams and returns an exit code
// (or null for serve, which keeps running).
import { ConfigError, configPathFrom, loadConfigFile } from '../config/load-config.js';
import { startServer } from '../server.js';
import { hashKey, mintKey } from '../tenants/key-registry.js';
import { calibrate, calibrateJudge, classifyStdin, trainDifficulty } from './model-commands.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin?: () => Promise<string>;
}

type Command = (args: string[], io: CliIo) => Promise<number | null>;

const commands: Record<string, Command> = {
  serve: async (args) => {
    await startServer(loadConfigFile(configPathFrom(flag(args, '--config'))));
    return null;
  },
  'train-difficulty': (args, io) =>
    trainDifficulty(
      {
        data: required(args, '--data'),
        out: flag(args, '--out') ?? 'models/difficulty.json',
        folds: Number(flag(args, '--folds') ?? 5),
      },
      io,
    ),
  'calibrate-judge': (args, io) =>
    calibrateJudge({ data: required(args, '--data'), out: flag(args, '--out') ?? 'models/judge.json' }, io),
  calibrate: (args, io) =>
    calibrate(
      {
        data: required(args, '--data'),
        share: Number(flag(args, '--strong-share') ?? 0.3),
        weights: flag(args, '--weights') ?? 'models/difficulty.json',
        cheap: prices(flag(args, '--cheap-price') ?? '0.6/0.6'),
        strong: prices(flag(args, '--strong-price') ?? '10/30'),
        outputTokens: Number(flag(args, '--output-tokens') ?? 256),
      },
      io,
    ),
  classify: (args, io) => classifyStdin({ weights: flag(args, '--weights') ?? 'models/difficulty.json' }, io),
  'hash-key': async (args, io) => {
    // `--new` mints a key; otherwise the key comes as an argument or on stdin. Only the hash goes in the config.
    const key = args.includes('--new')
      ? mintKey()
      : (args.find((a) => !a.startsWith('--')) ?? (await io.stdin?.())?.trim());
    if (!key) throw new UsageError('give a key, pipe one on stdin, or pass --new');
    if (args.includes('--new')) io.stdout(`key:    ${key}\n`);
    io.stdout(`sha256: ${hashKey(key)}\n`);
    return 0;
  },
  'check-config': async (args, io) => {
    const path = args.find((a) => !a.startsWith('--')) ?? configPathFrom(flag(args, '--config'));
    const loaded = loadConfigFile(path);
    io.stdout(
      `OK ${path}: ${count(loaded.config.backends.length, 'backend')}, ${count(loaded.config.routes.length, 'route')}\n`,
    );
    return 0;
  },
};

function required(args: string[], name: string): string {
  const v = flag(args, name);
  if (v === undefined) throw new UsageError(`${name} is required`);
  return v;
}

/** "IN/OUT" USD per million tokens. */
function prices(v: string): [number, number] {
  const [i, o] = v.split('/').map(Number);
  if (!Number.isFinite(i) || !Number.isFinite(o))
    throw new UsageError(`prices look like 0.6/0.6 (input/output USD per million tokens), got ${v}`);
  return [i!, o!];
}

class UsageError extends Error {}

export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runCli(argv: string[], io: CliIo): Promise<number | null> {
  const [name = 'serve', ...rest] = argv;
  const command = commands[name];
  if (!command) {
    io.stderr(`usage: sluice <${Object.keys(commands).join('|')}> [options]\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      io.stderr(`sluice ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
