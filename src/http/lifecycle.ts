// Tracks in-flight requests so shutdown can drain them: each gets a Cancel scope fired when its client
// goes away ('client') or when the shutdown grace runs out ('shutdown').
import type { FastifyReply } from 'fastify';
import { Cancel } from '../upstream/cancel.js';

export class Lifecycle {
  /** /readyz reports 503 from now on; requests are still served. */
  draining = false;
  /** The listener is closed: requests still arriving on kept-alive connections get 503 shutting_down. */
  refusing = false;
  private readonly inflight = new Set<Cancel>();
  private idleWaiters: Array<() => void> = [];

  get inflightCount(): number {
    return this.inflight.size;
  }

  track(reply: FastifyReply): { signal: Cancel; dispose(): void } {
    const ctl = new Cancel();
    const res = reply.raw;
    const onClose = () => {
      if (!res.writableFinished) ctl.abort('client');
    };
    res.on('close', onClose);
    this.inflight.add(ctl);
    return {
      signal: ctl,
      dispose: () => {
        res.off('close', onClose);
        this.inflight.delete(ctl);
        if (this.inflight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      },
    };
  }

  /** Resolves when no request is in flight, or after `ms` (then aborts what is left with 'shutdown'). */
  async drain(ms: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    if ((await Promise.race([idle, late])) === 'late') {
      for (const ctl of this.inflight) ctl.abort('shutdown');
      await Promise.race([idle, new Promise((r) => setTimeout(r, 1_000))]);
    }
    clearTimeout(timer);
  }
}
