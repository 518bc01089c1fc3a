// Reads the YAML config, validates it with the schema, resolves backend keys from the environment and freezes it.
// The only module that reads process.env. Every problem is reported at once, each with its path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { proxyFor } from './egress-proxy.js';
import { configSchema, type Config } from './schema.js';

export interface LoadedConfig {
  readonly config: Config;
  /** Things worth a startup warning: backends with no price (their cost reads as zero). */
  readonly warnings: readonly string[];
  /** Backend id → API key, resolved from `apiKeyEnv`. Kept apart so the config itself can be logged. */
  readonly secrets: ReadonlyMap<string, string>;
  /** Backend id → egress proxy URL, for backends reached through `HTTPS_PROXY`/`HTTP_PROXY` (see egress-proxy.ts). */
  readonly proxies: ReadonlyMap<string, string>;
  /** The admin API key (from `server.adminKeyEnv`), when set. */
  readonly adminKey?: string;
  readonly source: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export const defaultConfigPath = 'config/sluice.yaml';

/** Which file to load: an explicit path, else SLUICE_CONFIG, else the shipped default. */
export function configPathFrom(explicit: string | undefined, env: Env = process.env): string {
  return explicit ?? env.SLUICE_CONFIG ?? defaultConfigPath;
}

export function loadConfigFile(path: string, env: Env = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, { source: path, env });
}

export function parseConfig(text: string, opts: { source?: string; env?: Env } = {}): LoadedConfig {
  const source = opts.source ?? '<inline>';
  const env = opts.env ?? process.env;
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      source,
      doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`),
    );
  let raw: unknown;
  try {
    raw = doc.toJS(); // throws on alias bombs (more aliases than the yaml library allows)
  } catch (err) {
    throw new ConfigError(source, [`yaml: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return loadConfigObject(raw ?? {}, { source, env });
}

/** Validates an already-parsed config object (tests and tools build configs as objects). */
export function loadConfigObject(
  raw: unknown,
  opts: { source?: string; env?: Env; prices?: PriceTable } = {},
): LoadedConfig {
  const source = opts.source ?? '<object>';
  const env = opts.env ?? process.env;
  const priced = withListPrices(raw, opts.prices ?? shippedPrices());
  const parsed = configSchema.safeParse(withEnvOverrides(priced.raw, env));
  if (!parsed.success) throw new ConfigError(source, formatIssues(parsed.error.issues));
  const config = parsed.data;
  const { secrets, problems } = resolveSecrets(config, env);
  const proxies = resolveProxies(config, env, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const adminKey = env[config.server.adminKeyEnv];
  return {
    config: deepFreeze(config),
    secrets,
    proxies,
    source,
    ...(adminKey && { adminKey }),
    warnings: priced.unpriced.map(
      (id) => `backend "${id}" has no pricing and its model is not in config/prices.yaml: its cost reads as zero`,
    ),
  };
}

export type PriceTable = Readonly<Record<string, Record<string, number>>>;

let priceTable: PriceTable | undefined;
/** The shipped list prices (config/prices.yaml beside the install), read once. */
export function shippedPrices(): PriceTable {
  if (!priceTable) {
    const path = fileURLToPath(
      new URL(
        import.meta.url.includes('/dist/') ? '../../../config/prices.yaml' : '../../config/prices.yaml',
        import.meta.url,
      ),
    );
    priceTable = (parseDocument(readFileSync(path, 'utf8')).toJS() ?? {}) as PriceTable;
  }
  return priceTable;
}

/** Fills `pricing` of backends that set none from the table: exact model name, else the longest matching prefix. */
function withListPrices(raw: unknown, table: PriceTable): { raw: unknown; unpriced: string[] } {
  const obj = raw as { backends?: unknown };
  if (typeof raw !== 'object' || raw === null || !Array.isArray(obj.backends)) return { raw, unpriced: [] };
  const unpriced: string[] = [];
  const names = Object.keys(table).sort((a, b) => b.length - a.length);
  const backends = obj.backends.map((b: Record<string, unknown>) => {
    if (typeof b !== 'object' || b === null || 'pricing' in b || b.protocol === 'mock') return b;
    const model = String(b.model ?? '');
    const match = table[model] ? model : names.find((n) => model.startsWith(n));
    if (!match) {
      unpriced.push(String(b.id));
      return b;
    }
    return { ...b, pricing: { ...table[match] } };
  });
  return { raw: { ...obj, backends }, unpriced };
}

function withEnvOverrides(raw: unknown, env: Env): unknown {
  if (!env.PORT || typeof raw !== 'object' || raw === null) return raw;
  const obj = raw as Record<string, unknown>;
  const server = typeof obj.server === 'object' && obj.server !== null ? obj.server : {};
  return { ...obj, server: { ...server, port: Number(env.PORT) } };
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Keys are needed only for backends that a route uses; a missing variable names itself. */
function resolveSecrets(config: Config, env: Env): { secrets: Map<string, string>; problems: string[] } {
  const used = new Set(config.routes.flatMap((r) => r.tiers.flatMap((t) => t.backends)));
  const secrets = new Map<string, string>();
  const problems: string[] = [];
  config.backends.forEach((b, i) => {
    if (!b.apiKeyEnv) return;
    const value = env[b.apiKeyEnv];
    if (value) secrets.set(b.id, value);
    else if (used.has(b.id))
      problems.push(
        `backends[${i}].apiKeyEnv: environment variable ${b.apiKeyEnv} is not set (needed by backend "${b.id}")`,
      );
  });
  return { secrets, problems };
}

function resolveProxies(config: Config, env: Env, problems: string[]): Map<string, string> {
  const proxies = new Map<string, string>();
  config.backends.forEach((b, i) => {
    if (b.protocol !== 'openai' || !b.baseUrl) return;
    try {
      const proxy = proxyFor(new URL(b.baseUrl), env);
      if (proxy) proxies.set(b.id, proxy);
    } catch (err) {
      problems.push(`backends[${i}].baseUrl: its egress proxy ${(err as Error).message}`);
    }
  });
  return proxies;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
