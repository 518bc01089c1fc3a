// Every metric Sluice exports, by name, in one place. Each app instance builds its own Registry.
// Labels come only from bounded, configured sets (route names, backend ids, tier numbers, fixed enums).
import { Registry, collectDefaultMetrics } from 'prom-client';
import { IndexedCounter as Counter, IndexedGauge as Gauge, IndexedHistogram as Histogram } from './fast-metrics.js';

/** LLM latencies: tens of milliseconds to minutes. */
export const latencyBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
/** Time spent inside Sluice: tens of microseconds to tens of milliseconds. */
export const overheadBuckets = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05];

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'sluice_requests_total',
      help: 'Requests by route and outcome.',
      labelNames: ['route', 'outcome'],
      registers: r,
    }),
    reprefill: new Counter({
      name: 'sluice_reprefill_tokens_total',
      help: 'Prompt tokens paid again because a conversation moved off the backend holding its prompt cache.',
      labelNames: ['route', 'backend'],
      registers: r,
    }),
    doorRequests: new Counter({
      name: 'sluice_door_requests_total',
      help: 'Requests by client protocol (door) and the protocol of the backend that answered (none: no answer).',
      labelNames: ['door', 'protocol'],
      registers: r,
    }),
    attempts: new Counter({
      name: 'sluice_attempts_total',
      help: 'Upstream attempts by route, tier, backend and outcome.',
      labelNames: ['route', 'tier', 'backend', 'outcome'],
      registers: r,
    }),
    escalations: new Counter({
      name: 'sluice_escalations_total',
      help: 'Moves from one tier to the next, by reason.',
      labelNames: ['route', 'from_tier', 'to_tier', 'reason'],
      registers: r,
    }),
    tokens: new Counter({
      name: 'sluice_tokens_total',
      help: 'Tokens paid for, every attempt included.',
      labelNames: ['route', 'backend', 'type'],
      registers: r,
    }),
    cost: new Counter({
      name: 'sluice_cost_usd_total',
      help: 'Dollars spent, every attempt included.',
      labelNames: ['route', 'backend'],
      registers: r,
    }),
    baselineCost: new Counter({
      name: 'sluice_baseline_cost_usd_total',
      help: 'What the same requests would have cost on the route baseline.',
      labelNames: ['route'],
      registers: r,
    }),
    routed: new Counter({
      name: 'sluice_routed_total',
      help: 'Routing decisions by size class, difficulty band and start tier.',
      labelNames: ['route', 'size_class', 'difficulty_band', 'start_tier'],
      registers: r,
    }),
    requestDuration: new Histogram({
      name: 'sluice_request_duration_seconds',
      help: 'Whole request time as the client sees it.',
      labelNames: ['route', 'outcome'],
      buckets: latencyBuckets,
      registers: r,
    }),
    ttft: new Histogram({
      name: 'sluice_time_to_first_token_seconds',
      help: 'Time to the first token sent to the client (streams).',
      labelNames: ['route', 'backend'],
      buckets: latencyBuckets,
      registers: r,
    }),
    upstreamDuration: new Histogram({
      name: 'sluice_upstream_duration_seconds',
      help: 'Upstream attempt time.',
      labelNames: ['backend', 'outcome'],
      buckets: latencyBuckets,
      registers: r,
    }),
    overhead: new Histogram({
      name: 'sluice_gateway_overhead_seconds',
      help: 'Time spent in Sluice itself, upstream waits excluded.',
      labelNames: ['route'],
      buckets: overheadBuckets,
      registers: r,
    }),
    classification: new Histogram({
      name: 'sluice_classification_duration_seconds',
      help: 'Time to classify a request.',
      buckets: overheadBuckets,
      registers: r,
    }),
    verbosity: new Histogram({
      name: 'sluice_verbosity_score',
      help: 'Verbosity-compensation score of judged answers.',
      labelNames: ['route', 'backend'],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers: r,
    }),
    inflight: new Gauge({
      name: 'sluice_inflight_requests',
      help: 'Requests in progress.',
      labelNames: ['route'],
      registers: r,
    }),
    backendUp: new Gauge({
      name: 'sluice_backend_up',
      help: '1 while the backend circuit is closed, 0 while open.',
      labelNames: ['backend'],
      registers: r,
    }),
    rateLimited: new Counter({
      name: 'sluice_rate_limited_total',
      help: 'Requests refused by a limit.',
      labelNames: ['reason'],
      registers: r,
    }),
    cache: new Counter({
      name: 'sluice_cache_requests_total',
      help: 'Response cache lookups.',
      labelNames: ['result'],
      registers: r,
    }),
    stateStoreErrors: new Counter({
      name: 'sluice_state_store_errors_total',
      help: 'State store failures, by operation.',
      labelNames: ['operation'],
      registers: r,
    }),
    shadowRequests: new Counter({
      name: 'sluice_shadow_requests_total',
      help: 'Shadow samples by outcome (agree, disagree, undecided, error, skipped_budget).',
      labelNames: ['route', 'outcome'],
      registers: r,
    }),
    shadowCost: new Counter({
      name: 'sluice_shadow_cost_usd_total',
      help: 'Dollars spent on shadow calls (and the agreement judge), apart from the cascade.',
      labelNames: ['route'],
      registers: r,
    }),
    qualityEstimate: new Gauge({
      name: 'sluice_quality_estimate',
      help: 'Share of delivered answers matching the strongest tier, over the shadow window.',
      labelNames: ['route'],
      registers: r,
    }),
    qualityTarget: new Gauge({
      name: 'sluice_quality_target',
      help: 'The quality the route is set to hold.',
      labelNames: ['route'],
      registers: r,
    }),
    qualitySamples: new Gauge({
      name: 'sluice_quality_samples',
      help: 'Decided shadow samples in the window.',
      labelNames: ['route'],
      registers: r,
    }),
    qualityMaxDifficulty: new Gauge({
      name: 'sluice_quality_max_difficulty',
      help: 'Difficulty up to which a typical request starts on the cheapest tier (self-set threshold; 0 in cold start).',
      labelNames: ['route'],
      registers: r,
    }),
    configReloads: new Counter({
      name: 'sluice_config_reloads_total',
      help: 'Config reloads on SIGHUP.',
      labelNames: ['result'],
      registers: r,
    }),
  };
}
