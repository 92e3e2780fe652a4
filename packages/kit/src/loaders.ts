import DataLoader from 'dataloader';

/**
 * A per-request loader over a batch fetch that returns rows in any order and may omit missing
 * keys: results are re-ordered to the keys and missing ones become `null`, so one `$in` query
 * (or `WHERE id = ANY`) serves a whole page of lookups (DESIGN 10).
 */
export function createBatchLoader<K extends string | number, V>(
  fetchMany: (keys: readonly K[]) => Promise<readonly V[]>,
  keyOf: (row: V) => K,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(
    async (keys) => {
      const rows = await fetchMany(keys);
      const byKey = new Map<K, V>();
      for (const row of rows) byKey.set(keyOf(row), row);
      return keys.map((key) => byKey.get(key) ?? null);
    },
    { maxBatchSize: options.maxBatchSize ?? 500 },
  );
}

/**
 * A per-request loader for one-to-many lookups (e.g. top comments per post): every key gets an
 * array, empty when nothing matched.
 */
export function createGroupLoader<K extends string | number, V>(
  fetchMany: (keys: readonly K[]) => Promise<readonly V[]>,
  keyOf: (row: V) => K,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(
    async (keys) => {
      const rows = await fetchMany(keys);
      const byKey = new Map<K, V[]>();
      for (const row of rows) {
        const key = keyOf(row);
        const list = byKey.get(key);
        if (list) list.push(row);
        else byKey.set(key, [row]);
      }
      return keys.map((key) => byKey.get(key) ?? []);
    },
    { maxBatchSize: options.maxBatchSize ?? 500 },
  );
}

/**
 * A per-request loader over a batch function that already answers every key, in key order (e.g.
 * the viewer's relation to each of a page of users, or Redis MGET).
 */
export function createOrderedLoader<K extends string | number, V>(
  fetchMany: (keys: readonly K[]) => Promise<readonly V[]>,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V> {
  return new DataLoader<K, V>(
    async (keys) => {
      const values = await fetchMany(keys);
      if (values.length !== keys.length) {
        throw new Error(`Batch answered ${values.length} values for ${keys.length} keys`);
      }
      return values;
    },
    { maxBatchSize: options.maxBatchSize ?? 500 },
  );
}

export type { default as DataLoader } from 'dataloader';
