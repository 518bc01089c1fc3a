// OpenTelemetry spans over OTLP/HTTP (telemetry.otlp): one server span per routed request and one client span per
// upstream attempt, written from the request's record when it ends, with the GenAI semantic conventions
// (gen_ai.operation.name, gen_ai.request.model, gen_ai.response.model, gen_ai.provider.name,
// gen_ai.usage.input_tokens, gen_ai.usage.output_tokens) plus Sluice's route, door, tier, verdict and cost. The span
// ids are the ones the request carried upstream (traceparent), so a backend's own spans hang under the attempt that
// called it. The official SDK batches and exports them; nothing of this runs when telemetry.otlp is absent.
import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import type { BackendConfig } from '../config/schema.js';
import { nanoToUsd } from '../cost/pricing.js';
import type { SpanRecorder } from './span-recorder.js';

const operations: Record<string, string> = {
  chat: 'chat',
  responses: 'chat',
  messages: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
};
const providers: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', mock: 'sluice.mock' };

export function createSpanRecorder(
  otlp: { endpoint: string; headers: Record<string, string>; serviceName: string },
  backends: () => ReadonlyMap<string, BackendConfig>,
): SpanRecorder {
  // The SDK draws span ids from its generator; the ids a record carries are handed to it just before each span
  // starts (synchronously, so no other span can take them), which keeps them equal to those sent upstream.
  const random = new RandomIdGenerator();
  let nextTraceId: string | undefined;
  let nextSpanId: string | undefined;
  const idGenerator = {
    generateTraceId: () => nextTraceId ?? random.generateTraceId(),
    generateSpanId: () => {
      const id = nextSpanId ?? random.generateSpanId();
      nextSpanId = undefined;
      return id;
    },
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': otlp.serviceName }),
    idGenerator,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: otlp.endpoint, headers: otlp.headers }), {
        scheduledDelayMillis: 1_000,
        maxQueueSize: 4_096,
      }),
    ],
  });
  const tracer = provider.getTracer('sluice');

  return {
    record(r) {
      const t = r.trace;
      if (!t?.recording || r.startMs === undefined) return;
      const parent = t.parentSpanId
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: t.traceId,
            spanId: t.parentSpanId,
            traceFlags: 1,
            isRemote: true,
          })
        : ROOT_CONTEXT;
      const operation = operations[r.door ?? 'chat'] ?? 'chat';
      const known = backends();
      const delivered = r.delivered ? known.get(r.delivered.backend) : undefined;
      const attrs: Attributes = {
        'gen_ai.operation.name': operation,
        ...(r.model && { 'gen_ai.request.model': r.model }),
        ...(delivered && { 'gen_ai.response.model': delivered.model }),
        ...(r.delivered && {
          'gen_ai.usage.input_tokens': r.delivered.usage.input,
          'gen_ai.usage.output_tokens': r.delivered.usage.output,
          'sluice.tier': r.delivered.tier,
          'sluice.backend': r.delivered.backend,
        }),
        'sluice.route': r.route,
        ...(r.door && { 'sluice.door': r.door }),
        'sluice.outcome': r.outcome,
        'sluice.attempts': r.attempts.length,
        ...(r.escalations.length > 0 && { 'sluice.escalations': r.escalations.map((e) => e.reason) }),
        ...(r.cost && {
          'sluice.cost_usd': nanoToUsd(r.cost.costNano),
          'sluice.baseline_usd': nanoToUsd(r.cost.baselineNano),
          'sluice.saved_usd': nanoToUsd(r.cost.savedNano),
        }),
        ...(r.profile && { 'sluice.size_class': r.profile.sizeClass }),
        ...(r.profile?.difficulty !== undefined && { 'sluice.difficulty': r.profile.difficulty }),
        'http.response.status_code': r.status,
        ...(r.errorCode && { 'error.type': r.errorCode }),
      };
      nextTraceId = t.traceId;
      nextSpanId = t.spanId;
      const span = tracer.startSpan(
        `${operation} ${r.model ?? r.route}`,
        { kind: SpanKind.SERVER, startTime: r.startMs, attributes: attrs },
        parent,
      );
      nextTraceId = undefined;
      if (r.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode ?? 'error' });
      const inRequest = trace.setSpan(ROOT_CONTEXT, span);
      for (const a of r.attempts) {
        if (!a.spanId || a.startMs === undefined) continue;
        const b = known.get(a.backend);
        nextSpanId = a.spanId;
        const child = tracer.startSpan(
          `${operation} ${b?.model ?? a.backend}`,
          {
            kind: SpanKind.CLIENT,
            startTime: a.startMs,
            attributes: {
              'gen_ai.operation.name': operation,
              ...(b && {
                'gen_ai.request.model': b.model,
                'gen_ai.provider.name': providers[b.protocol] ?? b.protocol,
              }),
              'gen_ai.usage.input_tokens': a.usage.input,
              'gen_ai.usage.output_tokens': a.usage.output,
              ...(a.usage.cachedInput > 0 && { 'gen_ai.usage.cache_read.input_tokens': a.usage.cachedInput }),
              'sluice.route': r.route,
              'sluice.backend': a.backend,
              'sluice.tier': a.tier,
              'sluice.verdict': a.outcome,
              ...(a.reason && { 'sluice.reason': a.reason }),
              ...(a.score !== undefined && { 'sluice.verbosity_score': a.score }),
              'sluice.cost_usd': nanoToUsd(a.costNano),
              ...(a.usage.estimated && { 'sluice.usage_estimated': true }),
              ...(a.status !== undefined && { 'http.response.status_code': a.status }),
            },
          },
          inRequest,
        );
        if (a.outcome === 'failed') child.setStatus({ code: SpanStatusCode.ERROR, message: a.reason ?? 'failed' });
        child.end(a.startMs + a.durationMs);
      }
      span.end(r.startMs + r.durationMs);
    },
    close: () => provider.shutdown(),
  };
}
