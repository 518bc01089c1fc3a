// A scriptable OpenAI-compatible upstream on 127.0.0.1: answers JSON or SSE with chosen chunking and delays,
// stalls, resets, cuts streams, returns errors; records every request and every socket it saw close.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** The body as it came on the wire. */
  text: string;
}

export type Reply =
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string>; delayMs?: number }
  | {
      kind: 'sse';
      events: string[];
      delayMs?: number;
      firstDelayMs?: number;
      done?: boolean;
      cutAfter?: number;
      stallAfter?: number;
      lineEnd?: string;
      endDelayMs?: number;
      /** Each event's `event:` line from its JSON `type` (Anthropic's framing). */
      named?: boolean;
    }
  | { kind: 'stall' }
  | { kind: 'reset' };

export type Script = (req: Received, n: number) => Reply | Promise<Reply>;

export interface FakeUpstream {
  url: string;
  requests: Received[];
  /** Sockets closed by the peer or destroyed, counted as they close. */
  closedSockets(): number;
  openSockets(): number;
  script(fn: Script): void;
  /** Resolves when the next socket closes. */
  nextSocketClose(): Promise<void>;
  close(): Promise<void>;
}

/** `keepAliveTimeoutMs: 0`: idle connections are never closed and no `Keep-Alive: timeout=` hint is sent. */
export async function startFakeUpstream(
  initial?: Script,
  opts: { keepAliveTimeoutMs?: number } = {},
): Promise<FakeUpstream> {
  let script: Script = initial ?? (() => ({ kind: 'json', body: chatCompletion('hello') }));
  const requests: Received[] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => void handle(req, res));
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      closed++;
      for (const w of waiters.splice(0)) w();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const received: Received = {
      path: req.url ?? '',
      headers: req.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      text,
    };
    requests.push(received);
    const reply = await script(received, requests.length);
    await send(reply, res);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    closedSockets: () => closed,
    openSockets: () => sockets.size,
    script(fn) {
      script = fn;
    },
    nextSocketClose: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(reply: Reply, res: ServerResponse): Promise<void> {
  switch (reply.kind) {
    case 'stall':
      return;
    case 'reset':
      res.socket?.destroy();
      return;
    case 'json':
      if (reply.delayMs) await sleep(reply.delayMs);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      return;
    case 'sse': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const end = reply.lineEnd ?? '\n';
      if (reply.firstDelayMs) await sleep(reply.firstDelayMs);
      for (let i = 0; i < reply.events.length; i++) {
        if (reply.cutAfter !== undefined && i >= reply.cutAfter) {
          await sleep(20);
          res.socket?.destroy();
          return;
        }
        if (reply.stallAfter !== undefined && i >= reply.stallAfter) return;
        if (i > 0 && reply.delayMs) await sleep(reply.delayMs);
        if (res.destroyed) return;
        const name = reply.named ? `event: ${(JSON.parse(reply.events[i]!) as { type: string }).type}${end}` : '';
        res.write(`${name}data: ${reply.events[i]}${end}${end}`);
      }
      if (reply.cutAfter !== undefined && reply.cutAfter >= reply.events.length) {
        res.socket?.destroy();
        return;
      }
      if (reply.endDelayMs !== undefined) {
        // [DONE] first, the end of the chunked body later (as many servers do).
        if (reply.done !== false) res.write(`data: [DONE]${end}${end}`);
        await sleep(reply.endDelayMs);
        res.end();
        return;
      }
      res.end(reply.done === false ? '' : `data: [DONE]${end}${end}`);
    }
  }
}

export function chatCompletion(
  content: string,
  opts: {
    usage?: {
      prompt_tokens: number;
      completion_tokens: number;
      prompt_tokens_details?: { cached_tokens: number };
    } | null;
    finish?: string;
    model?: string;
    extra?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  const usage = opts.usage === undefined ? { prompt_tokens: 10, completion_tokens: 5 } : opts.usage;
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1700000000,
    model: opts.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...opts.extra },
        logprobs: null,
        finish_reason: opts.finish ?? 'stop',
      },
    ],
    ...(usage && { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }),
  };
}

/** Chunk payloads for a streamed answer: role, one per piece, finish, then a usage chunk when given. */
export function chatChunks(
  pieces: string[],
  opts: {
    usage?: { prompt_tokens: number; completion_tokens: number };
    finish?: string;
    usageNullOnChunks?: boolean;
  } = {},
): string[] {
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'fake-model',
    ...(opts.usageNullOnChunks && { usage: null }),
  };
  const out = [
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    }),
  ];
  for (const p of pieces)
    out.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] }));
  out.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: opts.finish ?? 'stop' }] }));
  if (opts.usage)
    out.push(
      JSON.stringify({
        ...base,
        choices: [],
        usage: { ...opts.usage, total_tokens: opts.usage.prompt_tokens + opts.usage.completion_tokens },
      }),
    );
  return out;
}
