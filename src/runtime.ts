// Everything derived from one loaded config: backend lookup, model resolution, upstream pools.
// Swapped whole on reload, so a request sees one consistent config from start to end.
import type { DifficultyModel } from './classify/difficulty-model.js';
import { loadDifficultyModel, loadJudgeModel } from './classify/load-models.js';
import type { LoadedConfig } from './config/load-config.js';
import type { VerbosityScorer } from './judge/judge-answer.js';
import { verbosityScorer } from './judge/verbosity-model.js';
import { createKeyRegistry, type KeyRegistry, type ManagedKeys } from './tenants/key-registry.js';
import type { BackendConfig, Config, RouteConfig } from './config/schema.js';
import { createTargetResolver, type ResolveTarget } from './route/resolve-target.js';
import { closeUpstreams, createUpstreams } from './upstream/create-upstreams.js';
import type { Upstream } from './upstream/types.js';

export interface Runtime {
  readonly config: Config;
  readonly difficulty: DifficultyModel;
  readonly verbosity: VerbosityScorer;
  readonly backends: ReadonlyMap<string, BackendConfig>;
  readonly resolveTarget: ResolveTarget;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly keys: KeyRegistry;
  /** Distinct context windows of a route's backends (for exact token counts near them). */
  contextWindows(route: RouteConfig): readonly number[];
  /** The turn of a balanced (round-robin, least-busy) tier: one more each call (per replica, from 0 after a reload). */
  turn(route: RouteConfig, tier: number): number;
  close(): Promise<void>;
}

export function createRuntime(loaded: LoadedConfig, opts: { managedKeys?: ManagedKeys } = {}): Runtime {
  const upstreams = createUpstreams(loaded);
  const backends = new Map(loaded.config.backends.map((b) => [b.id, b]));
  const windows = new Map<RouteConfig, number[]>();
  const turns = new Map<RouteConfig['tiers'][number], number>();
  return {
    config: loaded.config,
    difficulty: loadDifficultyModel(loaded.config.classifier.difficultyModel),
    verbosity: verbosityScorer(loadJudgeModel(loaded.config.classifier.judgeModel)),
    backends,
    contextWindows: (route) => {
      let w = windows.get(route);
      if (!w)
        windows.set(
          route,
          (w = [...new Set(route.tiers.flatMap((t) => t.backends.map((id) => backends.get(id)!.contextWindow)))]),
        );
      return w;
    },
    turn: (route, tier) => {
      const t = route.tiers[tier]!;
      const n = turns.get(t) ?? 0;
      turns.set(t, n + 1);
      return n;
    },
    resolveTarget: createTargetResolver(loaded.config),
    upstreams,
    keys: createKeyRegistry(loaded.config.keys, opts.managedKeys),
    close: () => closeUpstreams(upstreams),
  };
}
