// The `sluice` subcommands, testable in-process: each writes to the given streams and returns an exit code
// (or null for serve, which keeps running).
import { ConfigError, configPathFrom, loadConfigFile } from '../config/load-config.js';
import { startServer } from '../server.js';

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
  'check-config': async (args, io) => {
    const path = args.find((a) => !a.startsWith('--')) ?? configPathFrom(flag(args, '--config'));
    const loaded = loadConfigFile(path);
    io.stdout(`OK ${path}: ${loaded.config.backends.length} backends, ${loaded.config.routes.length} routes\n`);
    return 0;
  },
};

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
    throw err;
  }
}
