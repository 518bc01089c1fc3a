// The quality side of one app: a RouteQuality per route that sets `quality`, kept across config reloads, the
// shadow sampler, the shadow logs, and the timer that picks up other replicas' samples.
import type { Profile } from '../classify/profile.js';
import type { BackendConfig, Config, RouteConfig } from '../config/schema.js';
import type { StateStore } from '../state/store.js';
import { RouteQuality, type QualityGauges, type QualityLog } from './route-quality.js';
import { Shadowing, stakeOf, type ShadowOutcome, type ShadowRequest } from './shadow.js';
import { openShadowLog, readLoggedSamples, type ShadowLog } from './shadow-log.js';

export interface QualityDeps {
  store: StateStore;
  log: QualityLog;
  gauges: QualityGauges;
  counted(route: string, outcome: ShadowOutcome, costNano: number): void;
  random?: () => number;
  now?: () => number;
}

export class QualityControl {
  private readonly routes = new Map<string, RouteQuality>();
  private readonly logs = new Map<string, ShadowLog>();
  private readonly pending = new Set<Promise<void>>();
  private readonly shadowing: Shadowing;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: QualityDeps) {
    this.now = deps.now ?? Date.now;
    this.shadowing = new Shadowing({
      store: deps.store,
      log: deps.log,
      counted: deps.counted,
      storeError: (op) => deps.gauges.storeError(op),
      shadowLog: (path) => this.logFor(path),
      random: deps.random ?? Math.random,
    });
  }

  /** Takes a (new) config: routes with a quality target keep their state by name. */
  configure(config: Config): void {
    const seen = new Set<string>();
    for (const route of config.routes) {
      if (!route.quality) continue;
      seen.add(route.name);
      let rq = this.routes.get(route.name);
      if (rq) rq.config = route.quality;
      else {
        rq = new RouteQuality(route.name, route.quality, {
          store: this.deps.store,
          log: this.deps.log,
          gauges: this.deps.gauges,
          now: this.now,
        });
        this.routes.set(route.name, rq);
        const q = route.quality;
        const restored = q.log ? readLoggedSamples(q.log, route.name, q.window) : [];
        this.track(rq.seed(restored).then(() => rq!.refresh()));
      }
      this.deps.gauges.target(route.name, route.quality.target);
    }
    for (const name of [...this.routes.keys()]) if (!seen.has(name)) this.routes.delete(name);
    clearInterval(this.timer);
    const every = Math.min(...[...this.routes.values()].map((r) => r.config.refreshMs), 5_000);
    if (this.routes.size > 0) {
      this.timer = setInterval(
        () => {
          for (const r of this.routes.values()) this.track(r.refresh());
        },
        Math.max(200, every),
      );
      this.timer.unref();
    }
  }

  get(route: string): RouteQuality | undefined {
    return this.routes.get(route);
  }

  /** For the plan: whether this request starts on the route's cheapest tier. */
  readonly startsCheap = (
    route: RouteConfig,
    profile: Profile,
    backends: ReadonlyMap<string, BackendConfig>,
  ): boolean => {
    const rq = this.routes.get(route.name);
    return (
      rq !== undefined &&
      profile.difficulty !== undefined &&
      rq.startsCheap(profile.difficulty, stakeOf(route, backends, profile))
    );
  };

  /** Called once the client's answer is sent: maybe samples it. Returns at once. */
  afterAnswer(req: ShadowRequest): void {
    const rq = this.routes.get(req.route.name);
    if (!rq) return;
    this.track(this.shadowing.afterAnswer(req, rq));
  }

  /** Resolves when every shadow sample started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.shadowing.close();
    await this.idle();
    await Promise.all([...this.logs.values()].map((l) => l.close()));
  }

  private track(p: Promise<void>): void {
    const t = p.catch(() => {}).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  private logFor(path: string): ShadowLog {
    let l = this.logs.get(path);
    if (!l)
      this.logs.set(
        path,
        (l = openShadowLog(path, (err) => this.deps.log.warn({ path, err: err.message }, 'shadow log write failed'))),
      );
    return l;
  }
}
