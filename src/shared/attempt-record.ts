// The record of one upstream call, as the cascade writes it and accounting, metrics and logs read it. Types only.
import type { TokenUsage } from '../cost/pricing.js';

export type AttemptOutcome = 'accepted' | 'escalated' | 'failed' | 'aborted';

export interface AttemptRecord {
  /** Index of the tier in the route's configuration. */
  tier: number;
  backend: string;
  outcome: AttemptOutcome;
  /** Why it was escalated or failed (verdict or failure reason). */
  reason?: string;
  status?: number;
  error?: string;
  usage: TokenUsage;
  costNano: number;
  durationMs: number;
  /** Stream attempts: time from the call to its first event. */
  firstEventMs?: number;
  /** Judge score, when the answer was judged. */
  score?: number;
  /** A failure that says the backend is unwell (not the request's fault, not a rate limit). */
  healthFailure?: boolean;
  /** performance.now() when the call started. */
  startMs?: number;
  /** The attempt's span, when Sluice records spans (the upstream's parent). */
  spanId?: string;
}

/** A move from one tier to the next, and why. */
export interface Escalation {
  from: number;
  to: number;
  reason: string;
}
