// Walks the plan: one attempt per tier (failing over to sibling backends on retryable errors), judges every
// answer but the last tier's, escalates or returns. A flat loop that returns one record per attempt; it never
// throws: failures come back in the result so that every attempt is accounted.
import type { Cancel } from '../upstream/cancel.js';
import type { UpstreamFailure } from '../upstream/upstream-failure.js';
import type { AttemptRecord } from './attempt.js';
import { abortError, failuresToError } from './failures-to-error.js';
import { jsonAttempt, type AttemptContext, type AttemptResult } from './json-attempt.js';
import { streamAttempt } from './stream-attempt.js';
import { newSpanId } from '../telemetry/trace-context.js';
import type { CascadeDeps, CascadeRequest, CascadeResult, Escalation } from './types.js';

export interface CascadeOptions {
  /** Whether cheap tiers are judged (false: `direct` streaming or a pinned backend). */
  judge: boolean;
  holdbackTokens: number | 'all';
  /** Ask judged tiers for logprobs (the client did not); they are stripped from what the client gets. */
  logprobs?: boolean;
}

export async function runCascade(req: CascadeRequest, deps: CascadeDeps, opts: CascadeOptions): Promise<CascadeResult> {
  const attempts: AttemptRecord[] = [];
  const failures: UpstreamFailure[] = [];
  const escalations: Escalation[] = [];
  const stop = linkAbort(req.signal, req.route.deadlineMs - (deps.now() - req.startedAt));
  let firstByteMs: number | undefined;
  // Result objects name their fields instead of spreading a shared base first: on Node 20 every property added
  // after a leading spread costs about a microsecond (a new hidden class each time).
  const failed = (): CascadeResult => ({
    outcome: 'error',
    committed: false,
    error: failuresToError(failures, attempts.length),
    attempts,
    escalations,
  });

  try {
    const tiers = req.plan.tiers;
    for (let t = 0; t < tiers.length; t++) {
      const tier = tiers[t]!;
      let reason: string | undefined;
      for (const backend of tier.backends) {
        if (stop.signal.aborted) return stopped({ attempts, escalations }, stop.signal.reason, failures);
        if (attempts.length >= req.route.maxAttempts) return failed();
        const judged = opts.judge && t < tiers.length - 1;
        const ctx: AttemptContext = {
          req,
          deps,
          backend,
          tier: tier.index,
          judged,
          signal: stop.signal,
          addLogprobs: judged && opts.logprobs === true && backend.logprobs,
          ...(req.trace?.recording && { spanId: newSpanId() }),
        };
        const startMs = deps.now();
        let result: AttemptResult;
        deps.inflight?.start(backend.id);
        try {
          result = req.sink
            ? await streamAttempt({
                sink: req.sink,
                holdbackTokens: opts.holdbackTokens,
                commitInfo: () => ({
                  backend: backend.id,
                  tier: tier.index,
                  attempts: attempts.length + 1,
                  escalations: escalations.map((e) => e.reason),
                }),
                onFirstByte: () => {
                  firstByteMs = deps.now() - req.startedAt;
                },
                ...(req.explain && { trailer: (final, head) => req.explain!([...attempts, final], head) }),
                ...ctx,
              })
            : await jsonAttempt(ctx);
        } finally {
          deps.inflight?.end(backend.id);
        }
        result.record.startMs = startMs;
        if (ctx.spanId) result.record.spanId = ctx.spanId;
        attempts.push(result.record);
        if (result.kind === 'accepted') {
          return {
            outcome: 'ok',
            delivered: result.record,
            committed: Boolean(req.sink),
            attempts,
            escalations,
            ...(result.answer && { answer: result.answer }),
            ...(result.streamed && { streamed: result.streamed }),
            ...(firstByteMs !== undefined && { firstByteMs }),
          };
        }
        if (result.kind === 'escalate') {
          reason = result.reason;
          break;
        }
        failures.push(result.failure);
        if (result.committed || result.failure.kind === 'aborted')
          return stopped(
            { attempts, escalations, committed: result.committed, firstByteMs },
            stop.signal.reason,
            failures,
          );
        if (!result.failure.retryable) return failed();
        reason = result.failure.reason;
      }
      const next = tiers[t + 1];
      if (next && reason) escalations.push({ from: tier.index, to: next.index, reason });
    }
    return failed();
  } finally {
    stop.dispose();
  }
}

/** Ends the cascade after an abort: the client left, or the deadline passed (504), or a committed stream broke. */
function stopped(
  base: Pick<CascadeResult, 'attempts' | 'escalations'> & { committed?: boolean; firstByteMs?: number | undefined },
  why: unknown,
  failures: UpstreamFailure[],
): CascadeResult {
  const committed = base.committed ?? false;
  const common = {
    attempts: base.attempts,
    escalations: base.escalations,
    committed,
    ...(base.firstByteMs !== undefined && { firstByteMs: base.firstByteMs }),
  };
  if (why === 'client') return { outcome: 'client_aborted', ...common };
  const error = abortError(why, base.attempts.length) ?? failuresToError(failures, base.attempts.length);
  return { outcome: 'error', error, ...common };
}

/** One scope for the whole cascade: the request's scope (client, shutdown), or the route's deadline. */
function linkAbort(request: Cancel, deadlineMs: number): { signal: Cancel; dispose(): void } {
  const signal = request.child();
  const timer = setTimeout(() => signal.abort('deadline'), Math.max(0, deadlineMs));
  return {
    signal,
    dispose: () => {
      clearTimeout(timer);
      signal.dispose();
    },
  };
}
