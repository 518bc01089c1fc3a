// Watches every call to the state store: the first failure after a success, and the first success after a
// failure, are reported once (the switch into and out of degraded mode), whatever the operation. Counting each
// failure, and the fallback it triggers, stays with the caller that knows the operation.
import type { StateStore } from './store.js';

export interface StoreMonitor {
  readonly store: StateStore;
  readonly degraded: boolean;
}

export function monitorStore(inner: StateStore, onSwitch: (degraded: boolean) => void): StoreMonitor {
  let degraded = false;
  const watch =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await fn(...args);
        if (degraded) {
          degraded = false;
          onSwitch(false);
        }
        return result;
      } catch (err) {
        if (!degraded) {
          degraded = true;
          onSwitch(true);
        }
        throw err;
      }
    };
  const store: StateStore = {
    kind: inner.kind,
    admit: watch(inner.admit.bind(inner)),
    publishBreaker: watch(inner.publishBreaker.bind(inner)),
    readBreakers: watch(inner.readBreakers.bind(inner)),
    keyGet: watch(inner.keyGet.bind(inner)),
    keyPut: watch(inner.keyPut.bind(inner)),
    spendRead: watch(inner.spendRead.bind(inner)),
    listPush: watch(inner.listPush.bind(inner)),
    listRead: watch(inner.listRead.bind(inner)),
    cacheGet: watch(inner.cacheGet.bind(inner)),
    cacheSet: watch(inner.cacheSet.bind(inner)),
    ping: watch(inner.ping.bind(inner)),
    close: () => inner.close(),
  };
  return {
    store,
    get degraded() {
      return degraded;
    },
  };
}
