// An OpenAI-compatible upstream that misbehaves at random, for bench:chaos and bench:soak: answers, streams, 500s,
// 429s, resets, stalls, streams cut halfway, slow trickles. Its own process; prints its port. Seeded.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

let seed = Number(process.env.CHAOS_SEED ?? 42);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const words = 'the capital of France is Paris and it lies on the Seine in the north of the country'.split(' ');
const text = (n: number) => Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');
const completion = (content: string) =>
  JSON.stringify({
    id: 'chatcmpl-chaos',
    object: 'chat.completion',
    created: 1,
    model: 'chaos',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 20, completion_tokens: content.split(' ').length, total_tokens: 0 },
  });
const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'chaos', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function stream(res: ServerResponse, pieces: number, cutAt: number | undefined, gapMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ role: 'assistant', content: '' }));
  for (let i = 0; i < pieces; i++) {
    if (cutAt !== undefined && i === cutAt) {
      res.socket?.destroy();
      return;
    }
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    if (res.destroyed) return;
    res.write(chunk({ content: `${words[i % words.length]} ` }));
  }
  res.write(chunk({}, 'stop'));
  res.end(
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'chaos', choices: [], usage: { prompt_tokens: 20, completion_tokens: pieces, total_tokens: 20 + pieces } })}\n\ndata: [DONE]\n\n`,
  );
}

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c;
  });
  req.on('end', () => {
    const streaming = body.includes('"stream":true');
    const r = random();
    if (r < 0.06) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"chaos","type":"server_error"}}');
    } else if (r < 0.09) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"message":"slow down","type":"rate_limit_error"}}');
    } else if (r < 0.12) {
      res.socket?.destroy();
    } else if (r < 0.14) {
      // stall: Sluice's first-token timeout ends it
    } else if (streaming) {
      const pieces = 20 + Math.floor(random() * 60);
      void stream(res, pieces, r < 0.2 ? Math.floor(pieces / 2) : undefined, r > 0.95 ? 20 : 0);
    } else {
      const answer = completion(text(10 + Math.floor(random() * 200)));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
