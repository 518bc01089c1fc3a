// The HTTP wire adapter: one undici Pool per backend (keep-alive, connection cap), per-call timers for first
// token, idle gaps and total time. Every body is read to the end or destroyed: no leaked sockets. The protocol's
// path, headers and translations come from its Wire (OpenAI-compatible: none; Anthropic: both ways).
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import type { BackendConfig, EndpointKind } from '../config/schema.js';
import { asObject, parseJson } from '../openai/wire-values.js';
import type { Cancel } from './cancel.js';
import { createSseParser, type SseBatch, type SseEvent } from './sse-parser.js';
import type {
  NativeRequest,
  Upstream,
  UpstreamJson,
  UpstreamRequest,
  UpstreamResponse,
  UpstreamStream,
} from './types.js';
import {
  UpstreamFailure,
  answerTooLarge,
  callerAborted,
  classifyTransportError,
  httpFailure,
  totalTimeExceeded,
} from './upstream-failure.js';
import { wholeResponse, type WholeResponse } from './whole-response.js';
import { requestChunks, type ChunkStream } from './chunk-stream.js';
import { responsesStreamTranslator, responseToChat } from './responses-wire.js';
import { spliceBody } from '../openai/raw-body.js';

const paths: Record<EndpointKind, string> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};
const maxErrorBody = 64 * 1024;

/** What one protocol changes on the wire: where, with which headers, and the translations to and from chat. */
export interface Wire {
  path(endpoint: EndpointKind, native?: NativeRequest): string;
  /** Headers every call carries (a backend's own `headers` override them). */
  headers?: Record<string, string>;
  /** The authentication headers for the key. */
  auth(apiKey: string): Record<string, string>;
  /** The request body as sent (translated, when the protocol is not OpenAI's; the client's own, when native). */
  body(body: Record<string, unknown>, native?: NativeRequest): string;
  /** Its body for a chat request is that body as JSON: the client's own bytes can be sent, spliced. */
  chatAsIs?: boolean;
  /** A JSON answer as a chat completion; undefined: the answer is one already. */
  answer?(json: Record<string, unknown>, native?: NativeRequest): Record<string, unknown> | undefined;
  /** A translator of one stream's events into chat chunk events; undefined: they are chunks already. */
  stream?(native?: NativeRequest): ((events: readonly SseEvent[]) => SseEvent[]) | undefined;
  /** Whether this backend speaks the native request's protocol (it is then sent as the client sent it). */
  speaks?(native: NativeRequest, backend: BackendConfig): boolean;
  /** Where the protocol counts a request's tokens (Anthropic: /v1/messages/count_tokens). */
  countTokensPath?: string;
}

export const openaiWire: Wire = {
  path: (endpoint, native) => (native ? '/responses' : paths[endpoint]),
  auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  // A Responses-door request to a backend that serves /responses goes as the client sent it.
  speaks: (native, backend) => native.protocol === 'openai-responses' && backend.endpoints.includes('responses'),
  chatAsIs: true,
  body: (body, native) =>
    JSON.stringify(native ? { ...native.body, model: body.model, stream: body.stream === true } : body),
  answer: (json, native) => (native ? responseToChat(json) : undefined),
  stream: (native) => (native ? responsesStreamTranslator() : undefined),
};

