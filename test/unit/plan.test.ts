// The route policy, one skip reason at a time, with no network.
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../src/classify/profile.js';
import { loadConfigObject } from '../../src/config/load-config.js';
import type { RouteConfig } from '../../src/config/schema.js';
import { planRoute, type PlanInput } from '../../src/route/plan.js';

const { config } = loadConfigObject(
  {
    backends: [
      { id: 'cheap', protocol: 'mock', model: 'c', contextWindow: 8_000, endpoints: ['chat', 'embeddings'] },
      { id: 'cheap2', protocol: 'mock', model: 'c2', contextWindow: 8_000 },
      { id: 'mid', protocol: 'mock', model: 'm', contextWindow: 32_000 },
      { id: 'big', protocol: 'mock', model: 'b', contextWindow: 200_000 },
    ],
    routes: [
      {
        name: 'auto',
        slo: { firstTokenMs: 1000 },
        onBudgetLow: 'downgrade',
        tiers: [
          { backends: ['cheap', 'cheap2'], maxDifficulty: 0.4 },
          { backends: ['mid'], maxDifficulty: 0.7 },
          { backends: ['big'] },
        ],
      },
    ],
  },
  { env: {} },
);
const route = config.routes[0]! as RouteConfig;
const backends = new Map(config.backends.map((b) => [b.id, b]));
const profile = (p: Partial<Profile> = {}): Profile => ({
  inputTokens: 100,
  outputTokens: 100,
  clientMaxTokens: undefined,
  sizeClass: 'small',
  tokensEstimated: false,
  difficulty: 0.1,
  ...p,
});
const plan = (p: Partial<PlanInput> = {}) => planRoute({ route, profile: profile(), endpoint: 'chat', backends, ...p });
const tiers = (p: ReturnType<typeof plan>) => p.tiers.map((t) => t.index);

