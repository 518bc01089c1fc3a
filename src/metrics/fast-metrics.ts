// prom-client's Counter, Gauge and Histogram with their series kept in an index by label values. prom-client turns
// the labels of every inc/observe into a key string (sorted names, joined values) and validates them: about 10 µs and
// 4 kB of garbage per request across Sluice's metrics. Here each series is found through one Map per label, in the
// metric's label order, and is validated once, when it is created; after that an update allocates nothing. The
// classes keep prom-client's registration, names, help and export format: the registry reads them through the same
// get() as its own, so /metrics is unchanged.
import { Counter, type CounterConfiguration, Gauge, type GaugeConfiguration, Histogram } from 'prom-client';
import type {
  Aggregator,
  HistogramConfiguration,
  LabelValues,
  MetricObjectWithValues,
  MetricValue,
  MetricValueWithName,
} from 'prom-client';

type Labels = Record<string, string | number | undefined>;

/** Series by label values: nested maps, one level per label name, in the metric's label order. */
export class SeriesIndex<S> {
  private root = new Map<unknown, unknown>();
  /** Every series, in creation order (the export order). */
  all: S[] = [];

  constructor(
    private readonly metric: string,
    private readonly names: readonly string[],
    private readonly create: (labels: Labels) => S,
  ) {
    // A metric without labels has its one series from the start, as prom-client's do: it exports 0 before any update.
    if (names.length === 0) this.add(undefined);
  }

  get(labels: Labels | undefined): S {
    const names = this.names;
    let level = this.root;
    let series: unknown = level;
    for (let i = 0; i < names.length; i++) {
      // A number and its string name one series, as they do in prom-client's output.
      const raw = labels?.[names[i]!];
      const value = typeof raw === 'number' ? String(raw) : raw;
      const next = level.get(value);
      if (next === undefined) return this.add(labels);
      if (i === names.length - 1) series = next;
      else level = next as Map<unknown, unknown>;
    }
    if (names.length === 0) return this.all[0] ?? this.add(labels);
    return series as S;
  }

  clear(): void {
    this.root = new Map();
    this.all = [];
  }

  private add(labels: Labels | undefined): S {
    const own: Labels = {};
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (!this.names.includes(k))
        throw new Error(`Added label "${k}" is not included in initial labelset for ${this.metric}`);
      if (v !== undefined) own[k] = typeof v === 'number' ? String(v) : v;
    }
    const s = this.create(own);
    this.all.push(s);
    let level = this.root;
    for (let i = 0; i < this.names.length; i++) {
      const value = own[this.names[i]!];
      if (i === this.names.length - 1) {
        level.set(value, s);
        break;
      }
      let next = level.get(value) as Map<unknown, unknown> | undefined;
      if (next === undefined) level.set(value, (next = new Map()));
      level = next;
    }
    return s;
  }
}

interface Scalar {
  labels: Labels;
  value: number;
}

const finite = (metric: string, v: number) => {
  if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v} (${metric})`);
};

const unsupported = (what: string): never => {
  throw new Error(`${what} is not supported on Sluice's indexed metrics`);
};

// The label and value parameters follow prom-client's overloads: inc(labels, value), inc(value), inc().
function split(a: unknown, b: unknown): [Labels | undefined, number | undefined] {
  return typeof a === 'object' && a !== null
    ? [a as Labels, b as number | undefined]
    : [undefined, a as number | undefined];
}

interface Header {
  name: string;
  help: string;
  /** As the registry writes it (prom-client's typings declare a numeric enum; its code uses these strings). */
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: Aggregator;
}

const header = (config: { name: string; help: string; aggregator?: Aggregator }, type: Header['type']): Header => ({
  name: config.name,
  help: config.help,
  type,
  aggregator: config.aggregator ?? 'sum',
});

function scalarValues<T extends string>(h: Header, all: Scalar[]): MetricObjectWithValues<MetricValue<T>> {
  const values = all.map((s) => ({ labels: { ...s.labels }, value: s.value }));
  return { ...h, values } as unknown as MetricObjectWithValues<MetricValue<T>>;
}

export class IndexedCounter<T extends string = string> extends Counter<T> {
  private readonly series: SeriesIndex<Scalar>;
  private readonly head: Header;

  constructor(config: CounterConfiguration<T>) {
    super(config);
    this.head = header(config, 'counter');
    this.series = new SeriesIndex(config.name, config.labelNames ?? [], (labels) => ({ labels, value: 0 }));
    this.inc = ((a?: unknown, b?: unknown) => {
      const [labels, value = 1] = split(a, b);
      finite(config.name, value);
      if (value < 0) throw new Error('It is not possible to decrease a counter');
      this.series.get(labels).value += value;
    }) as Counter<T>['inc'];
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    return scalarValues(this.head, this.series.all);
  }

