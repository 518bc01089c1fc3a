// The request path for the routed endpoints: validate → classify → plan → cascade → account → respond.
// Handlers throw SluiceErrors; the error handler writes them. Every request leaves one record (metrics + log).
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AttemptRecord } from '../shared/attempt-record.js';
import { runCascade } from '../cascade/run-cascade.js';
import type { CascadeResult } from '../cascade/types.js';
import type { AnswerView } from '../shared/answer.js';
import { difficultyBand, profileRequest, type Profile, type SizeClass } from '../classify/profile.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import { accountRequest } from '../cost/account-request.js';
import { SluiceError, modelNotFound } from '../errors/sluice-error.js';
import type { Metrics } from '../metrics/metrics.js';
import { planRoute, type Plan } from '../route/plan.js';
import { baselineBackendId } from '../route/resolve-target.js';
import type { Runtime } from '../runtime.js';
import type { InflightCounter } from '../state/inflight-counter.js';
import type { LatencyTracker } from '../state/latency-tracker.js';
import type { TenantGate } from '../tenants/tenant-gate.js';
import type { BackendHealth } from '../health/backend-health.js';
import { admitTenant } from '../tenants/admit-tenant.js';
import type { Lifecycle } from './lifecycle.js';
import { explain, wantsExplain } from './explain.js';
import { probeCache, sendCached, storeAnswer, type CacheProbe, type CachedAnswer } from './response-cache.js';
import { priceUsage } from '../cost/pricing.js';
import type { StateStore } from '../state/store.js';
import { asksForStructure, requestJudge } from './request-judge.js';
import type { RequestRecord } from '../cost/request-record.js';
import { costHeaders, failureHeaders, routingHeaders } from './sluice-headers.js';
import { createSseSink } from './sse-sink.js';
import { checkDepth, validateBody } from './validate-body.js';
import { answerFromJson } from '../cascade/json-attempt.js';
import type { QualityControl } from '../quality/quality-control.js';
import type { Door, DoorContext } from '../doors/door.js';
import { keepItems, resolveItems } from './door-items.js';
import { randomUUID } from 'node:crypto';

export interface RoutedDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  lifecycle: Lifecycle;
  latency: LatencyTracker;
  inflight: InflightCounter;
  gate: TenantGate;
  health: BackendHealth;
  store: StateStore;
  quality: QualityControl;
  /** Writes the metrics and the summary log line for a finished request. */
  finish: (request: FastifyRequest, record: RequestRecord) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request is routed; the error handler uses it to account requests that fail early. */
    sluiceRoute: string | undefined;
    sluiceStartedAt: number;
    sluiceAccounted: boolean;
    sluiceTenant: string | undefined;
    /** The client protocol the request came through (chat, completions, embeddings, messages, responses). */
    sluiceDoor: string | undefined;
  }
}

const bypass: CacheProbe = { result: 'bypass' };

/**
 * `door`: a client protocol other than the endpoint's own (Anthropic Messages, OpenAI Responses), translated to
 * a chat completions body on the way in and from the chat answer (or stream) on the way out.
 */
