// The response cache on the request path: looks a deterministic request up before anything else is spent,
// answers a hit (JSON, or replayed as a stream) at no cost, and stores fresh JSON answers. A failing store means
// a bypass, counted: the cache never blocks or fails a request.
import type { FastifyReply } from 'fastify';
import { cacheable, cacheKey } from '../cache/cache-key.js';
import { completionToChunks } from '../cache/cached-stream.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import { asObject, parseJson } from '../openai/wire-values.js';
import type { StateStore } from '../state/store.js';

export interface CachedAnswer {
  body: string;
  backend: string;
  tier: number;
  input: number;
  output: number;
}

export type CacheProbe =
  | { result: 'bypass' }
  | { result: 'miss'; key: string }
  | { result: 'hit'; key: string; answer: CachedAnswer };

export async function probeCache(o: {
  store: StateStore;
  route: RouteConfig;
  endpoint: EndpointKind;
  body: Record<string, unknown>;
  optIn: boolean;
  storeError: (op: string) => void;
}): Promise<CacheProbe> {
  if (!o.route.cache.enabled || o.endpoint !== 'chat' || !cacheable(o.body, o.optIn)) return { result: 'bypass' };
  const key = cacheKey(o.route.name, o.endpoint, o.body);
  try {
    const hit = await o.store.cacheGet(key);
    if (hit === undefined) return { result: 'miss', key };
    const answer = cachedAnswer(hit);
    if (answer) return { result: 'hit', key, answer };
    o.storeError('cache_get'); // an entry that is not what Sluice stored: passed over, and counted
    return { result: 'bypass' };
  } catch {
    o.storeError('cache_get');
    return { result: 'bypass' };
  }
}

/** A stored entry, if it reads as one: an answer body that is a JSON object, and its accounting. */
function cachedAnswer(value: string): CachedAnswer | undefined {
  const a = asObject(parseJson(value));
  if (!a || typeof a.body !== 'string' || typeof a.backend !== 'string' || !asObject(parseJson(a.body)))
    return undefined;
  if (![a.tier, a.input, a.output].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
  return a as unknown as CachedAnswer;
}

export function storeAnswer(o: {
  store: StateStore;
  route: RouteConfig;
  key: string;
  answer: CachedAnswer;
  storeError: (op: string) => void;
}): void {
  const value = JSON.stringify(o.answer);
  if (Buffer.byteLength(value) > o.route.cache.maxEntryBytes) return;
  void o.store.cacheSet(o.key, value, o.route.cache.ttlSeconds * 1000).catch(() => o.storeError('cache_set'));
}

/** Sends a cached answer the way the client asked for it (JSON, or an OpenAI stream). */
export function sendCached(
  reply: FastifyReply,
  answer: CachedAnswer,
  o: { stream: boolean; includeUsage: boolean; headers: Record<string, string> },
): void {
  if (!o.stream) {
    reply.headers(o.headers).type('application/json').send(answer.body);
    return;
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...o.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const chunks = completionToChunks(asObject(JSON.parse(answer.body)) ?? {}, o.includeUsage);
  res.end(`${chunks.map((c) => `data: ${c}\n\n`).join('')}data: [DONE]\n\n`);
}
