// What a request cost (every attempt, discarded and failed ones included), what the route's baseline backend
// would have charged for the same input and the delivered output, and the saving (negative when the cascade
// cost more). The baseline is priced with the delivered answer's prompt-cache reads and writes: always sending a
// conversation to the baseline would have cached it there as well. Pure; integer nano-dollars.
import type { BackendConfig } from '../config/schema.js';
import type { AttemptRecord } from '../shared/attempt-record.js';
import { priceUsage } from './pricing.js';

export interface RequestCost {
  costNano: number;
  baselineNano: number;
  savedNano: number;
}

export function accountRequest(
  attempts: readonly AttemptRecord[],
  delivered: AttemptRecord | undefined,
  baseline: BackendConfig,
): RequestCost {
  const costNano = attempts.reduce((sum, a) => sum + a.costNano, 0);
  const baselineNano = delivered ? priceUsage(baseline.pricing, delivered.usage) : 0;
  return { costNano, baselineNano, savedNano: baselineNano - costNano };
}
