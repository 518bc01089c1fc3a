// The response cache on the request path: looks a deterministic request up before anything else is spent,
// answers a hit (JSON, or replayed as a stream) at no cost, and stores fresh JSON answers. A failing store means
// a bypass, counted: the cache never blocks or fails a request.
import type { FastifyReply } from 'fastify';
import { cacheable, cacheKey } from '../cache/cache-key.js';
import { completionToChunks } from '../cache/cached-stream.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import { asObject } from '../openai/wire-values.js';
import type { StateStore } from '../state/store.js';

export interface CachedAnswer {
  body: string;
  backend: string;
  tier: number;
  input: number;
  output: number;
}

export type CacheProbe = { result: 'bypass' } | { result: 'miss'; key: string } | { result: 'hit'; key: string; answer: CachedAnswer };

export async function probeCache(o: { store: StateStore; route: RouteConfig; endpoint: EndpointKind; body: Record<string, unknown>; optIn: boolean; storeError: (op: string) => void }): Promise<CacheProbe> {
  if (!o.route.cache.enabled || o.endpoint !== 'chat' || !cacheable(o.body, o.optIn)) return { result: 'bypass' };
  const key = cacheKey(o.route.name, o.endpoint, o.body);
  try {
    const hit = await o.store.cacheGet(key);
    return hit ? { result: 'hit', key, answer: JSON.parse(hit) as CachedAnswer } : { result: 'miss', key };
  } catch {
    o.storeError('cache_get');
    return { result: 'bypass' };
  }
}

export function storeAnswer(o: { store: StateStore; route: RouteConfig; key: string; answer: CachedAnswer; storeError: (op: string) => void }): void {
  const value = JSON.stringify(o.answer);
  if (Buffer.byteLength(value) > o.route.cache.maxEntryBytes) return;
  void o.store.cacheSet(o.key, value, o.route.cache.ttlSeconds * 1000).catch(() => o.storeError('cache_set'));
}

/** Sends a cached answer the way the client asked for it (JSON, or an OpenAI stream). */
export function sendCached(reply: FastifyReply, answer: CachedAnswer, o: { stream: boolean; includeUsage: boolean; headers: Record<string, string> }): void {
  if (!o.stream) {
    reply.headers(o.headers).type('application/json').send(answer.body);
    return;
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...o.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const chunks = completionToChunks(asObject(JSON.parse(answer.body)) ?? {}, o.includeUsage);
  res.end(`${chunks.map((c) => `data: ${c}\n\n`).join('')}data: [DONE]\n\n`);
}
