// W3C Trace Context (traceparent, tracestate): read from the client, or started, and passed to every upstream
// attempt. When Sluice records spans, each attempt is its own span and the upstream's parent; when it does not, the
// client's traceparent goes on unchanged (a proxy that records nothing must not invent a parent). Pure.
import { randomHex } from '../shared/random-hex.js';

export interface TraceContext {
  traceId: string;
  /** The client's span, when it sent a traceparent. */
  parentSpanId?: string;
  /** Sluice's span for the request. */
  spanId: string;
  /** Two hex digits; 01 = sampled. */
  flags: string;
  state?: string;
  /** Sluice records spans for it (telemetry.otlp is set). */
  recording: boolean;
}

const pattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The client's traceparent when it is valid (version 00, or a later one read as 00), else undefined. */
export function parseTraceparent(
  header: unknown,
): { traceId: string; parentSpanId: string; flags: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = pattern.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentSpanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, flags };
}

export const newSpanId = (): string => randomHex(8);

/** The request's trace: the client's, continued, or a new one (sampled when spans are recorded). */
export function traceFor(headers: Record<string, string | string[] | undefined>, recording: boolean): TraceContext {
  const given = parseTraceparent(headers.traceparent);
  const state =
    typeof headers.tracestate === 'string' && headers.tracestate.length <= 512 ? headers.tracestate : undefined;
  if (given)
    return {
      traceId: given.traceId,
      parentSpanId: given.parentSpanId,
      spanId: recording ? newSpanId() : given.parentSpanId,
      flags: given.flags,
      ...(state && { state }),
      recording,
    };
  return { traceId: randomHex(16), spanId: newSpanId(), flags: recording ? '01' : '00', recording };
}

/** The traceparent an upstream attempt carries: its own span as parent when recorded, else the request's. */
export function attemptTraceparent(trace: TraceContext, attemptSpanId: string | undefined): string {
  return `00-${trace.traceId}-${attemptSpanId ?? trace.spanId}-${trace.flags}`;
}
