// W3C trace context through Sluice to every upstream attempt, and OpenTelemetry spans over OTLP/HTTP to a real
// HTTP server standing in for a collector: one span per request, one per attempt, with the GenAI attributes, the
// attempt spans being the parents the upstreams were given.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { proxyConfig, startTestApp, type TestApp } from '../helpers/test-app.js';

const clientTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context without span export', () => {
  let upstream: FakeUpstream;
  let app: TestApp;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    app = await startTestApp(proxyConfig([upstream.url]), { env: { TEST_KEY: 'k' } });
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  it('passes the client’s traceparent and tracestate on unchanged (Sluice records no span of its own)', async () => {
    await app.post(
      '/v1/chat/completions',
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      { traceparent: clientTrace, tracestate: 'vendor=abc' },
    );
    expect(upstream.requests.at(-1)!.headers).toMatchObject({ traceparent: clientTrace, tracestate: 'vendor=abc' });
  });

  it('starts a trace when the client sent none, or one that is not valid', async () => {
    for (const headers of [{}, { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }] as Array<
      Record<string, string>
    >) {
      await app.post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, headers);
      const sent = String(upstream.requests.at(-1)!.headers.traceparent);
      expect(sent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(sent).not.toContain('00000000000000000000000000000000');
    }
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
}

describe('OTLP span export', () => {
  let upstream: FakeUpstream;
  let collector: Server;
  const received: Array<{ path: string; contentType: string; body: any }> = [];
  let collectorUrl = '';
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c;
      });
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: String(req.headers['content-type']),
          body: JSON.parse(body),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
  });
  afterAll(async () => {
    await upstream.close();
    await new Promise<void>((r) => collector.close(() => r()));
  });

  it('exports a request span and one span per attempt, the attempts being the upstreams’ parents', async () => {
    const cfg = proxyConfig([upstream.url, upstream.url], { route: { maxAttempts: 3 } });
    cfg.telemetry = { otlp: { endpoint: collectorUrl, serviceName: 'sluice-test' } };
    const app = await startTestApp(cfg, { env: { TEST_KEY: 'k' } });
    upstream.script((_req, n) =>
      n % 2 === 1
        ? { kind: 'json', status: 500, body: { error: { message: 'boom', type: 'server_error' } } }
        : { kind: 'json', body: chatCompletion('Paris.', { usage: { prompt_tokens: 12, completion_tokens: 2 } }) },
    );
    const before = upstream.requests.length;
    const res = await app.post(
      '/v1/chat/completions',
      { model: 'auto', messages: [{ role: 'user', content: 'Capital of France?' }] },
      { traceparent: clientTrace },
    );
    expect(res.status).toBe(200);
    const sentParents = upstream.requests.slice(before).map((r) => String(r.headers.traceparent).split('-')[2]);
    expect(sentParents).toHaveLength(2);
    await app.close(); // shuts the exporter down: what is batched is sent
    const spans: OtlpSpan[] = received.flatMap((r) =>
      r.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)),
    );
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    expect(received[0]!.body.resourceSpans[0].resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'sluice-test' },
    });
    const attr = (s: OtlpSpan, key: string) => {
      const v = s.attributes.find((a) => a.key === key)?.value;
      return v && (v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue);
    };
    const server = spans.find((s) => s.kind === 2)!;
    const clients = spans.filter((s) => s.kind === 3);
    expect(server).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      name: 'chat auto',
    });
    expect(attr(server, 'gen_ai.request.model')).toBe('auto');
    expect(attr(server, 'gen_ai.response.model')).toBe('upstream-model-1');
    expect(Number(attr(server, 'gen_ai.usage.input_tokens'))).toBe(12);
    expect(attr(server, 'sluice.route')).toBe('auto');
    expect(Number(attr(server, 'sluice.cost_usd'))).toBeGreaterThan(0);
    expect(clients.map((c) => c.spanId)).toEqual(sentParents);
    expect(clients.every((c) => c.parentSpanId === server.spanId && c.traceId === server.traceId)).toBe(true);
    expect(clients.map((c) => attr(c, 'sluice.verdict'))).toEqual(['failed', 'accepted']);
    expect(clients[0]!.status?.code).toBe(2);
    expect(attr(clients[1]!, 'gen_ai.provider.name')).toBe('openai');
    expect(attr(clients[1]!, 'gen_ai.request.model')).toBe('upstream-model-1');
  });
});
