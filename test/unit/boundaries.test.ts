// The request path's boundaries, as the design names them: pure stages (classify, plan, judge, pricing and
// accounting, quality's statistics, shared shapes) import no I/O library and no I/O stage; each I/O library has one
// owner. Read from the source's import statements, so a new import that crosses a line fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = 'src';
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Import and export-from specifiers of a file, resolved to a path under src/ for relative ones. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\('([^']+)'\)/gm),
  ].map((m) => {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    return spec.startsWith('.') ? relative('.', join(file, '..', spec)).replace(/\.js$/, '.ts') : spec;
  });
}

const ioLibraries = [
  'fastify',
  'undici',
  'ioredis',
  'prom-client',
  'pino',
  'node:http',
  'node:https',
  'node:net',
  'node:child_process',
  'node:dgram',
];
const ioStages = [
  'src/http/',
  'src/pipeline/',
  'src/upstream/',
  'src/state/',
  'src/metrics/',
  'src/log/',
  'src/cascade/',
  'src/tenants/',
  'src/health/',
  'src/cli/',
  'src/runtime.ts',
  'src/app.ts',
  'src/server.ts',
];
const pure = [
  'src/classify/',
  'src/route/',
  'src/judge/',
  'src/cost/',
  'src/shared/',
  'src/doors/',
  'src/quality/agreement.ts',
  'src/quality/threshold.ts',
  'src/telemetry/trace-context.ts',
];
/** Startup reads of shipped data (weights, the tokenizer's rank table): files, never the network. */
const mayReadFiles = ['src/classify/load-models.ts', 'src/classify/o200k-encoding.ts'];
const owners: Record<string, string[]> = {
  fastify: ['src/http/', 'src/app.ts'],
  undici: ['src/upstream/'],
  ioredis: ['src/state/redis-store.ts'],
  'prom-client': ['src/metrics/'],
  pino: ['src/log/', 'src/app.ts'],
  '@opentelemetry': ['src/telemetry/otlp-spans.ts'],
};

/** Below the HTTP layer: the pipeline and what it drives know no HTTP framework and no door's wire format. */
const belowHttp = ['src/pipeline/', 'src/cascade/', 'src/upstream/', 'src/quality/', 'src/tenants/'];

const under = (file: string, places: readonly string[]) =>
  places.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

/** Every import that breaks a rule, as "file → import (why)". */
function violations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    for (const spec of imports) {
      const lib = spec.startsWith('src/')
        ? undefined
        : spec.split('/')[0]!.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0]!;
      if (under(file, pure)) {
        if (lib && ioLibraries.includes(lib)) out.push(`${file} → ${spec} (a pure stage imports an I/O library)`);
        if (lib === 'node:fs' && !mayReadFiles.includes(file)) out.push(`${file} → ${spec} (a pure stage reads files)`);
        if (!lib && under(spec, ioStages)) out.push(`${file} → ${spec} (a pure stage imports an I/O stage)`);
      }
      if (!lib && under(file, belowHttp) && (spec.startsWith('src/http/') || spec.startsWith('src/doors/')))
        out.push(`${file} → ${spec} (below the HTTP layer, nothing imports http or a door)`);
      if (lib && owners[lib] && !under(file, owners[lib]!))
        out.push(`${file} → ${spec} (only ${owners[lib]!.join(', ')} may import ${lib})`);
    }
  }
  return out;
}

describe('boundaries', () => {
  const graph = new Map(files(root).map((f) => [f, importsOf(f)]));
  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get('src/classify/count-tokens.ts')).toContain('src/shared/recent-map.ts');
  });
  it('holds in the source', () => {
    expect(violations(graph)).toEqual([]);
  });
  it('catches each kind of crossing', () => {
    const bad = new Map([
      ['src/classify/x.ts', ['src/state/store.ts', 'undici', 'node:fs']],
      ['src/judge/y.ts', ['src/cascade/types.ts']],
      ['src/metrics/z.ts', ['ioredis']],
      ['src/quality/threshold.ts', ['src/http/routed-handler.ts']],
      ['src/pipeline/p.ts', ['src/http/explain.ts', 'src/doors/door.ts']],
    ]);
    expect(violations(bad)).toEqual([
      'src/classify/x.ts → src/state/store.ts (a pure stage imports an I/O stage)',
      'src/classify/x.ts → undici (a pure stage imports an I/O library)',
      'src/classify/x.ts → undici (only src/upstream/ may import undici)',
      'src/classify/x.ts → node:fs (a pure stage reads files)',
      'src/judge/y.ts → src/cascade/types.ts (a pure stage imports an I/O stage)',
      'src/metrics/z.ts → ioredis (only src/state/redis-store.ts may import ioredis)',
      'src/quality/threshold.ts → src/http/routed-handler.ts (a pure stage imports an I/O stage)',
      'src/quality/threshold.ts → src/http/routed-handler.ts (below the HTTP layer, nothing imports http or a door)',
      'src/pipeline/p.ts → src/http/explain.ts (below the HTTP layer, nothing imports http or a door)',
      'src/pipeline/p.ts → src/doors/door.ts (below the HTTP layer, nothing imports http or a door)',
    ]);
  });
});
