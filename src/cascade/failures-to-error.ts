// Turns the failures of every attempt into the one error the client gets. Pure.
import { SluiceError } from '../errors/sluice-error.js';
import type { UpstreamFailure } from '../upstream/upstream-failure.js';

export function failuresToError(failures: readonly UpstreamFailure[], attempts: number): SluiceError {
  const last = failures[failures.length - 1];
  if (!last) return new SluiceError('no_backend_available', 'no backend could serve the request');
  if (last.clientFault) {
    return new SluiceError(
      'upstream_rejected',
      last.upstreamMessage ?? `the backend rejected the request (${last.status})`,
      {
        status: last.status!,
        ...(last.upstreamParam !== undefined && { param: last.upstreamParam }),
      },
    );
  }
  const tried = attemptsText(attempts);
  if (failures.every((f) => f.reason === 'rate_limited')) {
    const waits = failures.map((f) => f.retryAfter).filter((s): s is number => s !== undefined);
    const headers: Record<string, string> = waits.length > 0 ? { 'retry-after': String(Math.min(...waits)) } : {};
    return new SluiceError('upstream_rate_limited', `every backend is rate limiting (${tried})`, { headers });
  }
  if (last.kind === 'timeout')
    return new SluiceError('upstream_timeout', `the backend did not answer in time (${tried})`);
  if (failures.every((f) => f.kind === 'connect'))
    return new SluiceError('no_backend_available', `no backend could be reached (${tried})`);
  return new SluiceError('upstream_error', `the backend failed: ${last.message} (${tried})`);
}

/** The error for a cascade stopped by the deadline or by shutdown; undefined for other stops. */
export function abortError(why: unknown, attempts: number): SluiceError | undefined {
  if (why === 'deadline')
    return new SluiceError('upstream_timeout', `the request deadline passed (${attemptsText(attempts)})`);
  if (why === 'shutdown')
    return new SluiceError('shutting_down', 'this replica shut down before the answer was complete');
  return undefined;
}

function attemptsText(n: number): string {
  return `${n} attempt${n === 1 ? '' : 's'}`;
}