export function routedHandler(endpoint: EndpointKind, deps: RoutedDeps, door?: Door) {
  const doorName = door?.name ?? endpoint;
  // Made once, not per request: the request path allocates only what a request needs.
  const storeError = (operation: string) => deps.metrics.stateStoreErrors.inc({ operation });
  const isHealthy = (id: string) => deps.health.isHealthy(id);
  const observedFirstTokenMs = (b: string, size: SizeClass) => deps.latency.firstTokenMs(b, size);
  const busy = (b: string) => deps.inflight.count(b);
  return async function handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const startedAt = request.sluiceStartedAt;
    request.sluiceDoor = doorName;
    const rt = deps.runtime();
    const tenant = await rt.keys.authenticate(request.headers);
    request.sluiceTenant = tenant?.name;
    // A door validates its own shape and builds a well-formed chat body: it is not checked a second time.
    const body = door
      ? door.toChat(await doorBody(door, request.body, deps.store, storeError))
      : validateBody(endpoint, request.body);
    const model = body.model as string;
    const target = rt.resolveTarget(model);
    if (!target) throw modelNotFound(model);
    rt.keys.authorize(tenant, model, target.route.name);
    const route = target.route;
    request.sluiceRoute = route.name;
    const stream = endpoint !== 'embeddings' && body.stream === true;
    const clientWantsUsage =
      (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
    // The cache holds chat completions answers; a door's answers are not cached (yet).
    const cache =
      route.cache.enabled && !door
        ? await probeCache({
            store: deps.store,
            route,
            endpoint,
            body,
            optIn: request.headers['x-sluice-cache'] === 'true',
            storeError,
          })
        : bypass;
    if (route.cache.enabled && !door) {
      deps.metrics.cache.inc({ result: cache.result });
      reply.header('x-sluice-cache', cache.result);
    }
    if (cache.result === 'hit') {
      if (tenant) reply.headers((await deps.gate.admit(tenant, { tokens: 0, route: route.name })).headers);
      return answerFromCache(request, reply, { deps, rt, route, answer: cache.answer, stream, clientWantsUsage });
    }
    const classifyStart = performance.now();
    const profile = profileRequest(endpoint, body, {
      defaultMaxOutputTokens: route.defaultMaxOutputTokens,
      sizeEdges: rt.config.classifier.sizeEdges,
      contextWindows: rt.contextWindows(route),
      // Difficulty only matters where there is a tier to choose.
      ...(route.tiers.length > 1 && { model: rt.difficulty }),
    });
    deps.metrics.classification.observe((performance.now() - classifyStart) / 1000);
    const planInput = {
      route,
      profile,
      endpoint,
      backends: rt.backends,
      minTier: minTierHeader(request),
      isHealthy,
      observedFirstTokenMs,
      turn: rt.turn,
      busy,
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
    if (admission) reply.headers(admission.headers);
    deps.metrics.routed.inc({
      route: route.name,
      size_class: profile.sizeClass,
      difficulty_band: difficultyBand(profile.difficulty),
      start_tier: String(plan.tiers[0]!.index),
    });

    const doorCtx: DoorContext | undefined = door && {
      id: randomUUID().replaceAll('-', ''),
      model,
      inputTokens: profile.inputTokens,
      request: request.body as Record<string, unknown>,
      now: Date.now(),
    };
    const translator = door?.stream(doorCtx!);
    const sink = stream
      ? createSseSink(reply, (info) => routingHeaders(route.name, profile, info), translator)
      : undefined;
    const keeps = door?.items?.keeps(request.body as Record<string, unknown>) === true;
    const explaining = wantsExplain(request.headers['x-sluice-explain']);
    const baseline = rt.backends.get(baselineBackendId(route))!;
    const streamExplain =
      explaining && stream && !door
        ? (attempts: readonly AttemptRecord[], head: object) => {
            const delivered = attempts[attempts.length - 1];
            const cost = accountRequest(attempts, delivered, baseline);
            return JSON.stringify({
              ...head,
              choices: [],
              sluice: explain({ route: route.name, profile, plan, attempts, delivered, cost }),
            });
          }
        : undefined;
    const judged = endpoint !== 'embeddings' && plan.tiers.length > 1 && !(stream && route.streaming.mode === 'direct');
    const judge = judged || route.quality ? requestJudge(route, body, profile, rt.verbosity) : undefined;
    const abort = deps.lifecycle.track(reply);
    deps.metrics.inflight.inc({ route: route.name });
    let result: CascadeResult;
    try {
      result = await runCascade(
        {
          requestId: String(request.id),
          endpoint,
          body,
          route,
          plan,
          profile,
          signal: abort.signal,
          clientWantsUsage,
          startedAt,
          ...(sink && { sink }),
          ...(streamExplain && { explain: streamExplain }),
          ...(door?.native && {
            native: door.native(request.body as Record<string, unknown>, request.headers),
          }),
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
      abort.dispose();
      deps.metrics.inflight.dec({ route: route.name });
    }
    for (const a of result.attempts) {
      if (a.firstEventMs !== undefined || a.outcome === 'accepted')
        deps.latency.record(a.backend, profile.sizeClass, a.firstEventMs ?? a.durationMs);
      if (a.outcome !== 'aborted' && (a.outcome !== 'failed' || a.healthFailure))
        deps.health.record(a.backend, a.outcome !== 'failed');
    }
    const cost = accountRequest(result.attempts, result.delivered, baseline);
    if (tenant)
      deps.gate.settle(
        tenant,
        admission,
        result.attempts.reduce((n, a) => n + a.usage.input + a.usage.output, 0),
        cost.costNano,
      );
    request.sluiceAccounted = true;
    const finish = () =>
      deps.finish(
        request,
        toRecord({ door: doorName, tenant: tenant?.name, route, result, profile, plan, stream, startedAt, cost, rt }),
      );
    if (result.outcome === 'error' && !result.committed) {
      finish();
      reply.headers(
        failureHeaders(
          route.name,
          profile,
          result.attempts.length,
          result.escalations.map((e) => e.reason),
          cost,
        ),
      );
      throw result.error!;
    }
    // Shadow sampling starts only once the client has its answer (or, streaming, its last byte).
    const shadow = (answer: AnswerView | undefined) => {
      if (route.quality && answer && result.delivered && endpoint !== 'embeddings') {
        deps.quality.afterAnswer({
          requestId: String(request.id),
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
    if (result.outcome === 'client_aborted' || result.committed) {
      finish();
      if (keeps && result.outcome === 'ok' && translator?.output)
        keepItems(translator.output() as Array<Record<string, unknown>>, door!.items!.ttlMs, {
          store: deps.store,
          storeError,
        });
      if (result.outcome === 'ok') shadow(result.streamed);
      return reply.hijack();
    }
    const delivered = result.delivered!;
    reply.headers(
      routingHeaders(route.name, profile, {
        backend: delivered.backend,
        tier: delivered.tier,
        attempts: result.attempts.length,
        escalations: result.escalations.map((e) => e.reason),
      }),
    );
    reply.headers(costHeaders(cost));
    if (cache.result === 'miss' && result.answer) {
      storeAnswer({
        store: deps.store,
        route,
        key: cache.key,
        storeError,
        answer: {
          body: result.answer.text,
          backend: delivered.backend,
          tier: delivered.tier,
          input: delivered.usage.input,
          output: delivered.usage.output,
        },
      });
    }
    const sluice = explaining
      ? explain({ route: route.name, profile, plan, attempts: result.attempts, delivered, cost })
      : undefined;
    const text = door
      ? JSON.stringify(doorAnswer(door, result.answer!.json, doorCtx!, keeps, deps.store, storeError, sluice))
      : sluice
        ? JSON.stringify({ ...result.answer!.json, sluice })
        : result.answer!.text;
    // The answer goes out first; metrics and the log line are written while the client reads it.
    reply.type('application/json').send(text);
    finish();
    if (route.quality) shadow(answerFromJson(result.answer!.json));
    return reply;
  };
}

function toRecord(o: {
  door: string;
  rt: Runtime;
  tenant: string | undefined;
  route: RouteConfig;
  result: CascadeResult;
  profile: Profile;
  plan: Plan;
  stream: boolean;
  startedAt: number;
  cost: RequestRecord['cost'];
}): RequestRecord {
  const { result } = o;
  const durationMs = performance.now() - o.startedAt;
  const upstreamMs = result.attempts.reduce((s, a) => s + a.durationMs, 0);
  return {
    route: o.route.name,
    door: o.door,
    ...(result.delivered && { protocol: o.rt.backends.get(result.delivered.backend)?.protocol ?? 'openai' }),
    ...(o.tenant && { tenant: o.tenant }),
    outcome: result.outcome,
    status: result.error?.status ?? (result.outcome === 'client_aborted' ? 499 : 200),
    durationMs,
    overheadMs: Math.max(0, durationMs - upstreamMs),
    stream: o.stream,
    profile: o.profile,
    plan: o.plan,
    attempts: result.attempts,
    escalations: result.escalations,
    ...(result.delivered && { delivered: result.delivered }),
    ...(result.firstByteMs !== undefined && { firstByteMs: result.firstByteMs }),
    ...(o.cost && { cost: o.cost }),
    ...(result.error && { errorCode: result.error.code }),
  };
}

/** A cache hit: no upstream call, no cost; the saving is what the baseline would have charged for the answer. */
function answerFromCache(
  request: FastifyRequest,
  reply: FastifyReply,
  o: {
    deps: RoutedDeps;
    rt: Runtime;
    route: RouteConfig;
    answer: CachedAnswer;
    stream: boolean;
    clientWantsUsage: boolean;
  },
) {
  const baselineNano = priceUsage(o.rt.backends.get(baselineBackendId(o.route))!.pricing, {
    input: o.answer.input,
    cachedInput: 0,
    output: o.answer.output,
    estimated: false,
  });
  const cost = { costNano: 0, baselineNano, savedNano: baselineNano };
  const headers = {
    'x-sluice-route': o.route.name,
    'x-sluice-backend': o.answer.backend,
    'x-sluice-tier': String(o.answer.tier),
    'x-sluice-attempts': '0',
    'x-sluice-escalations': '',
    ...(o.stream ? {} : costHeaders(cost)),
  };
  sendCached(reply, o.answer, { stream: o.stream, includeUsage: o.clientWantsUsage, headers });
  request.sluiceAccounted = true;
  const durationMs = performance.now() - request.sluiceStartedAt;
  o.deps.finish(request, {
    route: o.route.name,
    door: request.sluiceDoor ?? 'chat',
    protocol: 'cache',
    ...(request.sluiceTenant && { tenant: request.sluiceTenant }),
    outcome: 'ok',
    status: 200,
    durationMs,
    overheadMs: durationMs,
    stream: o.stream,
    attempts: [],
    escalations: [],
    cost,
  });
  return reply;
}

/** A door's body, checked for depth before the door's own validation walks it, its item references resolved. */
async function doorBody(
  door: Door,
  body: unknown,
  store: StateStore,
  storeError: (operation: string) => void,
): Promise<unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  checkDepth(body as Record<string, unknown>);
  return door.items ? resolveItems(door.items, body as Record<string, unknown>, { store, storeError }) : body;
}

/** A door's JSON answer (with the explain field when asked); its output items kept when the request says so. */
function doorAnswer(
  door: Door,
  json: Record<string, unknown>,
  ctx: DoorContext,
  keeps: boolean,
  store: StateStore,
  storeError: (operation: string) => void,
  sluice: unknown,
): Record<string, unknown> {
  const answer = door.fromChat(json, ctx);
  if (keeps && door.items) keepItems(door.items.output(answer), door.items.ttlMs, { store, storeError });
  return sluice ? { ...answer, sluice } : answer;
}

/** `x-sluice-min-tier: N` lets a caller who knows better skip the cheaper tiers. */
function minTierHeader(request: FastifyRequest): number | undefined {
  const raw = request.headers['x-sluice-min-tier'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new SluiceError('invalid_request', 'x-sluice-min-tier must be a tier number (0 = cheapest)', {
      param: 'x-sluice-min-tier',
    });
  return n;
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
