// The indexed metrics must export exactly what prom-client's own classes export for the same updates: the same
// /metrics text and the same get() values, so dashboards, alerts and tests cannot tell them apart.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { IndexedCounter, IndexedGauge, IndexedHistogram, SeriesIndex } from '../../src/metrics/fast-metrics.js';

type Kind = 'counter' | 'gauge' | 'histogram';

function pair(kind: Kind, labelNames: string[]) {
  const ours = new Registry();
  const theirs = new Registry();
  const config = (r: Registry) => ({ name: `m_${kind}`, help: 'a metric', labelNames, registers: [r] });
  const buckets = [0.1, 0.5, 1, 5];
  const make = {
    counter: () => [new IndexedCounter(config(ours)), new Counter(config(theirs))],
    gauge: () => [new IndexedGauge(config(ours)), new Gauge(config(theirs))],
    histogram: () => [
      new IndexedHistogram({ ...config(ours), buckets }),
      new Histogram({ ...config(theirs), buckets }),
    ],
  }[kind]() as unknown as [Record<string, (...a: unknown[]) => void>, Record<string, (...a: unknown[]) => void>];
  return {
    ours,
    theirs,
    both: (method: string, ...args: unknown[]) => {
      for (const m of make) m[method]!(...args);
    },
  };
}

async function same(p: ReturnType<typeof pair>, name: string) {
  expect(await p.ours.metrics()).toBe(await p.theirs.metrics());
  const a = await p.ours.getSingleMetric(name)!.get();
  const b = await p.theirs.getSingleMetric(name)!.get();
  expect(a.values).toEqual(b.values);
  expect([a.name, a.help, a.type, a.aggregator]).toEqual([b.name, b.help, b.type, b.aggregator]);
}

describe('indexed metrics', () => {
  it('a counter exports what prom-client exports, labels in any order, numbers as their strings', async () => {
    const p = pair('counter', ['route', 'tier']);
    p.both('inc', { route: 'auto', tier: '0' });
    p.both('inc', { tier: 0, route: 'auto' }, 2.5);
    p.both('inc', { route: 'chat', tier: '1' }, 3);
    p.both('inc', { route: 'chat' });
    await same(p, 'm_counter');
    expect(await p.ours.metrics()).toContain('m_counter{route="auto",tier="0"} 3.5');
  });

  it('a counter without labels starts at zero and takes inc(value)', async () => {
    const p = pair('counter', []);
    await same(p, 'm_counter');
    p.both('inc');
    p.both('inc', 4);
    await same(p, 'm_counter');
  });

  it('a gauge goes up, down and is set, as prom-client does it', async () => {
    const p = pair('gauge', ['route']);
    p.both('inc', { route: 'a' });
    p.both('inc', { route: 'a' }, 2);
    p.both('dec', { route: 'a' });
    p.both('set', { route: 'b' }, 0.25);
    p.both('set', { route: 'b' }, 7);
    await same(p, 'm_gauge');
  });

  it('a histogram puts each value in the first bucket that holds it, bounds included', async () => {
    const p = pair('histogram', ['route', 'outcome']);
    for (const v of [0, 0.1, 0.10001, 0.5, 0.7, 1, 5, 5.5, 1000])
      p.both('observe', { route: 'auto', outcome: v > 1 ? 'slow' : 'ok' }, v);
    p.both('observe', { outcome: 'ok', route: 'other' }, 0.3);
    await same(p, 'm_histogram');
  });

  it('a histogram without labels exports its zero series from the start', async () => {
    const p = pair('histogram', []);
    await same(p, 'm_histogram');
    p.both('observe', 0.2);
    await same(p, 'm_histogram');
  });

  it('reset empties every series', async () => {
    const p = pair('histogram', ['route']);
    p.both('observe', { route: 'a' }, 1);
    p.both('reset');
    await same(p, 'm_histogram');
    p.both('observe', { route: 'a' }, 2);
    await same(p, 'm_histogram');
  });

  it('refuses what prom-client refuses: unknown labels, non-finite values, a counter going down', () => {
    const c = new IndexedCounter({ name: 'c', help: 'h', labelNames: ['route'], registers: [] });
    expect(() => c.inc({ route: 'a', other: 'x' } as never)).toThrow(/other/);
    expect(() => c.inc({ route: 'a' }, Number.NaN)).toThrow(TypeError);
    expect(() => c.inc({ route: 'a' }, -1)).toThrow(/decrease/);
    const h = new IndexedHistogram({ name: 'h', help: 'h', labelNames: ['route'], buckets: [1], registers: [] });
    expect(() => h.observe({ route: 'a' }, Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('finds a series again without creating another, and keeps creation order', () => {
    let made = 0;
    const index = new SeriesIndex('m', ['a', 'b'], (labels) => ({ labels, n: made++ }));
    const first = index.get({ a: 'x', b: 'y' });
    expect(index.get({ b: 'y', a: 'x' })).toBe(first);
    const second = index.get({ a: 'x', b: 'z' });
    expect(index.get({ a: 'x' }).labels).toEqual({ a: 'x' });
    expect(index.all.map((s) => s.n)).toEqual([0, 1, 2]);
    expect(second).not.toBe(first);
  });
});
