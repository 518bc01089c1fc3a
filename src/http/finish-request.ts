// Ends every request the same way: metrics from its record, and one summary log line with the decision trail.
// No prompt or answer text is logged (that is a separate debug option, never on by default).
import type { FastifyRequest } from 'fastify';
import { formatUsd } from '../cost/pricing.js';
import type { Metrics } from '../metrics/metrics.js';
import { recordRequest } from '../metrics/record-request.js';
import type { RequestRecord } from '../cost/request-record.js';
import type { SpanRecorder } from '../telemetry/span-recorder.js';

export function createFinisher(metrics: Metrics, spans?: SpanRecorder) {
  return (request: FastifyRequest, record: RequestRecord): void => {
    recordRequest(metrics, record);
    if (spans && record.trace?.recording) spans.record(record);
    const level = record.outcome === 'error' && record.status >= 500 ? 'warn' : 'info';
    request.log[level](summarize(record), 'request');
  };
}

export function summarize(r: RequestRecord): Record<string, unknown> {
  return {
    route: r.route,
    ...(r.door && { door: r.door }),
    ...(r.trace && { traceId: r.trace.traceId }),
    ...(r.protocol && { protocol: r.protocol }),
    ...(r.tenant && { tenant: r.tenant }),
    outcome: r.outcome,
    status: r.status,
    stream: r.stream,
    ...(r.errorCode && { error: r.errorCode }),
    ...(r.profile && {
      profile: {
        in: r.profile.inputTokens,
        out: r.profile.outputTokens,
        size: r.profile.sizeClass,
        ...(r.profile.difficulty !== undefined && { difficulty: round(r.profile.difficulty) }),
      },
    }),
    ...(r.plan && { plan: { tiers: r.plan.tiers.map((t) => t.index), skipped: r.plan.skipped } }),
    attempts: r.attempts.map((a) => ({
      tier: a.tier,
      backend: a.backend,
      outcome: a.outcome,
      ...(a.reason && { reason: a.reason }),
      ...(a.status && { status: a.status }),
      ...(a.error && { error: a.error }),
      in: a.usage.input,
      out: a.usage.output,
      ...(a.usage.cachedInput > 0 && { cached: a.usage.cachedInput }),
      ...(a.usage.estimated && { estimated: true }),
      costUsd: formatUsd(a.costNano),
      ms: round(a.durationMs),
      ...(a.score !== undefined && { score: round(a.score) }),
    })),
    ...(r.escalations.length > 0 && { escalations: r.escalations.map((e) => e.reason) }),
    ...(r.affinity && { affinity: r.affinity }),
    ...(r.delivered && { backend: r.delivered.backend }),
    ...(r.cost && {
      costUsd: formatUsd(r.cost.costNano),
      baselineUsd: formatUsd(r.cost.baselineNano),
      savedUsd: formatUsd(r.cost.savedNano),
    }),
    durationMs: round(r.durationMs),
    ...(r.overheadMs !== undefined && { overheadMs: round(r.overheadMs) }),
    ...(r.firstByteMs !== undefined && { firstByteMs: round(r.firstByteMs) }),
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
