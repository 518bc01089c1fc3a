// The state a door keeps between requests: output items a later request may refer to by id (the Responses API's
// item_reference, which the AI SDK sends for earlier turns unless store is false). Kept in the state store with a
// TTL, so every replica finds them; a store that does not answer makes the reference a 400, counted.
import type { ItemReferences, KeptItem } from '../doors/door.js';
import type { StateStore } from '../state/store.js';

const key = (id: string) => `door-item:${id}`;

export async function resolveItems(
  items: ItemReferences,
  body: Record<string, unknown>,
  o: { store: StateStore; storeError: (operation: string) => void },
): Promise<Record<string, unknown>> {
  const ids = [...new Set(items.references(body))];
  if (ids.length === 0) return body;
  const found = new Map<string, Record<string, unknown>>();
  await Promise.all(
    ids.map(async (id) => {
      const text = await o.store.cacheGet(key(id)).catch(() => {
        o.storeError('item_get');
        return undefined;
      });
      if (text !== undefined) found.set(id, JSON.parse(text) as Record<string, unknown>);
    }),
  );
  return items.resolve(body, found);
}

export function keepItems(
  output: ReadonlyArray<KeptItem>,
  ttlMs: number,
  o: { store: StateStore; storeError: (operation: string) => void },
): void {
  for (const item of output)
    void o.store.cacheSet(key(item.id), item.json, ttlMs).catch(() => o.storeError('item_set'));
}
