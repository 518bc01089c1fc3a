// One request whose whole answer is wanted at once (non-streaming calls), through undici's dispatch API: the body
// is gathered as it arrives, with no body stream, listeners or extra event-loop turns in between, and one timer
// for the total time. Aborting the caller's scope or the timer firing aborts the call (closing its connection if
// it is in flight); every other ending reads the body to its end, so the connection goes back to the pool.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancel } from './cancel.js';
import { answerTooLarge, callerAborted, totalTimeExceeded, type UpstreamFailure } from './upstream-failure.js';

export interface WholeResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Resolves with the status, headers and body text; rejects with the transport error, or an UpstreamFailure as soon
 * as the scope aborts (`aborted`) or `totalMs` passes (`timeout`). Error bodies (non-2xx) keep their first
 * `errorCap` bytes; the rest is read and dropped. A 2xx body past `maxBytes` is stopped there (the connection
 * closed), and the call fails.
 */
export function wholeResponse(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: Cancel,
  limits: { totalMs: number; errorCap: number; maxBytes: number },
): Promise<WholeResponse> {
  const { errorCap, maxBytes } = limits;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(callerAborted());
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let parts: Buffer[] = [];
    let size = 0;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal.off('abort', onAbort);
      clearTimeout(timer);
      return true;
    };
    const stop = (failure: UpstreamFailure) => {
      if (!settle()) return;
      controller?.abort(failure);
      reject(failure);
    };
    const onAbort = () => stop(callerAborted());
    const timer = setTimeout(() => stop(totalTimeExceeded(limits.totalMs)), limits.totalMs);
    signal.once('abort', onAbort);
    dispatcher.dispatch(options, {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error('aborted')); // aborted while it waited for a connection
      },
      onResponseStart(_c, status, h) {
        statusCode = status;
        headers = h;
        parts = [];
        size = 0;
      },
      onResponseData(_c, chunk) {
        if (settled) return;
        const before = size;
        size += chunk.length;
        if (statusCode >= 200 && statusCode < 300) {
          if (size > maxBytes) stop(answerTooLarge(maxBytes));
          else parts.push(chunk);
        } else if (before < errorCap) parts.push(chunk.subarray(0, errorCap - before));
      },
      onResponseEnd() {
        if (!settle()) return;
        try {
          const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
          resolve({ statusCode, headers, text });
        } catch (err) {
          reject(err); // a throw here would reach undici and leave the caller waiting for good
        }
      },
      onResponseError(_c, err) {
        if (settle()) reject(err);
      },
    });
  });
}