describe('planRoute', () => {
  it('keeps every tier for an easy small request', () => {
    expect(plan()).toEqual({
      tiers: [
        { index: 0, backends: [backends.get('cheap'), backends.get('cheap2')] },
        { index: 1, backends: [backends.get('mid')] },
        { index: 2, backends: [backends.get('big')] },
      ],
      skipped: [],
    });
  });
  it('context: skips tiers that cannot hold input + expected output', () => {
    const p = plan({ profile: profile({ inputTokens: 20_000, outputTokens: 1_000 }) });
    expect(tiers(p)).toEqual([1, 2]);
    expect(p.skipped).toEqual([{ tier: 0, reason: 'context' }]);
    expect(plan({ profile: profile({ inputTokens: 300_000 }) }).tiers).toEqual([]);
  });
  it('endpoint: skips tiers with no backend serving it', () => {
    const p = plan({ endpoint: 'embeddings' });
    expect(tiers(p)).toEqual([0]);
    expect(p.tiers[0]!.backends.map((b) => b.id)).toEqual(['cheap']);
    expect(p.skipped).toEqual([
      { tier: 1, reason: 'endpoint' },
      { tier: 2, reason: 'endpoint' },
    ]);
  });
  it('unhealthy: skips a tier whose backends are all ejected, and orders healthy siblings first', () => {
    const p = plan({ isHealthy: (id) => id !== 'mid' && id !== 'cheap' });
    expect(tiers(p)).toEqual([0, 2]);
    expect(p.tiers[0]!.backends.map((b) => b.id)).toEqual(['cheap2', 'cheap']);
    expect(p.skipped).toEqual([{ tier: 1, reason: 'unhealthy' }]);
  });
  it('unhealthy: keeps everything when nothing is healthy (something must be tried)', () => {
    expect(tiers(plan({ isHealthy: () => false }))).toEqual([0, 1, 2]);
  });
  it('slo: skips tiers too slow for the size class, unless none is left', () => {
    const slow = (id: string) => (id === 'mid' ? 5_000 : 200);
    expect(plan({ observedFirstTokenMs: slow }).skipped).toEqual([{ tier: 1, reason: 'slo' }]);
    expect(tiers(plan({ observedFirstTokenMs: () => 9_999 }))).toEqual([0, 1, 2]);
    expect(tiers(plan({ observedFirstTokenMs: () => undefined }))).toEqual([0, 1, 2]);
  });
  it('min_tier: the caller can skip the cheap tiers', () => {
    const p = plan({ minTier: 2 });
    expect(tiers(p)).toEqual([2]);
    expect(p.skipped).toEqual([
      { tier: 0, reason: 'min_tier' },
      { tier: 1, reason: 'min_tier' },
    ]);
  });
  it('min_tier past the last tier means the strongest tier that can serve, never the cheapest', () => {
    expect(tiers(plan({ minTier: 7 }))).toEqual([2]);
    // The strongest tier cannot hold the request: the strongest one that can.
    const big = plan({
      minTier: 7,
      profile: profile({ inputTokens: 10_000 }),
      backends: new Map([...backends, ['big', { ...backends.get('big')!, contextWindow: 1_000 }]]),
    });
    expect(tiers(big)).toEqual([1]);
  });
  it('difficulty: starts at the first tier whose maxDifficulty admits the request', () => {
    expect(tiers(plan({ profile: profile({ difficulty: 0.5 }) }))).toEqual([1, 2]);
    const hard = plan({ profile: profile({ difficulty: 0.95 }) });
    expect(tiers(hard)).toEqual([2]);
    expect(hard.skipped).toEqual([
      { tier: 0, reason: 'difficulty' },
      { tier: 1, reason: 'difficulty' },
    ]);
    expect(tiers(plan({ profile: profile({ difficulty: undefined }) }))).toEqual([0, 1, 2]);
  });
  it('difficulty: the last remaining tier admits even above its maxDifficulty', () => {
    // big is ejected, so mid (maxDifficulty 0.7) is the last tier left for a 0.95 request.
    const p = plan({ profile: profile({ difficulty: 0.95 }), isHealthy: (id) => id !== 'big' });
    expect(tiers(p)).toEqual([1]);
    expect(p.skipped).toEqual([
      { tier: 2, reason: 'unhealthy' },
      { tier: 0, reason: 'difficulty' },
    ]);
  });
  it('budget: a downgrading route stays on the cheapest tier when money is low', () => {
    const p = plan({ budgetLow: true, profile: profile({ difficulty: 0.95 }) });
    expect(tiers(p)).toEqual([0]);
    expect(p.skipped).toEqual([
      { tier: 1, reason: 'budget' },
      { tier: 2, reason: 'budget' },
    ]);
    expect(
      tiers(
        planRoute({
          route: { ...route, onBudgetLow: 'reject' },
          profile: profile(),
          endpoint: 'chat',
          backends,
          budgetLow: true,
        }),
      ),
    ).toEqual([0, 1, 2]);
  });
  it('round-robin: starts each request at the next backend of the tier, the rest failing over after it', () => {
    const spread: RouteConfig = {
      ...route,
      tiers: [{ ...route.tiers[0]!, balance: 'round-robin' }, ...route.tiers.slice(1)],
    };
    let n = 0;
    const turn = () => n++;
    const first = () =>
      planRoute({ route: spread, profile: profile(), endpoint: 'chat', backends, turn }).tiers[0]!.backends.map(
        (b) => b.id,
      );
    expect([first(), first(), first()]).toEqual([
      ['cheap', 'cheap2'],
      ['cheap2', 'cheap'],
      ['cheap', 'cheap2'],
    ]);
    // A failover tier keeps its order and takes no turn; an unhealthy backend still goes last.
    expect(plan({ turn }).tiers[0]!.backends.map((b) => b.id)).toEqual(['cheap', 'cheap2']);
    expect(n).toBe(3);
    n = 1;
    const healthyFirst = planRoute({
      route: spread,
      profile: profile(),
      endpoint: 'chat',
      backends,
      turn,
      isHealthy: (id) => id !== 'cheap2',
    });
    expect(healthyFirst.tiers[0]!.backends.map((b) => b.id)).toEqual(['cheap', 'cheap2']);
    expect(n).toBe(2);
  });
  it('least-busy: starts at the backend with the fewest calls in progress, in turn among equals', () => {
    const leastBusy: RouteConfig = {
      ...route,
      tiers: [{ ...route.tiers[0]!, balance: 'least-busy' }, ...route.tiers.slice(1)],
    };
    let n = 0;
    const order = (busy: Record<string, number>) =>
      planRoute({
        route: leastBusy,
        profile: profile(),
        endpoint: 'chat',
        backends,
        turn: () => n++,
        busy: (id) => busy[id] ?? 0,
      }).tiers[0]!.backends.map((b) => b.id);
    expect(order({ cheap: 3, cheap2: 1 })).toEqual(['cheap2', 'cheap']);
    expect(order({ cheap: 0, cheap2: 2 })).toEqual(['cheap', 'cheap2']);
    expect([order({}), order({})]).toEqual([
      ['cheap', 'cheap2'],
      ['cheap2', 'cheap'],
    ]); // turns 2 and 3
  });

  it('affinity: a conversation starts on the backend holding its prompt cache, if the plan still has it', () => {
    const kept = plan({ affinity: { backend: 'cheap2', tier: 0 } });
    expect(kept.tiers[0]!.backends.map((b) => b.id)).toEqual(['cheap2', 'cheap']);
    const up = plan({ affinity: { backend: 'mid', tier: 1 } });
    expect(up.tiers.map((t) => t.index)).toEqual([1, 2]);
    expect(up.skipped).toContainEqual({ tier: 0, reason: 'affinity' });
    // The cached backend left the plan (its circuit is open): the plan is the usual one.
    const gone = plan({ affinity: { backend: 'mid', tier: 1 }, isHealthy: (id) => id !== 'mid' });
    expect(gone.tiers.map((t) => t.index)).toEqual([0, 2]);
  });
});
