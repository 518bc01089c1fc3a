// Writes a client's SSE stream. Nothing is written before `open` (the commit point); from then on the reply is
// hijacked from fastify and written directly, with back-pressure, ending in [DONE] or one error event. A door's
// translator, when given, turns each chat chunk into the door's own events.
import type { FastifyReply } from 'fastify';
import type { CommitInfo, StreamSink } from '../cascade/types.js';
import type { StreamTranslator } from '../doors/door.js';
import type { TextDelta } from '../openai/text-chunk.js';
import { type ErrorCode, errorCatalogue } from '../errors/catalogue.js';
import type { OpenAIErrorBody } from '../errors/sluice-error.js';

export function createSseSink(
  reply: FastifyReply,
  headers: (info: CommitInfo) => Record<string, string>,
  translator?: StreamTranslator,
): StreamSink & { readonly opened: boolean } {
  const res = reply.raw;
  let opened = false;
  const writable = () => !res.destroyed && !res.writableEnded;
  // Events that arrive together (one upstream read often holds several) leave as one chunk in one write: per-write
  // framing (chunked encoding) and syscalls are paid per batch, not per event. They are joined once, at the write:
  // one copy, where appending each to a string builds a tree the write has to flatten.
  const pending: string[] = [];
  const taken = () => {
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending.length = 0;
    return text;
  };
  /** Ends the stream with what is queued and its last event, made only while there is a client to write it to. */
  const end = (last: () => string) => {
    if (writable()) {
      pending.push(last());
      res.end(taken());
    } else pending.length = 0;
  };
  let scheduled = false;
  let blocked: Promise<void> | undefined;
  const flush = () => {
    scheduled = false;
    const text = taken();
    if (text === '' || !writable() || res.write(text)) return;
    blocked = new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        blocked = undefined;
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  return {
    get opened() {
      return opened;
    },
    open(info) {
      opened = true;
      reply.hijack();
      const all = Object.assign(reply.getHeaders() as Record<string, string>, headers(info));
      all['content-type'] = 'text/event-stream; charset=utf-8';
      all['cache-control'] = 'no-cache';
      all['x-accel-buffering'] = 'no';
      res.writeHead(200, all);
    },
    /** Queues one event; resolves later only while the client is not keeping up (back-pressure). */
    send(data: string, parsed?: object) {
      if (!writable()) return;
      pending.push(
        translator
          ? translator.chunk(data, parsed as Record<string, unknown> | TextDelta | undefined)
          : `data: ${data}\n\n`,
      );
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
      return blocked;
    },
    done() {
      end(() => (translator ? translator.end() : 'data: [DONE]\n\n'));
    },
    fail(body: OpenAIErrorBody) {
      const status = errorCatalogue[body.error.code as ErrorCode]?.status ?? 500;
      end(() => (translator ? translator.error(body, status) : `data: ${JSON.stringify(body)}\n\n`));
    },
  };
}
