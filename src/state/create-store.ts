// Chooses the state store from the config: embedded memory, or Redis shared by replicas.
import type { StateConfig } from '../config/schema.js';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { StateStore } from './store.js';

export function createStateStore(state: StateConfig): StateStore {
  return state.driver === 'redis'
    ? createRedisStore({ url: state.url, prefix: state.prefix, commandTimeoutMs: state.commandTimeoutMs })
    : createMemoryStore();
}
