#!/usr/bin/env node
// The `sluice` command: serve (default) and check-config.
import { ConfigError, configPathFrom, loadConfigFile } from './config/load-config.js';
import { startServer } from './server.js';

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: async (args) => {
    const loaded = loadConfigFile(configPathFrom(flag(args, '--config')));
    await startServer(loaded);
    return -1; // keep running
  },
  'check-config': async (args) => {
    const path = args.find((a) => !a.startsWith('--')) ?? configPathFrom(flag(args, '--config'));
    const loaded = loadConfigFile(path);
    process.stdout.write(`OK ${path}: ${loaded.config.backends.length} backends, ${loaded.config.routes.length} routes\n`);
    return 0;
  },
};

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  const command = commands[name];
  if (!command) {
    process.stderr.write(`usage: sluice [${Object.keys(commands).join('|')}] [--config FILE]\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); }, (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
