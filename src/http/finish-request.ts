// Ends every request the same way: metrics from its record, and one summary log line with the decision trail.
// No prompt or answer text is logged (that is a separate debug option, never on by default).
import type { FastifyRequest } from 'fastify';
import type { RequestRecord } from '../cost/request-record.js';
import { type LineLogger, logMembers } from '../log/log-members.js';
import { requestLine, requestLineKeys } from '../log/request-line.js';
import type { Metrics } from '../metrics/metrics.js';
import { recordRequest } from '../metrics/record-request.js';
import type { SpanRecorder } from '../telemetry/span-recorder.js';

export function createFinisher(metrics: Metrics, spans?: SpanRecorder) {
  return (request: FastifyRequest, record: RequestRecord): void => {
    recordRequest(metrics, record);
    if (spans && record.trace?.recording) spans.record(record);
    const level = record.outcome === 'error' && record.status >= 500 ? 'warn' : 'info';
    logMembers(request.log as LineLogger, level, requestLine(record), 'request', requestLineKeys);
  };
}
