// The real Claude Code CLI (`claude -p ... --output-format json`) with ANTHROPIC_BASE_URL pointed at Sluice, in
// front of an OpenAI-protocol upstream: its requests (always streamed, to /v1/messages?beta=true, with its system
// blocks, a dozen tools and its betas) are served, its cost display reads the usage the upstream reported, and no
// request leaves 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

const claude = join(process.cwd(), 'node_modules/.bin/claude');
let upstream: FakeUpstream;
let app: TestApp;
let home: string;
beforeAll(async () => {
  const usage = { prompt_tokens: 1234, completion_tokens: 3 };
  upstream = await startFakeUpstream((req) =>
    req.body.stream === true
      ? { kind: 'sse', events: chatChunks(['The answer', ' is 4.'], { usage }) }
      : { kind: 'json', body: chatCompletion('The answer is 4.', { usage }) },
  );
  const cfg = proxyConfig([upstream.url]);
  (cfg.routes as Array<Record<string, unknown>>)[0]!.aliases = ['claude-*'];
  app = await startTestApp(cfg, { env: { TEST_KEY: 'sk-upstream' } });
  home = mkdtempSync(join(tmpdir(), 'sluice-claude-'));
});
afterAll(async () => {
  await app.close();
  await upstream.close();
  rmSync(home, { recursive: true, force: true });
});

function runClaude(prompt: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      claude,
      ['-p', prompt, '--output-format', 'json'],
      {
        timeout: 60_000,
        cwd: home,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          ANTHROPIC_BASE_URL: app.url,
          ANTHROPIC_API_KEY: 'sk-ant-test',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('Claude Code against the Messages door', () => {
  it('answers `claude -p` through an OpenAI upstream, with the upstream’s usage in its cost display', async () => {
    const run = await runClaude('What is 2+2? Answer in one sentence.');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, any>;
    expect(result).toMatchObject({ type: 'result', is_error: false, result: 'The answer is 4.' });
    const chats = upstream.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.length).toBeGreaterThan(0);
    expect(result.usage.input_tokens).toBe(1234 * chats.length);
    expect(result.usage.output_tokens).toBe(3 * chats.length);
    const main = chats.find((r) => Array.isArray(r.body.tools) && (r.body.tools as unknown[]).length >= 10);
    expect(main, 'a request with Claude Code’s tools').toBeDefined();
    const messages = main!.body.messages as Array<{ role: string; content: unknown }>;
    expect(messages[0]!.role).toBe('system');
    expect(String(messages[0]!.content)).toContain('Claude');
    expect(main!.body).toMatchObject({ stream: true, model: 'upstream-model-0' });
    const lines = app.logs.filter((l) => l.msg === 'request' && l.door === 'messages');
    expect(lines.length).toBe(chats.length);
    expect(lines.every((l) => l.outcome === 'ok' && l.route === 'auto')).toBe(true);
  }, 90_000);
});
