// Which requests the response cache may answer, and under which key. Pure.
// Only deterministic requests: temperature 0 (or the caller's explicit `x-sluice-cache: true`), one choice. The key
// is a hash of the route and every field that changes the answer, in a canonical order; fields that only change
// the delivery (stream, stream_options, user, metadata) are left out, so a stream can be served from a JSON answer.
import { createHash } from 'node:crypto';

const deliveryOnly = new Set(['model', 'stream', 'stream_options', 'user', 'metadata', 'store', 'service_tier']);

export function cacheable(body: Record<string, unknown>, optIn: boolean): boolean {
  if (body.n !== undefined && body.n !== null && body.n !== 1) return false;
  return optIn || body.temperature === 0;
}

export function cacheKey(route: string, endpoint: string, body: Record<string, unknown>): string {
  const fields = Object.keys(body)
    .filter((k) => !deliveryOnly.has(k))
    .sort();
  const canonical = JSON.stringify([route, endpoint, fields.map((k) => [k, canonicalise(body[k])])]);
  return createHash('sha256').update(canonical).digest('hex');
}

function canonicalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalise);
  if (v && typeof v === 'object')
    return Object.keys(v)
      .sort()
      .map((k) => [k, canonicalise((v as Record<string, unknown>)[k])]);
  return v;
}
