// Runs Sluice as a process: listen, optional separate metrics port, SIGTERM/SIGINT drain, SIGHUP reload.
import { createServer, type Server } from 'node:http';
import { buildApp, type Sluice } from './app.js';
import { withoutCredentials } from './config/egress-proxy.js';
import { ConfigError, loadConfigFile, type LoadedConfig } from './config/load-config.js';
import { createLogger } from './log/create-logger.js';

export interface Running {
  sluice: Sluice;
  port: number;
  stop(): Promise<void>;
}

export async function startServer(loaded: LoadedConfig): Promise<Running> {
  const logger = createLogger({ level: loaded.config.server.logLevel });
  const sluice = buildApp({ loaded, logger });
  const { app } = sluice;
  const { host, port, metricsPort } = loaded.config.server;
  const address = await app.listen({ host, port });
  const metricsServer = metricsPort === undefined ? undefined : await serveMetrics(sluice, host, metricsPort);
  warnIfOpen(sluice, loaded);
  app.log.info(
    {
      address,
      config: loaded.source,
      routes: loaded.config.routes.map((r) => r.name),
      backends: loaded.config.backends.map(backendLabel(loaded)),
    },
    'sluice listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.log.info(
        { inflight: sluice.lifecycle.inflightCount, graceMs: loaded.config.server.shutdownGraceMs },
        'draining',
      );
      await sluice.close();
      metricsServer?.close();
      app.log.info('stopped');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    })());
  const onSignal = (signal: string) => {
    app.log.info({ signal }, 'shutdown requested');
    void stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('SIGHUP', () => reloadFromFile(sluice, loaded.source));
  return { sluice, port: Number(new URL(address).port), stop };
}

/** Reloads the config file into a running app: a valid file replaces the config atomically, an invalid one is
 * refused and the old config stays. Either way it is counted and logged. */
export function reloadFromFile(sluice: Sluice, source: string): boolean {
  try {
    sluice.reload(loadConfigFile(source));
    sluice.metrics.configReloads.inc({ result: 'ok' });
    sluice.app.log.info({ config: source }, 'config reloaded');
    return true;
  } catch (err) {
    sluice.metrics.configReloads.inc({ result: 'error' });
    const problems = err instanceof ConfigError ? err.problems : [String(err)];
    sluice.app.log.error({ config: source, problems }, 'config reload failed; keeping the old config');
    return false;
  }
}

/** "id (protocol)", and the egress proxy it is reached through (credentials left out). */
function backendLabel(loaded: LoadedConfig): (b: LoadedConfig['config']['backends'][number]) => string {
  return (b) => {
    const proxy = loaded.proxies.get(b.id);
    return `${b.id} (${b.protocol})${proxy ? ` via proxy ${withoutCredentials(proxy)}` : ''}`;
  };
}

function warnIfOpen(sluice: Sluice, loaded: LoadedConfig): void {
  for (const w of loaded.warnings) sluice.app.log.warn(w);
  if (loaded.config.keys.length === 0)
    sluice.app.log.warn('no virtual keys configured: the gateway is OPEN to anyone who can reach it');
  if (loaded.config.backends.some((b) => b.protocol === 'mock')) {
    sluice.app.log.warn('config uses simulated (mock) backends: answers are generated locally, not by a real model');
  }
}

async function serveMetrics(sluice: Sluice, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    sluice.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': sluice.metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
