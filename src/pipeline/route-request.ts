// The request path after a door: classify → plan → tenant admission → cascade (judge included) → health and
// latency records → accounting → settlement; shadow sampling once the client has its answer. It knows no wire
// format and no HTTP framework: the body is the pipeline's one internal form (a chat completions body; a door's
// own request rides along in `native` for backends that speak it), and the caller gives it the stream sink and
// the cancel signal. Throws SluiceErrors for requests no tier can take.
import { performance } from 'node:perf_hooks';
import { runCascade } from '../cascade/run-cascade.js';
import type { CascadeResult, StreamSink } from '../cascade/types.js';
import { difficultyBand, type Profile, profileRequest, type SizeClass } from '../classify/profile.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import { accountRequest, type RequestCost } from '../cost/account-request.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { BackendHealth } from '../health/backend-health.js';
import type { Metrics } from '../metrics/metrics.js';
import type { QualityControl } from '../quality/quality-control.js';
import { type Plan, planRoute } from '../route/plan.js';
import { baselineBackendId } from '../route/resolve-target.js';
import type { Runtime } from '../runtime.js';
import type { AnswerView, JudgeFn } from '../shared/answer.js';
import type { AttemptRecord } from '../shared/attempt-record.js';
import type { NativeRequest } from '../shared/native-request.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { InflightCounter } from '../state/inflight-counter.js';
import type { LatencyTracker } from '../state/latency-tracker.js';
import { admitTenant } from '../tenants/admit-tenant.js';
import type { Tenant } from '../tenants/key-registry.js';
import type { TenantGate } from '../tenants/tenant-gate.js';
import type { Cancel } from '../upstream/cancel.js';
import { asksForStructure, requestJudge } from './request-judge.js';
import { conversationKey } from '../route/conversation-key.js';
import type { StateStore } from '../state/store.js';

export interface PipelineDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  latency: LatencyTracker;
  inflight: InflightCounter;
  gate: TenantGate;
  health: BackendHealth;
  quality: QualityControl;
  store: StateStore;
}

export interface PipelineRequest {
  requestId: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  endpoint: EndpointKind;
  /** The internal form: a chat completions (or completions, embeddings) body. */
  body: Record<string, unknown>;
  route: RouteConfig;
  tenant: Tenant | undefined;
  minTier: number | undefined;
  stream: boolean;
  clientWantsUsage: boolean;
  signal: Cancel;
  native?: NativeRequest;
  /** The client's bytes, when `body` is their parse (sent on spliced, not re-serialised). */
  raw?: Buffer;
  trace?: TraceContext;
  /** The client's x-session-id header (a conversation key, for prompt-cache affinity). */
  sessionId?: unknown;
  /** The stream's sink, made once the request is classified (its headers name size and difficulty). */
  sink?: (profile: Profile) => StreamSink;
  /** Streams: an extra chunk before the end with the decision and the bill (x-sluice-explain). */
  explainChunk?: (o: {
    profile: Profile;
    plan: Plan;
    attempts: readonly AttemptRecord[];
    head: object;
    cost: RequestCost;
  }) => string;
  /** Headers the tenant's admission adds (rate-limit state). */
  admitted?: (headers: Record<string, string>) => void;
}

export interface Routed {
  profile: Profile;
  plan: Plan;
  result: CascadeResult;
  cost: RequestCost;
  /** The conversation's cached backend, whether it answered, and the prompt tokens paid again elsewhere. */
  affinity?: { backend: string; kept: boolean; reprefillTokens: number };
  /** Starts shadow sampling for the delivered answer, when the route has a quality target. */
  shadow(answer: AnswerView | undefined): void;
}

