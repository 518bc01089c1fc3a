// Real Redis for tests: availability check (REQUIRE_REDIS=1 turns "skip" into "fail"), per-file key prefixes,
// and cleanup with SCAN (never KEYS).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(): Promise<boolean> {
  const r = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but Redis at ${redisUrl} does not answer`);
    console.warn(
      `\n!!! Redis at ${redisUrl} does not answer: Redis-backed tests are SKIPPED (set REQUIRE_REDIS=1 to fail instead)\n`,
    );
    return false;
  } finally {
    r.disconnect();
  }
}

export function testPrefix(name: string): string {
  return `sluice-test:${name}:${randomUUID().slice(0, 8)}:`;
}

export async function cleanPrefix(prefix: string): Promise<number> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 200);
    if (keys.length > 0) removed += await r.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  r.disconnect();
  return removed;
}
