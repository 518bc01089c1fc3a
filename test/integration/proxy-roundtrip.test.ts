// JSON and streaming round trips through Sluice, byte-compatible with what the upstream sent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatChunks, chatCompletion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, sseData, startTestApp, type TestApp } from '../helpers/test-app.js';

let up: FakeUpstream;
let app: TestApp;
beforeAll(async () => {
  up = await startFakeUpstream();
  app = await startTestApp(proxyConfig([up.url]), { env: { TEST_KEY: 'sk-backend-secret' } });
});
afterAll(async () => {
  await app.close();
  await up.close();
});
afterEach(() => {
  up.requests.length = 0;
});

const tools = [
  {
    type: 'function',
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
];

describe('non-streaming', () => {
  it('passes the body on (model swapped, every other field kept) and returns the upstream body unchanged', async () => {
    const upstreamBody = chatCompletion('Paris.', { usage: { prompt_tokens: 12, completion_tokens: 3 } });
    up.script(() => ({ kind: 'json', body: upstreamBody }));
    // Six stop sequences: more than OpenAI takes, fine for vLLM or llama.cpp; limits that differ are the backend's call.
    const body = {
      model: 'auto',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      temperature: 0,
      seed: 7,
      stop: ['1', '2', '3', '4', '5', '6'],
      custom_field: { x: 1 },
    };
    const res = await app.post('/v1/chat/completions', body);
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(upstreamBody));
    const sent = up.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({ ...body, model: 'upstream-model-0' });
    expect(res.headers['x-sluice-route']).toBe('auto');
    expect(res.headers['x-sluice-backend']).toBe('b0');
    expect(res.headers['x-sluice-tier']).toBe('0');
    expect(res.headers['x-sluice-attempts']).toBe('1');
    expect(res.headers['x-sluice-escalations']).toBe('');
    expect(res.headers['x-sluice-size']).toBe('small');
    // 12 input × $1/MTok + 3 output × $2/MTok = 18e-6 USD
    expect(res.headers['x-sluice-cost-usd']).toBe('0.000018000');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends the client's own bytes on, only the model replaced: spacing, escapes and numbers as written", async () => {
    const text =
      '{ "messages": [ {"role":"user","content":"caf\\u00e9 \\"quoted\\" ✓"} ],\n  "model" : "auto", "top_p": 1.0, "x_trace": 12345678901234567890 }';
    const res = await app.post('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    const sent = up.requests[0]!;
    expect(sent.text).toBe(text.replace('"auto"', '"upstream-model-0"'));
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(sent.text)));
  });

  it('sends a large body from its own bytes, with its length', async () => {
    const content = 'The quick brown fox jumps over the lazy dog. '.repeat(4_000); // 180 kB
    const text = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 5 });
    const res = await app.post('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    const sent = up.requests[0]!;
    expect(sent.text).toBe(text.replace('"auto"', '"upstream-model-0"'));
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(sent.text)));
    expect(sent.headers['transfer-encoding']).toBeUndefined();
  });

  it('keeps the client request id and forwards it upstream', async () => {
    const res = await app.post(
      '/v1/chat/completions',
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      { 'x-request-id': 'client-req-42' },
    );
    expect(res.headers['x-request-id']).toBe('client-req-42');
    expect(up.requests[0]!.headers['x-request-id']).toBe('client-req-42');
    // Answers are read as they come, uncompressed: the backend is told so (no header would allow any coding).
    expect(up.requests[0]!.headers['accept-encoding']).toBe('identity');
  });

  it('passes tool calls through untouched', async () => {
    const toolCall = {
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    };
    const upstreamBody = chatCompletion('', { finish: 'tool_calls', extra: { content: null, tool_calls: [toolCall] } });
    up.script(() => ({ kind: 'json', body: upstreamBody }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
    });
    expect(res.json.choices[0].message.tool_calls).toEqual([toolCall]);
  });
});

