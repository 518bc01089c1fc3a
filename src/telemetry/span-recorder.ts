// The span recorder the app holds. The OpenTelemetry SDK is loaded only when telemetry.otlp is set, and then in the
// background: off, it costs nothing (its modules are about 15 MB of resident memory and 100 ms of startup). Records
// that end before it has loaded wait for it (a thousand at most).
import type { BackendConfig } from '../config/schema.js';
import type { RequestRecord } from '../cost/request-record.js';

export interface SpanRecorder {
  record(r: RequestRecord): void;
  close(): Promise<void>;
}

export function loadSpanRecorder(
  otlp: { endpoint: string; headers: Record<string, string>; serviceName: string },
  backends: () => ReadonlyMap<string, BackendConfig>,
  onError: (err: unknown) => void,
): SpanRecorder {
  let real: SpanRecorder | undefined;
  const waiting: RequestRecord[] = [];
  const loading = import('./otlp-spans.js').then(
    (m) => {
      real = m.createSpanRecorder(otlp, backends);
      for (const r of waiting.splice(0)) real.record(r);
    },
    (err: unknown) => {
      waiting.length = 0;
      onError(err);
    },
  );
  return {
    record(r) {
      if (real) real.record(r);
      else if (waiting.length < 1_000) waiting.push(r);
    },
    async close() {
      await loading;
      await real?.close();
    },
  };
}
