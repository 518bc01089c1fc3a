// Back-pressure through the gateway: a client that stops reading makes Sluice stop reading the upstream, so a long
// answer never piles up in the gateway's memory; when the client reads again, the whole stream arrives. Through the
// chat door (the upstream's bytes relayed) and a translating door (its events written into a byte writer).
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { proxyConfig, sseData, startTestApp } from '../helpers/test-app.js';

const events = 4_000;
const piece = 'x'.repeat(8_000);
const total = events * (piece.length + 150); // about 32 MB of SSE
let written = 0;
let waitingForDrain = false;
let upstream: Server;
let url: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < events; i++) {
        const data = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: piece }, finish_reason: i === events - 1 ? 'stop' : null }] })}\n\n`;
        written += data.length;
        if (!res.write(data)) {
          waitingForDrain = true;
          await new Promise((resolve) => res.once('drain', resolve));
          waitingForDrain = false;
        }
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

const doors = [
  {
    door: 'chat completions',
    path: '/v1/chat/completions',
    body: { model: 'auto', stream: true, messages: [{ role: 'user', content: 'a long answer' }] },
    // Every chunk, then [DONE].
    check: (data: string[]) => {
      expect(data.at(-1)).toBe('[DONE]');
      expect(data.length - 1).toBe(events);
    },
  },
  {
    door: 'messages',
    path: '/v1/messages',
    body: { model: 'auto', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'a long answer' }] },
    check: (data: string[]) => {
      const types = data.map((d) => (JSON.parse(d) as { type: string }).type);
      expect(types.at(-1)).toBe('message_stop');
      expect(types.filter((t) => t === 'content_block_delta').length).toBe(events);
    },
  },
];

it.each(doors)(
  'stops reading the upstream while the $door client is not reading, and delivers everything once it does',
  async ({ path, body: request, check }) => {
    written = 0;
    waitingForDrain = false;
    const app = await startTestApp(
      { ...proxyConfig([url]), server: { shutdownGraceMs: 5_000 } },
      { env: { TEST_KEY: 'k' } },
    );
    const body = JSON.stringify(request);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        `${app.url}${path}`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
    res.pause(); // the client reads nothing for now
    // Stalled: the upstream waits for drain and writes nothing more, poll after poll. A gateway that kept reading
    // would take the whole answer into memory and let the upstream finish instead.
    let still = 0;
    let last = -1;
    await expect
      .poll(
        () => {
          still = waitingForDrain && written === last ? still + 1 : 0;
          last = written;
          return still;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(6);
    expect(written).toBeLessThan(total / 2); // socket buffers hold a few MB; the rest waits upstream
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    // Each event's data line, named or not.
    const text = Buffer.concat(chunks).toString('utf8');
    check(sseData(text.replace(/(^|\n\n)event: [^\n]*\n/g, '$1')));
    await app.close();
  },
  30_000,
);
