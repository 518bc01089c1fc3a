// Turns one finished request's record into metric updates. The only place request metrics are written.
import type { RequestRecord } from '../cost/request-record.js';
import { nanoToUsd } from '../cost/pricing.js';
import type { Metrics } from './metrics.js';

export function recordRequest(m: Metrics, r: RequestRecord): void {
  const route = r.route;
  m.requests.inc({ route, outcome: r.outcome });
  if (r.door) m.doorRequests.inc({ door: r.door, protocol: r.protocol ?? 'none' });
  if (r.affinity && r.affinity.reprefillTokens > 0 && r.delivered)
    m.reprefill.inc({ route, backend: r.delivered.backend }, r.affinity.reprefillTokens);
  m.requestDuration.observe({ route, outcome: r.outcome }, r.durationMs / 1000);
  if (r.overheadMs !== undefined) m.overhead.observe({ route }, r.overheadMs / 1000);
  if (r.firstByteMs !== undefined && r.delivered)
    m.ttft.observe({ route, backend: r.delivered.backend }, r.firstByteMs / 1000);
  for (const a of r.attempts) {
    m.attempts.inc({ route, tier: String(a.tier), backend: a.backend, outcome: a.outcome });
    m.upstreamDuration.observe({ backend: a.backend, outcome: a.outcome }, a.durationMs / 1000);
    const written = (a.usage.cacheWrite ?? 0) + (a.usage.cacheWrite1h ?? 0);
    if (a.usage.input > a.usage.cachedInput + written)
      m.tokens.inc({ route, backend: a.backend, type: 'input' }, a.usage.input - a.usage.cachedInput - written);
    if (written > 0) m.tokens.inc({ route, backend: a.backend, type: 'cache_write' }, written);
    if (a.usage.cachedInput > 0) m.tokens.inc({ route, backend: a.backend, type: 'cached_input' }, a.usage.cachedInput);
    if (a.usage.output > 0) m.tokens.inc({ route, backend: a.backend, type: 'output' }, a.usage.output);
    if (a.costNano > 0) m.cost.inc({ route, backend: a.backend }, nanoToUsd(a.costNano));
    if (a.score !== undefined) m.verbosity.observe({ route, backend: a.backend }, a.score);
  }
  for (const e of r.escalations)
    m.escalations.inc({ route, from_tier: String(e.from), to_tier: String(e.to), reason: e.reason });
  if (r.cost && r.cost.baselineNano > 0) m.baselineCost.inc({ route }, nanoToUsd(r.cost.baselineNano));
}
