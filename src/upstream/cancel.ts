// A cheap cancellation signal. undici accepts an EventEmitter as `signal`, and this costs a fraction of an
// AbortController (EventTarget listeners are ~50× dearer), which matters at one to three per request.
// The reason says why: 'client', 'deadline', 'shutdown', or an UpstreamFailure for a timed-out attempt.
import { EventEmitter } from 'node:events';

export class Cancel extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  private unlink: (() => void) | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.unlink?.();
    this.emit('abort', reason);
  }

  /** A scope aborted whenever this one is (with a reason mapped by `map`), which can also be aborted alone. */
  child(map: (reason: unknown) => unknown = (r) => r): Cancel {
    const c = new Cancel();
    if (this.aborted) {
      c.abort(map(this.reason));
      return c;
    }
    const onParent = (r: unknown) => c.abort(map(r));
    this.once('abort', onParent);
    c.unlink = () => this.off('abort', onParent);
    return c;
  }

  /** Detaches from the parent; call when the scope's work is done. */
  dispose(): void {
    this.unlink?.();
    this.unlink = undefined;
  }
}

/** Resolves after `ms`, or rejects with the reason as soon as `cancel` aborts. */
export function waitFor(ms: number, cancel: Cancel): Promise<void> {
  if (cancel.aborted) return Promise.reject(cancel.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (reason: unknown) => {
      clearTimeout(timer);
      reject(reason);
    };
    const timer = setTimeout(() => {
      cancel.off('abort', onAbort);
      resolve();
    }, ms);
    cancel.once('abort', onAbort);
  });
}