export function createPipeline(deps: PipelineDeps) {
  // Made once, not per request: the request path allocates only what a request needs.
  const isHealthy = (id: string) => deps.health.isHealthy(id);
  const observedFirstTokenMs = (b: string, size: SizeClass) => deps.latency.firstTokenMs(b, size);
  const busy = (b: string) => deps.inflight.count(b);
  const storeError = (operation: string) => deps.metrics.stateStoreErrors.inc({ operation });

  return async function routeRequest(req: PipelineRequest): Promise<Routed> {
    const rt = deps.runtime();
    const { route, endpoint, body, tenant } = req;
    const classifyStart = performance.now();
    const profile = profileRequest(endpoint, body, {
      defaultMaxOutputTokens: route.defaultMaxOutputTokens,
      sizeEdges: rt.config.classifier.sizeEdges,
      contextWindows: rt.contextWindows(route),
      // Difficulty only matters where there is a tier to choose.
      ...(route.tiers.length > 1 && { model: rt.difficulty }),
    });
    deps.metrics.classification.observe((performance.now() - classifyStart) / 1000);
    // Only prompts long enough for a provider to cache them have a cache worth staying with.
    const key =
      route.promptCache.affinity && endpoint === 'chat' && profile.inputTokens >= route.promptCache.minTokens
        ? conversationKey(body, req.sessionId)
        : undefined;
    const conversation = key && `affinity:${route.name}:${key}`;
    const held = conversation ? await readAffinity(deps.store, conversation, storeError) : undefined;
    const planInput = {
      route,
      profile,
      endpoint,
      backends: rt.backends,
      minTier: req.minTier,
      isHealthy,
      observedFirstTokenMs,
      turn: rt.turn,
      busy,
      ...(held && { affinity: held }),
      ...(route.quality && {
        startsCheap: (r: RouteConfig, p: Profile) => deps.quality.startsCheap(r, p, rt.backends),
      }),
    };
    const fullPlan = planRoute(planInput);
    if (fullPlan.tiers.length === 0) throw emptyPlanError(fullPlan, profile, endpoint);
    const { plan, admission } = tenant
      ? await admitTenant({
          gate: deps.gate,
          tenant,
          route,
          profile,
          plan: fullPlan,
          downgraded: () => planRoute({ ...planInput, budgetLow: true }),
        })
      : { plan: fullPlan, admission: undefined };
    if (admission) req.admitted?.(admission.headers);
    deps.metrics.routed.inc({
      route: route.name,
      size_class: profile.sizeClass,
      difficulty_band: difficultyBand(profile.difficulty),
      start_tier: String(plan.tiers[0]!.index),
    });

    const baseline = rt.backends.get(baselineBackendId(route))!;
    const sink = req.stream ? req.sink?.(profile) : undefined;
    const explainChunk = req.explainChunk;
    const explain =
      explainChunk &&
      ((attempts: readonly AttemptRecord[], head: object) =>
        explainChunk({
          profile,
          plan,
          attempts,
          head,
          cost: accountRequest(attempts, attempts[attempts.length - 1], baseline),
        }));
    const judged =
      endpoint !== 'embeddings' && plan.tiers.length > 1 && !(req.stream && route.streaming.mode === 'direct');
    const judge: JudgeFn | undefined =
      judged || route.quality ? requestJudge(route, body, profile, rt.verbosity) : undefined;
    deps.metrics.inflight.inc({ route: route.name });
    let result: CascadeResult;
    try {
      result = await runCascade(
        {
          requestId: req.requestId,
          endpoint,
          body,
          route,
          plan,
          profile,
          signal: req.signal,
          clientWantsUsage: req.clientWantsUsage,
          startedAt: req.startedAt,
          ...(sink && { sink }),
          ...(explain && { explain }),
          ...(req.native && { native: req.native }),
          ...(req.raw && { raw: req.raw }),
          ...(req.trace && { trace: req.trace }),
        },
        { upstreams: rt.upstreams, inflight: deps.inflight, now: () => performance.now(), ...(judged && { judge }) },
        {
          judge: judged,
          holdbackTokens:
            route.streaming.mode === 'holdback' && !asksForStructure(body) ? route.streaming.holdbackTokens : 'all',
          logprobs: route.judge.logprobs && body.logprobs !== true,
        },
      );
    } finally {
      deps.metrics.inflight.dec({ route: route.name });
    }
    for (const a of result.attempts) {
      if (a.firstEventMs !== undefined || a.outcome === 'accepted')
        deps.latency.record(a.backend, profile.sizeClass, a.firstEventMs ?? a.durationMs);
      if (a.outcome !== 'aborted' && (a.outcome !== 'failed' || a.healthFailure))
        deps.health.record(a.backend, a.outcome !== 'failed');
    }
    const cost = accountRequest(result.attempts, result.delivered, baseline);
    const delivered = result.outcome === 'ok' ? result.delivered : undefined;
    if (conversation && delivered)
      void deps.store
        .cacheSet(
          conversation,
          JSON.stringify({ backend: delivered.backend, tier: delivered.tier }),
          route.promptCache.ttlSeconds * 1000,
        )
        .catch(() => storeError('affinity_set'));
    const affinity = held && {
      backend: held.backend,
      kept: delivered?.backend === held.backend,
      reprefillTokens:
        delivered && delivered.backend !== held.backend
          ? Math.max(0, delivered.usage.input - delivered.usage.cachedInput)
          : 0,
    };
    if (tenant)
      deps.gate.settle(
        tenant,
        admission,
        result.attempts.reduce((n, a) => n + a.usage.input + a.usage.output, 0),
        cost.costNano,
      );
    const shadow = (answer: AnswerView | undefined) => {
      if (route.quality && answer && result.delivered && endpoint !== 'embeddings') {
        deps.quality.afterAnswer({
          requestId: req.requestId,
          endpoint,
          body,
          route,
          profile,
          startTier: plan.tiers[0]!.index,
          attempts: result.attempts,
          delivered: result.delivered,
          answer,
          costNano: cost.costNano,
          judge,
          backends: rt.backends,
          upstreams: rt.upstreams,
          isHealthy,
        });
      }
    };
    return { profile, plan, result, cost, shadow, ...(affinity && { affinity }) };
  };
}

async function readAffinity(
  store: StateStore,
  key: string,
  storeError: (operation: string) => void,
): Promise<{ backend: string; tier: number } | undefined> {
  const text = await store.cacheGet(key).catch(() => {
    storeError('affinity_get');
    return undefined;
  });
  if (text === undefined) return undefined;
  const v = JSON.parse(text) as { backend?: unknown; tier?: unknown };
  return typeof v.backend === 'string' && typeof v.tier === 'number' ? { backend: v.backend, tier: v.tier } : undefined;
}

function emptyPlanError(plan: Plan, profile: Profile, endpoint: EndpointKind): SluiceError {
  if (plan.skipped.some((s) => s.reason === 'context')) {
    return new SluiceError(
      'context_length_exceeded',
      `This request needs about ${profile.inputTokens + profile.outputTokens} tokens (${profile.inputTokens} in the prompt, ${profile.outputTokens} for the answer), more than any backend of the route can hold.`,
      { param: 'messages' },
    );
  }
  return new SluiceError('unsupported_endpoint', `The route has no backend serving ${endpoint}.`, { param: 'model' });
}
