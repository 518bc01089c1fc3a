// Composition root: builds logger, metrics, runtime (config, upstreams) and the HTTP routes, explicitly.
// Tests build the same app with fake upstream URLs and a capturing log destination.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load-config.js';
import { createFinisher } from './http/finish-request.js';
import { clientErrorHandler, registerErrorHandling, sendError } from './http/error-handler.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerInfoRoutes } from './http/info-routes.js';
import { Lifecycle } from './http/lifecycle.js';
import { unroutedLabel } from './cost/request-record.js';
import { routedHandler } from './http/routed-handler.js';
import { countTokensHandler } from './http/count-tokens-route.js';
import { messagesDoor } from './doors/messages.js';
import { responsesDoor } from './doors/responses.js';
import { SluiceError } from './errors/sluice-error.js';
import { createLogger } from './log/create-logger.js';
import { registerCors } from './http/cors.js';
import { registerJsonBody } from './http/json-body.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createRuntime, type Runtime } from './runtime.js';
import { createStateStore } from './state/create-store.js';
import { monitorStore } from './state/monitored-store.js';
import { InflightCounter } from './state/inflight-counter.js';
import { LatencyTracker } from './state/latency-tracker.js';
import { BackendHealth } from './health/backend-health.js';
import { TenantGate } from './tenants/tenant-gate.js';
import { QualityControl } from './quality/quality-control.js';
import { nanoToUsd } from './cost/pricing.js';
import { loadSpanRecorder } from './telemetry/span-recorder.js';

export interface AppOptions {
  loaded: LoadedConfig;
  /** Shadow sampling's coin (tests and benchmarks pass a seeded one). */
  random?: () => number;
  logger?: Logger;
  /** Node process metrics in the registry (off in tests that compare exact scrapes). */
  processMetrics?: boolean;
}

export interface Sluice {
  app: FastifyInstance;
  metrics: Metrics;
  lifecycle: Lifecycle;
  quality: QualityControl;
  runtime(): Runtime;
  /** Swaps in a new config atomically; requests in flight finish on the old one. */
  reload(loaded: LoadedConfig): void;
  /** Stops accepting, drains in-flight requests within the grace, closes pools. */
  close(): Promise<void>;
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

export function buildApp(opts: AppOptions): Sluice {
  const server = opts.loaded.config.server;
  const logger = opts.logger ?? createLogger({ level: server.logLevel });
  const metrics = createMetrics({ processMetrics: opts.processMetrics ?? true });
  const lifecycle = new Lifecycle();
  const stateConfig = opts.loaded.config.state;
  const monitor = monitorStore(createStateStore(stateConfig), (degraded) =>
    degraded
      ? logger.error(
          { state: stateConfig.driver },
          `state store unreachable: rate limits per replica, budgets ${stateConfig.driver === 'redis' && stateConfig.budgetsOnStoreFailure === 'open' ? 'open' : 'closed'}, cache bypassed, breakers local`,
        )
      : logger.info(
          { state: stateConfig.driver },
          'state store reachable again: shared limits, budgets, cache and breakers restored',
        ),
  );
  const store = monitor.store;
  // Keys minted through the admin API; a failed lookup is a 503 key_store_unavailable, and counted.
  const managedKeys = opts.loaded.adminKey
    ? {
        get: (sha: string) =>
          store.keyGet(sha).catch((err: unknown) => {
            metrics.stateStoreErrors.inc({ operation: 'key_get' });
            throw err;
          }),
      }
    : undefined;
  let runtime = createRuntime(opts.loaded, { ...(managedKeys && { managedKeys }) });
  for (const b of opts.loaded.config.backends) metrics.backendUp.set({ backend: b.id }, 1);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimitBytes,
    // A client that trickles its request must not hold a connection forever. Node enforces this only with a
    // headers timeout no longer than it, and checks on an interval (30 s by default): a quarter of the limit
    // keeps a timeout within 25 % of it.
    requestTimeout: server.requestTimeoutMs,
    ...(server.requestTimeoutMs > 0 && {
      http: {
        headersTimeout: Math.min(60_000, server.requestTimeoutMs),
        connectionsCheckingInterval: Math.min(30_000, Math.max(50, server.requestTimeoutMs / 4)),
      },
    }),
    clientErrorHandler: clientErrorHandler((error) => {
      metrics.requests.inc({ route: unroutedLabel, outcome: 'rejected' });
      logger.debug({ code: error.code }, 'request refused before routing');
    }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    return503OnClosing: false,
  });
  app.decorateRequest('sluiceRoute', undefined);
  app.decorateRequest('sluiceStartedAt', 0);
  app.decorateRequest('sluiceAccounted', false);
  app.decorateRequest('sluiceTenant', undefined);
  app.decorateRequest('sluiceDoor', undefined);
  const gate = new TenantGate(store, opts.loaded.config.state, {
    storeError: (operation) => metrics.stateStoreErrors.inc({ operation }),
    limited: (reason) => metrics.rateLimited.inc({ reason }),
  });
  const otlp = opts.loaded.config.telemetry.otlp;
  const spans = otlp
    ? loadSpanRecorder(
        otlp,
        () => runtime.backends,
        (err) => logger.error({ err }, 'OpenTelemetry could not be loaded: no spans are exported'),
      )
    : undefined;
  const finish = createFinisher(metrics, spans);