  override reset(): void {
    this.series?.clear(); // prom-client's constructor calls reset() before this class has its series
  }

  override labels(): never {
    return unsupported('labels()');
  }

  override remove(): never {
    return unsupported('remove()');
  }
}

export class IndexedGauge<T extends string = string> extends Gauge<T> {
  private readonly series: SeriesIndex<Scalar>;
  private readonly head: Header;

  constructor(config: GaugeConfiguration<T>) {
    super(config);
    this.head = header(config, 'gauge');
    this.series = new SeriesIndex(config.name, config.labelNames ?? [], (labels) => ({ labels, value: 0 }));
    const add = (sign: number) => (a?: unknown, b?: unknown) => {
      const [labels, value = 1] = split(a, b);
      finite(config.name, value);
      this.series.get(labels).value += sign * value;
    };
    this.inc = add(1) as Gauge<T>['inc'];
    this.dec = add(-1) as Gauge<T>['dec'];
    this.set = ((a: unknown, b?: unknown) => {
      const [labels, value] = split(a, b);
      finite(config.name, value as number);
      this.series.get(labels).value = value as number;
    }) as Gauge<T>['set'];
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    return scalarValues(this.head, this.series.all);
  }

  override reset(): void {
    this.series?.clear(); // prom-client's constructor calls reset() before this class has its series
  }

  override labels(): never {
    return unsupported('labels()');
  }

  override remove(): never {
    return unsupported('remove()');
  }

  override setToCurrentTime(): never {
    return unsupported('setToCurrentTime()');
  }

  override startTimer(): never {
    return unsupported('startTimer()');
  }
}

interface Buckets {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class IndexedHistogram<T extends string = string> extends Histogram<T> {
  private readonly series: SeriesIndex<Buckets>;
  private readonly bounds: number[];
  private readonly head: Header;

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.head = header(config, 'histogram');
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    const slots = this.bounds.length + 1;
    this.series = new SeriesIndex(config.name, config.labelNames ?? [], (labels) => ({
      labels,
      counts: new Float64Array(slots),
      sum: 0,
      count: 0,
    }));
    this.observe = ((a: unknown, b?: unknown) => {
      const [labels, value] = split(a, b);
      finite(config.name, value as number);
      const s = this.series.get(labels);
      const bounds = this.bounds;
      let i = 0;
      while (i < bounds.length && (value as number) > bounds[i]!) i++;
      s.counts[i]! += 1;
      s.sum += value as number;
      s.count += 1;
    }) as Histogram<T>['observe'];
  }

  /** The registry's text export reads this: each bucket's own labels, the series' labels apart. */
  async getForPromString() {
    return { ...this.head, values: this.exported(false) };
  }

  /** prom-client's get(): the series' labels merged into each bucket's. */
  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    return { ...this.head, values: this.exported(true) } as unknown as MetricObjectWithValues<MetricValueWithName<T>>;
  }

  override reset(): void {
    this.series?.clear(); // prom-client's constructor calls reset() before this class has its series
  }

  override zero(labels: LabelValues<T>): void {
    this.series.get(labels as Labels);
  }

  override labels(): never {
    return unsupported('labels()');
  }

  override remove(): never {
    return unsupported('remove()');
  }

  override startTimer(): never {
    return unsupported('startTimer()');
  }

  private exported(merged: boolean) {
    type Line = { labels: Labels; sharedLabels?: Labels; value: number; metricName: string; exemplar?: null };
    const values: Line[] = [];
    const { name } = this.head;
    // Bucket lines carry prom-client's `exemplar: null` (exemplars are off); sum and count carry none.
    const line = (own: Labels, series: Labels, value: number, metricName: string, bucket: boolean) => {
      const l: Line = merged
        ? { labels: { ...own, ...series }, value, metricName }
        : { labels: own, sharedLabels: series, value, metricName };
      if (bucket) l.exemplar = null;
      values.push(l);
    };
    for (const s of this.series.all) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        line({ le: this.bounds[i]! }, s.labels, acc, `${name}_bucket`, true);
      }
      line({ le: '+Inf' }, s.labels, s.count, `${name}_bucket`, true);
      line({}, s.labels, s.sum, `${name}_sum`, false);
      line({}, s.labels, s.count, `${name}_count`, false);
    }
    return values;
  }
}
