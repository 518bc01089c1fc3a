// Holds a plain-body check (a fast path that skips zod) to the schema it stands for, over generated bodies: it may
// accept a body only where the schema accepts it too, and both sides must be exercised, or the test proves nothing.
import { expect } from 'vitest';

export function expectNoFalseAccept(o: {
  /** How many bodies, made from seeds 1 to `bodies` (a failure names the seed that reproduces it). */
  bodies: number;
  body: (seed: number) => Record<string, unknown>;
  plain: (body: Record<string, unknown>) => boolean;
  schema: { safeParse(value: unknown): { success: boolean } };
  /** How many of the bodies must at least be plain, and how many refused by the schema. */
  atLeast: { plain: number; refused: number };
}): void {
  let plain = 0;
  let refused = 0;
  for (let seed = 1; seed <= o.bodies; seed++) {
    const b = o.body(seed);
    const accepted = o.schema.safeParse(b).success;
    if (!accepted) refused++;
    if (o.plain(b)) {
      plain++;
      expect(accepted, `seed ${seed}: ${JSON.stringify(b)}`).toBe(true);
    }
  }
  expect(plain).toBeGreaterThan(o.atLeast.plain);
  expect(refused).toBeGreaterThan(o.atLeast.refused);
}
