// Writes a client's SSE stream. Nothing is written before `open` (the commit point); from then on the reply is
// hijacked from fastify and written directly, with back-pressure, ending in [DONE] or one error event.
import type { FastifyReply } from 'fastify';
import type { CommitInfo, StreamSink } from '../cascade/types.js';
import type { OpenAIErrorBody } from '../errors/sluice-error.js';

export function createSseSink(reply: FastifyReply, headers: (info: CommitInfo) => Record<string, string>): StreamSink & { readonly opened: boolean } {
  const res = reply.raw;
  let opened = false;
  let corked = false;
  const writable = () => !res.destroyed && !res.writableEnded;
  // Events that arrive in the same tick (one upstream read often holds several) leave in one write.
  const uncork = () => { corked = false; res.uncork(); };
  return {
    get opened() { return opened; },
    open(info) {
      opened = true;
      reply.hijack();
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        ...headers(info),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
    },
    send(data: string) {
      if (!writable()) return;
      if (!corked) { corked = true; res.cork(); process.nextTick(uncork); }
      if (res.write(`data: ${data}\n\n`)) return;
      return new Promise<void>((resolve) => {
        const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    done() {
      if (writable()) res.end('data: [DONE]\n\n');
    },
    fail(body: OpenAIErrorBody) {
      if (writable()) res.end(`data: ${JSON.stringify(body)}\n\n`);
    },
  };
}
