// Non-routed endpoints: liveness, readiness, the model list and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { modelNotFound } from '../errors/sluice-error.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Runtime } from '../runtime.js';
import type { StateStore } from '../state/store.js';
import type { StoreMonitor } from '../state/monitored-store.js';
import type { Lifecycle } from './lifecycle.js';

export function registerInfoRoutes(
  app: FastifyInstance,
  opts: {
    runtime: () => Runtime;
    lifecycle: Lifecycle;
    metrics: Metrics;
    store: StateStore;
    monitor: StoreMonitor;
    serveMetrics: boolean;
  },
): void {
  const created = Math.floor(Date.now() / 1000);
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready while the store answers or its declared fallback is in force (degraded); never blocks on the store.
  app.get('/readyz', async (_req, reply) => {
    const state = opts.store.kind;
    if (opts.lifecycle.draining) return reply.code(503).send({ status: 'draining', state });
    const reachable = await opts.store.ping().then(
      () => true,
      () => false,
    );
    return { status: 'ready', state, mode: reachable && !opts.monitor.degraded ? 'ok' : 'degraded' };
  });
  const models = () => {
    const { config } = opts.runtime();
    const routes = config.routes
      .flatMap((r) => [r.name, ...r.aliases.filter((a) => !a.endsWith('*'))])
      .map((id) => ({ id, object: 'model', created, owned_by: 'sluice' }));
    const pinned = config.backends.map((b) => ({
      id: b.id,
      object: 'model',
      created,
      owned_by: `sluice:${b.protocol}`,
    }));
    return [...routes, ...pinned];
  };
  app.get('/v1/models', async () => ({ object: 'list', data: models() }));
  // OpenAI's "retrieve model"; a wildcard, because names such as `meta-llama/Llama-3.1-8B` hold slashes.
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const id = request.params['*'];
    const found = models().find((m) => m.id === id);
    if (!found) throw modelNotFound(id);
    return found;
  });
  if (opts.serveMetrics) {
    app.get('/metrics', async (_req, reply) =>
      reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()),
    );
  }
}
