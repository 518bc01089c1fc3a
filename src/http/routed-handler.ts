// The HTTP side of the routed endpoints: authenticate → door in (validate, translate) → resolve the route → cache →
// the pipeline (classify → plan → cascade → account, in src/pipeline) → door out → respond. Handlers throw
// SluiceErrors; the error handler writes them. Every request leaves one record (metrics + log).
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CascadeResult } from '../cascade/types.js';
import type { Profile } from '../classify/profile.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import { SluiceError, modelNotFound } from '../errors/sluice-error.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Plan } from '../route/plan.js';
import { baselineBackendId } from '../route/resolve-target.js';
import type { Runtime } from '../runtime.js';
import type { InflightCounter } from '../state/inflight-counter.js';
import type { LatencyTracker } from '../state/latency-tracker.js';
import type { TenantGate } from '../tenants/tenant-gate.js';
import type { BackendHealth } from '../health/backend-health.js';
import type { Lifecycle } from './lifecycle.js';
import { explain, wantsExplain } from './explain.js';
import { probeCache, sendCached, storeAnswer, type CacheProbe, type CachedAnswer } from './response-cache.js';
import { priceUsage } from '../cost/pricing.js';
import type { StateStore } from '../state/store.js';
import { createPipeline, type Routed } from '../pipeline/route-request.js';
import type { RequestRecord } from '../cost/request-record.js';
import { costHeaders, failureHeaders, routingHeaders } from './sluice-headers.js';
import { createSseSink } from './sse-sink.js';
import { checkDepth, validateBody } from './validate-body.js';
import { answerFromJson } from '../cascade/json-attempt.js';
import type { QualityControl } from '../quality/quality-control.js';
import type { Door, DoorContext } from '../doors/door.js';
import { keepItems, resolveItems } from './door-items.js';
import { randomHex } from '../shared/random-hex.js';
import { type TraceContext, traceFor } from '../telemetry/trace-context.js';

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
  /** Spans are recorded (telemetry.otlp is set): attempts get their own span ids. */
  recordsSpans: boolean;
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
  const routeRequest = createPipeline(deps);
  const nativeRoutes = new WeakMap<RouteConfig, boolean>();
  return async function handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const startedAt = request.sluiceStartedAt;
    request.sluiceDoor = doorName;
    const rt = deps.runtime();
    const tenant = await rt.keys.authenticate(request.headers);
    request.sluiceTenant = tenant?.name;
    // A door validates its own shape and builds a well-formed chat body: it is not checked a second time.
    const body = door
      ? door.toChat(await doorBody(door, request.body, deps.store, storeError), {
          nativeOnly: nativeOnly(door, rt, request.body, nativeRoutes),
        })
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
    const doorCtx: DoorContext | undefined = door && {
      id: randomHex(16),
      model,
      inputTokens: 0,
      request: request.body as Record<string, unknown>,
      now: Date.now(),
    };
    // A door's stream translator, only for the streams it writes.
    const translator = stream ? door?.stream(doorCtx!) : undefined;
    const keeps = door?.items?.keeps(request.body as Record<string, unknown>) === true;
    const explaining = wantsExplain(request.headers['x-sluice-explain']);
    const trace = traceFor(request.headers, deps.recordsSpans);
    const abort = deps.lifecycle.track(reply);
    let routed: Routed;
    try {
      routed = await routeRequest({
        requestId: String(request.id),
        startedAt,
        endpoint,
        body,
        route,
        tenant,
        minTier: minTierHeader(request),
        stream,
        clientWantsUsage,
        signal: abort.signal,
        trace,
        sessionId: request.headers['x-session-id'],
        ...(door?.native && { native: door.native(request.body as Record<string, unknown>, request.headers) }),
        ...(!door && request.sluiceRawBody && { raw: request.sluiceRawBody }),
        sink: (profile) => {
          if (doorCtx) doorCtx.inputTokens = profile.inputTokens;
          return createSseSink(reply, (info) => routingHeaders(route.name, profile, info), translator);
        },
        ...(explaining &&
          stream &&
          !door && {
            explainChunk: ({ profile, plan, attempts, head, cost }) =>
              JSON.stringify({
                ...head,
                choices: [],
                sluice: explain({
                  route: route.name,
                  profile,
                  plan,
                  attempts,
                  delivered: attempts[attempts.length - 1],
                  cost,
                }),
              }),
          }),
        admitted: (headers) => reply.headers(headers),
      });
    } finally {
      abort.dispose();
    }
    const { profile, plan, result, cost, shadow, affinity } = routed;
    if (doorCtx) doorCtx.inputTokens = profile.inputTokens;
    request.sluiceAccounted = true;
    const finish = () =>
      deps.finish(
        request,
        toRecord({
          door: doorName,
          model,
          trace,
          tenant: tenant?.name,
          route,
          result,
          profile,
          plan,
          stream,
          startedAt,
          cost,
          rt,
          affinity,
        }),
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
    if (result.outcome === 'client_aborted' || result.committed) {
      finish();
      if (keeps && result.outcome === 'ok' && translator?.output)
        keepItems(translator.output(), door!.items!.ttlMs, {
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
      ? doorAnswer(door, result.answer!.json, doorCtx!, keeps, deps.store, storeError, sluice)
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
  model: string;
  trace: TraceContext;
  affinity: RequestRecord['affinity'];
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
    model: o.model,
    startMs: o.startedAt,
    trace: o.trace,
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
    ...(o.affinity && { affinity: o.affinity }),
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

/**
 * Whether every backend of the route the body names gets the door's request untranslated. Known per route once
 * asked (a route object lives as long as the config that made it, and a reload makes new ones).
 */
function nativeOnly(door: Door, rt: Runtime, body: unknown, known: WeakMap<RouteConfig, boolean>): boolean {
  const model = (body as { model?: unknown } | null)?.model;
  const route = typeof model === 'string' && door.speaksNatively ? rt.resolveTarget(model)?.route : undefined;
  if (!route) return false;
  let native = known.get(route);
  if (native === undefined) {
    native = route.tiers.every((t) => t.backends.every((id) => door.speaksNatively!(rt.backends.get(id)!)));
    known.set(route, native);
  }
  return native;
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

/** A door's JSON answer (with the explain field when asked) as text; its output items kept when the request says so. */
function doorAnswer(
  door: Door,
  json: Record<string, unknown>,
  ctx: DoorContext,
  keeps: boolean,
  store: StateStore,
  storeError: (operation: string) => void,
  sluice: unknown,
): string {
  const answer = door.fromChat(json, ctx);
  if (keeps && door.items) keepItems(answer.items, door.items.ttlMs, { store, storeError });
  // The answer is a JSON object with fields: the explain field goes in before its closing brace.
  return sluice ? `${answer.text.slice(0, -1)},"sluice":${JSON.stringify(sluice)}}` : answer.text;
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
