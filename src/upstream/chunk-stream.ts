// A streamed response body read through undici's dispatch API as a queue of chunks: no Node stream, async
// iterator or listeners per response. Back-pressure reaches the upstream: the connection is paused while more than
// `highWaterMark` bytes wait unread, and resumed once the reader has taken half of them.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancel } from './cancel.js';

export interface ChunkStream {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The next chunk, or null at the end; rejects with the transport error, or the scope's reason once aborted. */
  next(): Promise<Buffer | null>;
  /**
   * Reads and drops the rest, so the connection goes back to the pool. It is closed instead past `limit` bytes, or
   * when nothing arrives for `idleMs` (an upstream that never ends its body must not hold a pooled connection).
   */
  drain(limit: number, idleMs: number): void;
  /** Stops at once: the request is aborted and its connection closed (nothing happens if the body had ended). */
  destroy(): void;
}

/** Resolves when the response headers arrive; rejects if the call fails or the scope aborts before that. */
export function requestChunks(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: Cancel,
  highWaterMark = 64 * 1024,
): Promise<ChunkStream> {
  return new Promise((resolveStart, rejectStart) => {
    if (signal.aborted) {
      rejectStart(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let started = false;
    /** How the body finished: read to its end, stopped by the reader, or failed (with why). Unset while it runs. */
    let over: 'ended' | 'stopped' | { failed: unknown } | undefined;
    const queue: Buffer[] = [];
    let queued = 0;
    let waiter: { resolve(chunk: Buffer | null): void; reject(err: unknown): void } | undefined;
    let dropLimit = -1; // ≥ 0 while draining
    let dropped = 0;
    let drainTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      signal.off('abort', onAbort);
      clearTimeout(drainTimer);
    };
    const fail = (reason: unknown) => {
      if (over) return;
      over = { failed: reason };
      finish();
      if (!started) rejectStart(reason);
      const w = waiter;
      waiter = undefined;
      w?.reject(reason);
    };
    const onAbort = (reason: unknown) => {
      fail(reason);
      controller?.abort(new Error('aborted'));
    };
    signal.once('abort', onAbort);

    const stream: ChunkStream = {
      statusCode: 0,
      headers: {},
      next() {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.length;
          if (controller?.paused && queued <= highWaterMark / 2) controller.resume();
          return Promise.resolve(chunk);
        }
        if (typeof over === 'object') return Promise.reject(over.failed);
        if (over) return Promise.resolve(null);
        return new Promise((resolve, reject) => {
          waiter = { resolve, reject };
        });
      },
      drain(limit, idleMs) {
        queue.length = 0;
        queued = 0;
        if (over) return;
        dropLimit = limit;
        drainTimer = setTimeout(() => stream.destroy(), idleMs);
        if (controller?.paused) controller.resume();
      },
      destroy() {
        queue.length = 0;
        queued = 0;
        if (over) return;
        over = 'stopped';
        finish();
        controller?.abort(new Error('aborted'));
      },
    };

    dispatcher.dispatch(options, {
      onRequestStart(c) {
        controller = c;
        if (over) c.abort(new Error('aborted')); // gone while it waited for a connection
      },
      onResponseStart(_c, statusCode, headers) {
        if (statusCode < 200) return; // informational
        started = true;
        stream.statusCode = statusCode;
        stream.headers = headers;
        resolveStart(stream);
      },
      onResponseData(c, chunk) {
        if (over) return;
        if (dropLimit >= 0) {
          dropped += chunk.length;
          if (dropped > dropLimit) stream.destroy();
          else drainTimer?.refresh();
          return;
        }
        if (waiter) {
          const w = waiter;
          waiter = undefined;
          w.resolve(chunk);
          return;
        }
        queue.push(chunk);
        queued += chunk.length;
        if (queued > highWaterMark) c.pause();
      },
      onResponseEnd() {
        if (over) return;
        over = 'ended';
        finish();
        const w = waiter;
        waiter = undefined;
        w?.resolve(null);
      },
      onResponseError(_c, err) {
        fail(err);
      },
    });
  });
}
