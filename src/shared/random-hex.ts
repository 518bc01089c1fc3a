// Random hex ids from a pooled buffer, refilled 4 KB at a time: one call into the system's generator for hundreds of
// ids, where one per id (randomUUID, or randomBytes) cost several percent of a short request's CPU.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4_096);
let used = pool.length;

/** `bytes` random bytes as lowercase hex (twice as many characters). */
export function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