describe('streaming', () => {
  const pieces = ['Hel', 'lo', ' wor', 'ld'];

  it('relays chunks exactly, asks upstream for usage, strips the usage chunk the client did not ask for', async () => {
    const events = chatChunks(pieces, { usage: { prompt_tokens: 9, completion_tokens: 4 } });
    up.script(() => ({ kind: 'sse', events }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.headers['x-sluice-backend']).toBe('b0');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/); // set in onRequest, carried into the hijacked stream
    expect(up.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const data = sseData(res.text);
    expect(data).toEqual([...events.slice(0, -1), '[DONE]']);
    expect(data.filter((d) => d === '[DONE]')).toHaveLength(1);
  });

  it('writes the stream to the client byte for byte as the upstream framed it, multi-byte text included', async () => {
    const events = chatChunks(['Gr\u00fc\u00df', ' \u20ac5', ' \ud83d\ude00', ' \u6771\u4eac'], {
      usage: { prompt_tokens: 9, completion_tokens: 4 },
    });
    up.script(() => ({ kind: 'sse', events, delayMs: 5 })); // one upstream read per event
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.text).toBe([...events, '[DONE]'].map((e) => `data: ${e}\n\n`).join(''));
  });

  it('delivers the chunks an upstream read holds before an error chunk, then one error event', async () => {
    const [role, hel, lo, wor] = chatChunks(['Hel', 'lo', ' wor']);
    const error = JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: null } });
    // The second write holds three events: two text chunks and an error, read together after the commit point.
    up.script(() => ({
      kind: 'sse',
      events: [`${role}\n\ndata: ${hel}`, `${lo}\n\ndata: ${wor}\n\ndata: ${error}`],
      delayMs: 20,
    }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const data = sseData(res.text);
    expect(data.slice(0, 4)).toEqual([role, hel, lo, wor]);
    expect(data).toHaveLength(5);
    expect(JSON.parse(data[4]!).error.code).toBe('upstream_error');
  });

  it('keeps the usage chunk when the client asked for it', async () => {
    const events = chatChunks(pieces, { usage: { prompt_tokens: 9, completion_tokens: 4 } });
    up.script(() => ({ kind: 'sse', events }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(sseData(res.text)).toEqual([...events, '[DONE]']);
  });

  it('removes the usage: null field OpenAI adds to every chunk when the client did not ask', async () => {
    const events = chatChunks(pieces, { usage: { prompt_tokens: 9, completion_tokens: 4 }, usageNullOnChunks: true });
    up.script(() => ({ kind: 'sse', events }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const data = sseData(res.text);
    expect(data).toHaveLength(events.length); // usage chunk dropped, [DONE] added
    for (const d of data.slice(0, -1)) expect(JSON.parse(d)).not.toHaveProperty('usage');
  });

  it('parses CRLF line ends and an upstream that never sends [DONE]', async () => {
    const events = chatChunks(pieces, { usage: { prompt_tokens: 9, completion_tokens: 4 } });
    up.script(() => ({ kind: 'sse', events, lineEnd: '\r\n', done: false }));
    const res = await app.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(sseData(res.text)).toEqual([...events.slice(0, -1), '[DONE]']);
  });

  it('synthesizes the usage chunk from the tokenizer when the backend cannot stream usage', async () => {
    const local = await startTestApp(proxyConfig([up.url], { backend: { streamUsage: false } }), {
      env: { TEST_KEY: 'k' },
    });
    up.script(() => ({ kind: 'sse', events: chatChunks(pieces) }));
    const res = await local.post('/v1/chat/completions', {
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    await local.close();
    expect(up.requests[0]!.body).not.toHaveProperty('stream_options');
    const data = sseData(res.text);
    const usageChunk = JSON.parse(data[data.length - 2]!);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBe(2); // "Hello world" in o200k
    expect(usageChunk.id).toBe('chatcmpl-fake');
  });
});
