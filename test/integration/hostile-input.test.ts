// Hostile and broken JSON through HTTP: deep nesting in every field, huge numbers, lone surrogates, NUL bytes,
// 10,000 messages, one 1 MB word, and a seeded stream of random bodies. Every answer is a 4xx in OpenAI's shape
// or a 200, never a 5xx; nothing counts against a backend; the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;

beforeAll(async () => {
  up = await startFakeUpstream(() => ({
    kind: 'json',
    body: chatCompletion('ok', { usage: { prompt_tokens: 5, completion_tokens: 1 } }),
  }));
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'k' } });
});
afterAll(async () => {
  await app.close();
  await up.close();
});

const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const base = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };
/** The body text with `field` replaced by raw JSON text (so that nothing here has to build the deep value). */
const withRaw = (field: string, raw: string) =>
  JSON.stringify({ ...base, [field]: '__RAW__' }).replace('"__RAW__"', raw);

function expectClientError(res: { status: number; json: any }) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.json.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
}

describe('deep JSON', () => {
  const fields = [
    'messages',
    'metadata',
    'tools',
    'response_format',
    'stop',
    'user',
    'temperature',
    'stream_options',
    'some_unknown_field',
  ];
  for (const field of fields) {
    it(`20,000 levels in ${field}: a 400 naming it, no upstream call, no mark against the backend`, async () => {
      const before = up.requests.length;
      for (const raw of [nestedArrays(20_000), nestedObjects(20_000)]) {
        const res = await app.post('/v1/chat/completions', withRaw(field, raw));
        expectClientError(res);
        expect(res.status).toBe(400);
        expect(res.json.error.param).toBe(field);
      }
      expect(up.requests.length).toBe(before);
    });
  }
  it('deep inside a message content part and a tool schema', async () => {
    const deepPart = JSON.stringify({
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', extra: '__RAW__' }] }],
    }).replace('"__RAW__"', nestedObjects(5_000));
    const res = await app.post('/v1/chat/completions', deepPart);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      param: 'messages',
      message: expect.stringMatching(/messages\[0\]\.content.*deeper than 64 levels/),
    });
    const schema = JSON.stringify({
      ...base,
      tools: [{ type: 'function', function: { name: 'f', parameters: '__RAW__' } }],
    }).replace('"__RAW__"', nestedObjects(100));
    expect((await app.post('/v1/chat/completions', schema)).status).toBe(400);
    const fine = JSON.stringify({
      ...base,
      tools: [{ type: 'function', function: { name: 'f', parameters: '__RAW__' } }],
    }).replace('"__RAW__"', nestedObjects(30));
    expect((await app.post('/v1/chat/completions', fine)).status).toBe(200);
  });
  it('left the backend healthy', async () => {
    expect(await app.metric('sluice_attempts_total', { outcome: 'failed' })).toBeUndefined();
    expect(await app.metric('sluice_backend_up', { backend: 'b0' })).toBe(1);
  });
});

describe('odd values', () => {
  it('huge numbers are a 400 where a number is checked, forwarded where it is not', async () => {
    for (const [field, raw] of [
      ['max_tokens', '1e400'],
      ['n', '1e20'],
      ['temperature', '1e308'],
      ['seed', '1.5e300'],
    ] as const)
      expectClientError(await app.post('/v1/chat/completions', withRaw(field, raw)));
    expect((await app.post('/v1/chat/completions', withRaw('some_unknown_number', '1e400'))).status).toBe(200);
  });
  it('lone surrogates and NUL bytes in text are forwarded', async () => {
    const res = await app.post(
      '/v1/chat/completions',
      '{"model":"auto","messages":[{"role":"user","content":"a\\ud800b\\u0000c\\udfff"}]}',
    );
    expect(res.status).toBe(200);
    expect((up.requests.at(-1)!.body.messages as Array<{ content: string }>)[0]!.content).toBe('a\ud800b\u0000c\udfff');
  });
  it('10,000 messages', async () => {
    const messages = Array.from({ length: 10_000 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `turn ${i}`,
    }));
    expect(
      (
        await app.post('/v1/chat/completions', {
          model: 'auto',
          messages: [...messages, { role: 'user', content: 'last' }],
        })
      ).status,
    ).toBe(200);
  });
  it('one 1 MB word', async () => {
    expect(
      (
        await app.post('/v1/chat/completions', {
          model: 'auto',
          messages: [{ role: 'user', content: 'x'.repeat(1_000_000) }],
        })
      ).status,
    ).toBe(200);
  });
});

describe('random bodies (seeded)', () => {
  let seed = 20_261_206;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const atoms = [
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -1e-308,
    2 ** 53 + 1,
    '',
    'a\u0000b',
    '\ud800',
    '\u202e',
    'x'.repeat(1_000),
    [],
    {},
  ];
  const value = (depth: number): unknown => {
    if (depth > 4 || rand() < 0.4) return pick(atoms);
    if (rand() < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 4) }, () => [
        pick(['role', 'content', 'type', 'text', 'name', 'x', '__proto__', 'constructor']),
        value(depth + 1),
      ]),
    );
  };
  const fields = [
    'model',
    'messages',
    'stream',
    'stream_options',
    'max_tokens',
    'n',
    'temperature',
    'stop',
    'tools',
    'tool_choice',
    'response_format',
    'logprobs',
    'metadata',
    'user',
  ];
  it('300 mutated bodies: each a 200 or a 4xx, and the gateway still serves', async () => {
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = { ...base };
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) body[pick(fields)] = value(0);
      if (body.stream === true) body.stream = false;
      const res = await app.post(pick(['/v1/chat/completions', '/v1/completions', '/v1/embeddings']), body);
      expect(
        res.status === 200 || (res.status >= 400 && res.status < 500),
        `${res.status} for ${JSON.stringify(body).slice(0, 300)}`,
      ).toBe(true);
    }
    expect((await app.post('/v1/chat/completions', base)).status).toBe(200);
  });
});
