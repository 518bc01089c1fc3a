// Config validation: strict keys, cross-references, missing secrets, all problems reported together with paths.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { ConfigError, loadConfigFile, loadConfigObject, parseConfig } from '../../src/config/load-config.js';

const backend = { id: 'a', protocol: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };
const route = { name: 'auto', tiers: [{ backends: ['a'] }] };

function problems(raw: unknown, env = {}): readonly string[] {
  try {
    loadConfigObject(raw, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config validation', () => {
  it('accepts a minimal config and fills defaults', () => {
    const { config } = loadConfigObject({ backends: [backend], routes: [route] }, { env: {} });
    expect(config.server.port).toBe(8080);
    expect(config.backends[0]!.timeouts.firstTokenMs).toBe(30_000);
    expect(config.state).toEqual({ driver: 'memory' });
    expect(Object.isFrozen(config.backends[0]!.pricing)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const list = problems({
      server: { prot: 1 },
      backends: [backend, { ...backend, pricing: { inputPerMTok: -1 } }, { id: 'c', protocol: 'openai', model: 'x' }],
      routes: [{ name: 'auto', tiers: [{ backends: ['a', 'ghost'] }] }],
    });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server: .*prot/),
        expect.stringMatching(/^backends\[1\]\.pricing\.inputPerMTok: /),
      ]),
    );
    expect(list.length).toBeGreaterThanOrEqual(2);
  });

  it('checks references after the shapes are valid', () => {
    const list = problems({
      backends: [backend, backend, { id: 'c', protocol: 'openai', model: 'x' }],
      routes: [{ name: 'auto', tiers: [{ backends: ['a', 'ghost'] }], baseline: 'nope' }],
    });
    expect(list).toEqual(
      expect.arrayContaining([
        'backends[1].id: duplicate backend id "a"',
        'backends[2].baseUrl: required for protocol openai',
        'routes[0].tiers[0].backends[1]: unknown backend "ghost"',
        'routes[0].baseline: unknown backend "nope"',
      ]),
    );
  });

  it('rejects a route name that shadows a backend id', () => {
    expect(problems({ backends: [backend], routes: [{ name: 'a', tiers: [{ backends: ['a'] }] }] })).toEqual([
      'routes[0].name: model name "a" is used twice (routes, aliases and backend ids share one namespace)',
    ]);
  });

  it('names the missing environment variable of a used backend', () => {
    expect(problems({ backends: [{ ...backend, apiKeyEnv: 'OPENAI_API_KEY' }], routes: [route] })).toEqual([
      'backends[0].apiKeyEnv: environment variable OPENAI_API_KEY is not set (needed by backend "a")',
    ]);
    expect(
      problems({ backends: [{ ...backend, apiKeyEnv: 'OPENAI_API_KEY' }], routes: [route] }, { OPENAI_API_KEY: 'sk' }),
    ).toEqual([]);
  });

  it('keeps secrets out of the config object', () => {
    const loaded = loadConfigObject(
      { backends: [{ ...backend, apiKeyEnv: 'K' }], routes: [route] },
      { env: { K: 'sk-secret' } },
    );
    expect(JSON.stringify(loaded.config)).not.toContain('sk-secret');
    expect(loaded.secrets.get('a')).toBe('sk-secret');
  });

  it('prices backends without pricing from the shipped list, by model name or prefix, and warns about the rest', () => {
    const loaded = loadConfigObject(
      {
        backends: [
          { ...backend, id: 'mini', model: 'gpt-4o-mini-2024-07-18' },
          { ...backend, id: 'own', model: 'gpt-4o', pricing: { inputPerMTok: 1 } },
          { ...backend, id: 'odd', model: 'my-finetune' },
        ],
        routes: [{ name: 'auto', tiers: [{ backends: ['mini', 'own', 'odd'] }] }],
      },
      { env: {} },
    );
    expect(loaded.config.backends[0]!.pricing).toMatchObject({
      inputPerMTok: 0.15,
      cachedInputPerMTok: 0.075,
      outputPerMTok: 0.6,
    });
    expect(loaded.config.backends[1]!.pricing).toMatchObject({ inputPerMTok: 1, outputPerMTok: 0 });
    expect(loaded.warnings).toEqual([
      'backend "odd" has no pricing and its model is not in config/prices.yaml: its cost reads as zero',
    ]);
  });

  it('checks virtual keys: hash format, duplicates, routes and route limits that exist', () => {
    const sha = 'a'.repeat(64);
    expect(
      problems({
        backends: [backend],
        routes: [route],
        keys: [
          { tenant: 't', sha256: sha, routes: ['auto', 'nope'], routeLimits: { auto: { rpm: 5 }, gone: { tpm: 10 } } },
          { tenant: 'u', sha256: sha },
          { tenant: 'v', sha256: 'xyz' },
        ],
      }),
    ).toEqual([
      'keys[2].sha256: 64 lower-case hex characters (sluice hash-key)',
      'keys[0].routes[1]: unknown route or backend "nope"',
      'keys[0].routeLimits.gone: unknown route "gone"',
      'keys[1].sha256: the same key is listed twice',
    ]);
  });

  it('lets PORT override server.port', () => {
    expect(
      loadConfigObject({ backends: [backend], routes: [route] }, { env: { PORT: '9999' } }).config.server.port,
    ).toBe(9999);
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(() => parseConfig('backends: [\n', { env: {} })).toThrow(/yaml:/);
    expect(() => loadConfigFile('/nonexistent/sluice.yaml', {})).toThrow(/cannot read file: ENOENT/);
  });

  it('reports a YAML alias bomb and a non-HTTP backend URL as problems, not crashes', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++)
      levels.push(
        `${'abcdefg'[i]}: &${'abcdefg'[i]} [${Array(9)
          .fill(`*${'abcdefg'[i - 1]}`)
          .join(', ')}]`,
      );
    expect(() => parseConfig(levels.join('\n'), { env: {} })).toThrow(ConfigError);
    expect(() => parseConfig(levels.join('\n'), { env: {} })).toThrow(/yaml: .*alias/i);
    for (const baseUrl of ['ftp://example.com/v1', 'file:///etc/passwd', 'localhost:8000/v1']) {
      expect(problems({ backends: [{ ...backend, baseUrl }], routes: [route] })).toEqual([
        'backends[0].baseUrl: expected an http:// or https:// URL',
      ]);
    }
    expect(problems({ backends: [{ ...backend, baseUrl: 'https://api.openai.com/v1' }], routes: [route] })).toEqual([]);
  });
  it('validates the shipped configs', () => {
    const env = { OPENAI_API_KEY: 'x', STRONG_API_KEY: 'x', ANTHROPIC_API_KEY: 'x', GEMINI_API_KEY: 'x' };
    for (const f of ['config/sluice.yaml', ...readdirSync('config/examples').map((n) => `config/examples/${n}`)]) {
      expect(() => loadConfigFile(f, env), f).not.toThrow();
    }
  });
});

describe('sluice check-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cfg-'));
  async function run(file: string) {
    let out = '';
    const code = await runCli(['check-config', file], {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
    });
    return { code, out };
  }
  it('prints OK for a valid file and every problem (exit 1) for an invalid one', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'backends: [{ id: a, protocol: mock, model: m }]\nroutes: [{ name: auto, tiers: [{ backends: [a] }] }]\n',
    );
    expect(await run(good)).toEqual({ code: 0, out: `OK ${good}: 1 backend, 1 route\n` });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'backends: [{ id: a, protocol: mock, model: m, colour: red }]\nroutes: [{ name: auto, tiers: [{ backends: [b] }] }]\n',
    );
    const res = await run(bad);
    expect(res.code).toBe(1);
    expect(res.out).toContain('backends[0]: Unrecognized key: "colour"');
  });
  it('exits 2 on an unknown command', async () => {
    expect(await runCli(['frobnicate'], { stdout: () => {}, stderr: () => {} })).toBe(2);
  });
});