  app.addHook('onRequest', (request, reply, done) => {
    request.sluiceStartedAt = performance.now();
    reply.header('x-request-id', request.id);
    if (lifecycle.refusing && request.url.startsWith('/v1/')) {
      reply.header('connection', 'close');
      sendError(reply, new SluiceError('shutting_down', 'this replica is shutting down; retry'));
      return;
    }
    done();
  });
  registerJsonBody(app);
  registerCors(app, server.cors.origins);
  registerErrorHandling(app, {
    onError: (request, error) => {
      if (request.sluiceAccounted || !request.url.startsWith('/v1/')) return;
      request.sluiceAccounted = true;
      finish(request, {
        route: request.sluiceRoute ?? unroutedLabel,
        ...(request.sluiceDoor && { door: request.sluiceDoor }),
        ...(request.sluiceTenant && { tenant: request.sluiceTenant }),
        outcome: error.status >= 500 ? 'error' : 'rejected',
        status: error.status,
        durationMs: performance.now() - request.sluiceStartedAt,
        stream: false,
        attempts: [],
        escalations: [],
        errorCode: error.code,
      });
    },
  });
  const h = opts.loaded.config.health;
  const health = new BackendHealth(
    store,
    {
      transition: (backend, up, source) =>
        logger.warn({ backend, source }, up ? 'backend circuit closed' : 'backend circuit open: skipping it'),
      gauge: (backend, up) => metrics.backendUp.set({ backend }, up ? 1 : 0),
      storeError: (operation) => metrics.stateStoreErrors.inc({ operation }),
    },
    {
      enabled: h.enabled,
      syncMs: h.syncMs,
      settings: {
        consecutive: h.consecutiveFailures,
        window: h.window,
        minSamples: h.minSamples,
        failureRate: h.failureRate,
        baseCooldownMs: h.cooldownMs,
        maxCooldownMs: h.maxCooldownMs,
      },
    },
  );
  if (h.enabled) health.start(() => runtime.config.backends.map((b) => b.id));
  const quality = new QualityControl({
    store,
    log: logger,
    gauges: {
      estimate: (route, v) => metrics.qualityEstimate.set({ route }, v),
      target: (route, v) => metrics.qualityTarget.set({ route }, v),
      samples: (route, v) => metrics.qualitySamples.set({ route }, v),
      maxDifficulty: (route, v) => metrics.qualityMaxDifficulty.set({ route }, v),
      storeError: (operation) => metrics.stateStoreErrors.inc({ operation }),
    },
    counted: (route, outcome, costNano) => {
      metrics.shadowRequests.inc({ route, outcome });
      if (costNano > 0) metrics.shadowCost.inc({ route }, nanoToUsd(costNano));
    },
    ...(opts.random && { random: opts.random }),
  });
  quality.configure(opts.loaded.config);
  const deps = {
    runtime: () => runtime,
    metrics,
    lifecycle,
    finish,
    latency: new LatencyTracker(),
    inflight: new InflightCounter(),
    gate,
    health,
    store,
    quality,
    recordsSpans: spans !== undefined,
  };
  app.post('/v1/chat/completions', routedHandler('chat', deps));
  app.post('/v1/completions', routedHandler('completions', deps));
  app.post('/v1/embeddings', routedHandler('embeddings', deps));
  app.post('/v1/responses', routedHandler('chat', deps, responsesDoor));
  app.post('/v1/messages', routedHandler('chat', deps, messagesDoor));
  app.post(
    '/v1/messages/count_tokens',
    countTokensHandler(() => runtime),
  );
  if (opts.loaded.adminKey) registerAdminRoutes(app, { adminKey: opts.loaded.adminKey, store });
  registerInfoRoutes(app, {
    runtime: () => runtime,
    lifecycle,
    metrics,
    store,
    monitor,
    serveMetrics: server.metricsPort === undefined,
  });

  return {
    app,
    metrics,
    lifecycle,
    quality,
    runtime: () => runtime,
    reload(loaded) {
      const old = runtime;
      runtime = createRuntime(loaded, { ...(managedKeys && { managedKeys }) });
      quality.configure(loaded.config);
      void old.close();
    },
    async close() {
      lifecycle.draining = true;
      if (server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, server.drainDelayMs));
      lifecycle.refusing = true;
      const closing = app.close();
      await lifecycle.drain(server.shutdownGraceMs);
      app.server.closeAllConnections();
      await closing;
      health.stop();
      await quality.close();
      await spans?.close();
      await gate.flush(true);
      await runtime.close();
      await store.close();
    },
  };
}
