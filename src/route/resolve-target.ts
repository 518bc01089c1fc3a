// Maps a client's `model` to what serves it: a route (by name or alias) or a single pinned backend.
import type { BackendConfig, Config, RouteConfig } from '../config/schema.js';

export interface Target {
  route: RouteConfig;
  /** True when the model named a backend id: no cascade, still accounted. */
  pinned: boolean;
}

export type ResolveTarget = (model: string) => Target | undefined;

export function createTargetResolver(config: Config): ResolveTarget {
  const byName = new Map<string, Target>();
  const prefixes: Array<{ prefix: string; target: Target }> = [];
  for (const route of config.routes) {
    byName.set(route.name, { route, pinned: false });
    for (const alias of route.aliases) {
      if (alias.endsWith('*')) prefixes.push({ prefix: alias.slice(0, -1), target: { route, pinned: false } });
      else byName.set(alias, { route, pinned: false });
    }
  }
  for (const b of config.backends) byName.set(b.id, { route: pinnedRoute(b), pinned: true });
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return (model) => byName.get(model) ?? prefixes.find((p) => model.startsWith(p.prefix))?.target;
}

function pinnedRoute(b: BackendConfig): RouteConfig {
  return Object.freeze({
    name: b.id,
    aliases: [],
    tiers: [{ backends: [b.id], balance: 'failover' as const }],
    baseline: b.id,
    defaultMaxOutputTokens: 512,
    maxAttempts: 2,
    deadlineMs: b.timeouts.totalMs,
    judge: { verbosity: { enabled: false, threshold: 1 }, refusal: false, logprobs: false },
    streaming: { mode: 'direct' as const, holdbackTokens: 1 },
    onBudgetLow: 'reject' as const,
    cache: { enabled: false, ttlSeconds: 1, maxEntryBytes: 1 },
    promptCache: { affinity: false, minTokens: 1, ttlSeconds: 1 },
  });
}

/** The backend savings are measured against: configured, else the first backend of the last tier. */
export function baselineBackendId(route: RouteConfig): string {
  return route.baseline ?? route.tiers[route.tiers.length - 1]!.backends[0]!;
}