/** `proxy`: the egress proxy to tunnel through (HTTP CONNECT), when the environment names one for this backend. */
export function createOpenAIUpstream(
  backend: BackendConfig,
  apiKey: string | undefined,
  proxy?: string,
  wire: Wire = openaiWire,
): Upstream {
  const url = new URL(backend.baseUrl ?? '');
  const basePath = url.pathname.replace(/\/+$/, '');
  const poolOptions = {
    connections: backend.maxConnections,
    keepAliveTimeout: backend.keepAliveMs,
    keepAliveMaxTimeout: 120_000,
  };
  const pool: Dispatcher = proxy
    ? new ProxyAgent({
        uri: proxy,
        ...poolOptions,
        proxyTls: { timeout: backend.timeouts.connectMs },
        requestTls: { timeout: backend.timeouts.connectMs },
      })
    : new Pool(url.origin, { ...poolOptions, connect: { timeout: backend.timeouts.connectMs } });
  // No Accept-Encoding would mean any coding is acceptable (RFC 9110), and answers are read as they come: say so.
  const fixed: Record<string, string> = {
    ...wire.headers,
    ...backend.headers,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'accept-encoding': 'identity',
  };
  if (apiKey) Object.assign(fixed, wire.auth(apiKey));
  // Name/value pairs, the request id appended per request: cheaper than a new object spread from these each time.
  const baseHeaders = Object.entries(fixed)
    .filter(([name]) => name.toLowerCase() !== 'x-request-id')
    .flat();
  // An error body may echo the request's headers: the backend's key never goes on, to the log or to a client.
  // (Keys of a few characters, placeholders for servers that check none, would garble the message instead.)
  const scrub =
    apiKey && apiKey.length >= 8 ? (text: string) => text.replaceAll(apiKey, '[redacted]') : (text: string) => text;
  const failure = (status: number, text: string, headers: WholeResponse['headers']) =>
    httpFailure(status, scrub(text), headers);

  const traced = (headers: string[], trace: UpstreamRequest['trace']) => {
    if (!trace) return headers;
    headers.push('traceparent', trace.traceparent);
    if (trace.tracestate) headers.push('tracestate', trace.tracestate);
    return headers;
  };

  /** The client's protocol headers override the configured ones of the same name. */
  const nativeHeaders = (extra: Record<string, string>) => {
    const names = new Set(Object.keys(extra));
    const kept: string[] = [];
    for (let i = 0; i < baseHeaders.length; i += 2)
      if (!names.has(baseHeaders[i]!.toLowerCase())) kept.push(baseHeaders[i]!, baseHeaders[i + 1]!);
    return kept.concat(Object.entries(extra).flat());
  };

  function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const native = req.native && wire.speaks?.(req.native, backend) ? req.native : undefined;
    const spliced =
      !native && wire.chatAsIs && req.source ? spliceBody(req.source.bytes, req.source.body, req.body) : undefined;
    const headers = traced(
      (native ? nativeHeaders(native.headers) : baseHeaders).concat('x-request-id', req.requestId),
      req.trace,
    );
    const options: Dispatcher.DispatchOptions = {
      origin: url.origin, // a Pool knows it; a ProxyAgent reads it
      path: basePath + wire.path(req.endpoint, native),
      method: 'POST',
      headers,
      body: spliced ? splicedBody(spliced, headers) : wire.body(req.body, native),
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    return req.stream ? sendStream(req, options, native) : sendWhole(req, options, native);
  }

  async function sendWhole(
    req: UpstreamRequest,
    options: Dispatcher.DispatchOptions,
    native: NativeRequest | undefined,
  ): Promise<UpstreamJson> {
    let whole: WholeResponse;
    try {
      whole = await wholeResponse(pool, options, req.signal, {
        totalMs: backend.timeouts.totalMs,
        errorCap: maxErrorBody,
        maxBytes: backend.maxAnswerBytes,
      });
    } catch (err) {
      throw classifyTransportError(err);
    }
    if (whole.statusCode < 200 || whole.statusCode >= 300) throw failure(whole.statusCode, whole.text, whole.headers);
    const json = parseJsonObject(whole.text);
    if (isErrorObject(json)) throw failure(embeddedStatus(json.error), whole.text, whole.headers);
    const chat = wire.answer?.(json, native);
    if (!chat) return { kind: 'json', text: whole.text, json };
    return { kind: 'json', text: JSON.stringify(chat), json: chat };
  }

  async function sendStream(
    req: UpstreamRequest,
    options: Dispatcher.DispatchOptions,
    native: NativeRequest | undefined,
  ): Promise<UpstreamStream> {
    const t = backend.timeouts;
    const timer = new AttemptTimer(req.signal);
    timer.arm(t.firstTokenMs, 'no first token in time');
    timer.armTotal(t.totalMs);
    try {
      const res = await requestChunks(pool, options, timer.signal);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await readCapped(res, maxErrorBody);
        throw failure(res.statusCode, text, res.headers);
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.includes('text/event-stream')) {
        return {
          kind: 'stream',
          events: streamEvents(res, timer, t.idleMs, backend.maxAnswerBytes, wire.stream?.(native)),
          cancel: () => {
            timer.clear();
            res.destroy();
          },
        };
      }
      const text = await readCapped(res, maxErrorBody);
      timer.clear();
      const json = asObject(parseJson(text));
      if (json && isErrorObject(json)) throw failure(embeddedStatus(json.error), text, res.headers);
      throw new UpstreamFailure('protocol', `expected an event stream, got ${contentType || 'no content-type'}`);
    } catch (err) {
      timer.clear();
      throw timer.failure() ?? classifyTransportError(err);
    }
  }

  async function countTokens(native: NativeRequest, signal: Cancel): Promise<number> {
    const whole = await wholeResponse(
      pool,
      {
        origin: url.origin,
        path: basePath + wire.countTokensPath!,
        method: 'POST',
        headers: nativeHeaders(native.headers),
        body: JSON.stringify({ ...native.body, model: backend.model }),
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      signal,
      { totalMs: backend.timeouts.firstTokenMs, errorCap: maxErrorBody, maxBytes: maxErrorBody },
    ).catch((err: unknown) => {
      throw classifyTransportError(err);
    });
    if (whole.statusCode < 200 || whole.statusCode >= 300) throw failure(whole.statusCode, whole.text, whole.headers);
    const n = asObject(parseJson(whole.text))?.input_tokens;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new UpstreamFailure('protocol', 'count_tokens answered no input_tokens');
    return n;
  }

  return {
    backend,
    send,
    ...(wire.countTokensPath !== undefined && { countTokens }),
    close: () => pool.close(),
  };
}

