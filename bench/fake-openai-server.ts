// A fast OpenAI-compatible upstream for benchmarks: fixed JSON or a short SSE stream, no delays.
// Runs as its own process (so it does not share an event loop with Sluice) and prints its port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'bench-model',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 14, completion_tokens: 8, total_tokens: 22 },
});
const base =
  '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":';
const stream = `${[
  `${base}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
  ...['The', ' capital', ' of', ' France', ' is', ' Paris', '.'].map(
    (t) => `${base}[{"index":0,"delta":{"content":"${t}"},"finish_reason":null}]}`,
  ),
  `${base}[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
  `${base}[],"usage":{"prompt_tokens":14,"completion_tokens":8,"total_tokens":22}}`,
]
  .map((d) => `data: ${d}\n\n`)
  .join('')}data: [DONE]\n\n`;

// A prompt that says "long answer" gets 200 tokens: the length of a real answer, for per-token costs.
const longStream = `${[
  `${base}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
  ...Array.from(
    { length: 200 },
    (_, i) => `${base}[{"index":0,"delta":{"content":" word${i % 50}"},"finish_reason":null}]}`,
  ),
  `${base}[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
  `${base}[],"usage":{"prompt_tokens":14,"completion_tokens":200,"total_tokens":214}}`,
]
  .map((d) => `data: ${d}\n\n`)
  .join('')}data: [DONE]\n\n`;

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c;
  });
  req.on('end', () => {
    if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body.includes('long answer') ? longStream : stream);
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
      res.end(completion);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
