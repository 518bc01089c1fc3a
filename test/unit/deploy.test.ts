// The SRE package stays true to the code: the dashboard and the alerts query only metrics Sluice exports, the
// PrometheusRule carries the same rules as alerts.yml, promtool accepts them, kustomize renders, configs load.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createMetrics } from '../../src/metrics/metrics.js';

const exported = new Set(
  createMetrics({ processMetrics: true })
    .registry.getMetricsAsArray()
    .map((m) => m.name),
);
const referenced = (text: string) => [
  ...new Set([...text.matchAll(/\bsluice_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
];
const has = (tool: string) => {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const needTools = process.env.REQUIRE_REDIS === '1' || process.env.CI === 'true';
/** External tools start slowly on a busy machine (kubectl takes seconds under a full parallel test run). */
const tool = { timeout: 30_000 };

describe('grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync('deploy/grafana/sluice.json', 'utf8')) as {
    panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; type: string }> };
  };
  it('queries only metrics Sluice exports', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const names = referenced(exprs);
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const n of names) expect(exported, `dashboard uses ${n}`).toContain(n);
  });
  it('takes its datasource from a variable, on every panel', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
    for (const p of dashboard.panels) expect(p.datasource.uid, p.title).toBe('${datasource}');
  });
  it('covers spend, saving, escalations, tiers, difficulty, latency, overhead, errors, tokens, health, limits, cache, in-flight', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join('|');
    for (const topic of [
      'quality estimate',
      'shadow spend',
      'shadow samples',
      'spend',
      'saving',
      'escalation',
      'tier',
      'difficulty',
      'latency',
      'first token',
      'overhead',
      'errors',
      'tokens',
      'health',
      'rate limited',
      'cache',
      'in-flight',
    ])
      expect(titles).toContain(topic);
  });
});

describe('prometheus', () => {
  const alerts = readFileSync('deploy/prometheus/alerts.yml', 'utf8');
  it('alert rules query only metrics Sluice exports', () => {
    for (const n of referenced(alerts)) expect(exported, `alerts use ${n}`).toContain(n);
  });
  it('the Kubernetes PrometheusRule carries exactly the rules of alerts.yml', () => {
    const rule = parse(readFileSync('deploy/k8s/base/prometheusrule.yaml', 'utf8')) as { spec: unknown };
    expect(rule.spec).toEqual(parse(alerts));
  });
  it.runIf(has('promtool') || needTools)('promtool accepts the rules and the scrape config', tool, () => {
    expect(
      execFileSync('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml'], { encoding: 'utf8' }),
    ).toContain('SUCCESS: 11 rules found');
    expect(
      execFileSync('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml'], { encoding: 'utf8' }),
    ).toContain('SUCCESS');
  });
});

describe('compose', () => {
  it('the image runs Node with the same flags and environment as npm start', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const [, env, flags] = /^(.*?)\s*node\s+(.*?)\s*dist\/src\/cli\.js serve$/.exec(start)!;
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...flags!.split(/\s+/), 'dist/src/cli.js', 'serve']);
    for (const assignment of env!.split(/\s+/).filter(Boolean)) expect(dockerfile).toContain(assignment);
  });
  it('mounts files that exist and runs the same Prometheus rules', () => {
    const compose = parse(readFileSync('deploy/compose.yaml', 'utf8')) as {
      services: Record<string, { volumes?: string[] }>;
    };
    const mounts = Object.values(compose.services)
      .flatMap((svc) => svc.volumes ?? [])
      .map((v) => v.split(':')[0]!);
    expect(mounts.length).toBeGreaterThanOrEqual(5);
    for (const m of mounts) expect(existsSync(join('deploy', m)), m).toBe(true);
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['sluice', 'gateway', 'prometheus', 'grafana', 'traffic']),
    );
  });
  it.runIf(has('promtool') || needTools)('promtool accepts the compose scrape config', tool, () => {
    expect(
      execFileSync('promtool', ['check', 'config', 'prometheus.compose.yml'], {
        cwd: 'deploy/prometheus',
        encoding: 'utf8',
      }),
    ).toContain('SUCCESS');
  });
});

describe('kubernetes', () => {
  it.runIf(has('kubectl') || needTools)('kustomize renders the base and the example overlay', tool, () => {
    const base = execFileSync('kubectl', ['kustomize', 'deploy/k8s'], { encoding: 'utf8' });
    for (const kind of [
      'Deployment',
      'Service',
      'ConfigMap',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'ServiceMonitor',
      'PrometheusRule',
    ])
      expect(base).toContain(`kind: ${kind}`);
    expect(base).toMatch(/terminationGracePeriodSeconds: 320/);
    const overlay = execFileSync('kubectl', ['kustomize', 'deploy/k8s/overlays/example'], { encoding: 'utf8' });
    expect(overlay).toContain('namespace: llm-gateway');
  });
  it('the mounted config is valid and its grace fits inside the pod termination grace', () => {
    const { config } = loadConfigFile('deploy/k8s/base/sluice.yaml', {});
    const deployment = parse(readFileSync('deploy/k8s/base/deployment.yaml', 'utf8')) as {
      spec: { template: { spec: { terminationGracePeriodSeconds: number } } };
    };
    expect((config.server.drainDelayMs + config.server.shutdownGraceMs) / 1000).toBeLessThan(
      deployment.spec.template.spec.terminationGracePeriodSeconds,
    );
  });
});