/**
 * Yields the SSE events of a body. The consumer stops at [DONE], often a few bytes before the body's own end: the
 * remainder is then drained, so the connection goes back to the pool; any other early stop closes it.
 */
async function* streamEvents(
  body: ChunkStream,
  timer: AttemptTimer,
  idleMs: number,
  maxBytes: number,
  translate?: (events: readonly SseEvent[]) => SseEvent[],
): AsyncGenerator<SseBatch> {
  const parser = createSseParser('[DONE]');
  let first = true;
  let sawDone = false;
  let size = 0;
  try {
    for (;;) {
      const chunk = await body.next();
      if (chunk === null) break;
      size += chunk.length;
      if (size > maxBytes) throw answerTooLarge(maxBytes);
      if (!first) timer.touch();
      const parsed = parser.push(chunk);
      const events: SseBatch = translate && parsed.length > 0 ? translate(parsed) : parsed;
      if (events.length === 0) continue;
      if (first) {
        first = false;
        timer.arm(idleMs, 'stream went silent');
      }
      if (events.some((ev) => ev.data === '[DONE]')) sawDone = true;
      yield events;
    }
    const parsedRest = parser.end();
    const rest = translate && parsedRest.length > 0 ? translate(parsedRest) : parsedRest;
    if (rest.length > 0) yield rest;
  } catch (err) {
    throw timer.failure() ?? classifyTransportError(err);
  } finally {
    timer.clear();
    if (sawDone) body.drain(64 * 1024, idleMs);
    else body.destroy();
  }
}

/**
 * A spliced body as undici takes it: one buffer while it is small (one write), else its parts as they are, with
 * their length (a large prompt is written from the client's own bytes, never copied).
 */
function splicedBody(body: { parts: Buffer[]; length: number }, headers: string[]): Dispatcher.DispatchOptions['body'] {
  if (body.parts.length === 1) return body.parts[0]!;
  if (body.length <= 64 * 1024) return Buffer.concat(body.parts, body.length);
  headers.push('content-length', String(body.length));
  // undici takes any iterable body (its docs and its Request say so; its DispatchOptions type lags behind).
  return body.parts as unknown as Dispatcher.DispatchOptions['body'];
}

/**
 * Some OpenAI-compatible services answer 200 with an error object instead of an answer, a few with its status as
 * a numeric `code` (OpenRouter): read as that status, else as a failure of the backend.
 */
function isErrorObject(json: Record<string, unknown>): boolean {
  return json.error != null && json.choices === undefined && json.data === undefined;
}

function embeddedStatus(error: unknown): number {
  const code = asObject(error)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code < 600 ? code : 502;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamFailure('protocol', 'upstream answer is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new UpstreamFailure('protocol', 'upstream answer is not a JSON object');
  return json as Record<string, unknown>;
}

async function readCapped(body: ChunkStream, cap: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  while (size < cap) {
    const chunk = await body.next();
    if (chunk === null) break;
    parts.push(chunk);
    size += chunk.length;
  }
  body.destroy(); // past the cap; nothing to do when the body had ended
  return Buffer.concat(parts).toString('utf8').slice(0, cap);
}

/**
 * One cancel scope per attempt, aborted by the caller's scope, a phase timer (first token, then idle gaps;
 * streams only) or the total timer. `failure()` says which, so a timeout is never mistaken for a client abort.
 */
class AttemptTimer {
  readonly signal: Cancel;
  private phase: NodeJS.Timeout | undefined;
  private total: NodeJS.Timeout | undefined;
  private cause: UpstreamFailure | undefined;

  constructor(parent: Cancel) {
    this.signal = parent.child(() => {
      this.cause ??= callerAborted();
      this.clearTimers();
      return this.cause;
    });
  }

  arm(ms: number, what: string): void {
    if (this.phase) clearTimeout(this.phase);
    this.phase = setTimeout(() => this.fail(new UpstreamFailure('timeout', `${what} (${ms} ms)`)), ms);
  }

  /** Restarts the phase timer (an idle gap ends when bytes arrive). */
  touch(): void {
    this.phase?.refresh();
  }

  armTotal(ms: number): void {
    this.total = setTimeout(() => this.fail(totalTimeExceeded(ms)), ms);
  }

  failure(): UpstreamFailure | undefined {
    return this.cause;
  }

  clear(): void {
    this.clearTimers();
    this.signal.dispose();
  }

  private clearTimers(): void {
    if (this.phase) clearTimeout(this.phase);
    if (this.total) clearTimeout(this.total);
    this.phase = this.total = undefined;
  }

  private fail(f: UpstreamFailure): void {
    if (this.cause) return;
    this.cause = f;
    this.clear();
    this.signal.abort(f);
  }
}
