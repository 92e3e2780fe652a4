/**
 * Sorting with MongoDB's semantics: BSON type order across types, arrays sort by their smallest
 * element ascending and largest descending, missing sorts as null, ties keep their input order.
 */
import { CommandError, Codes } from './errors.js';
import { compareValues, isPlainObject, valuesAtPath, type Doc } from './values.js';

export type SortKey = { readonly path: string; readonly dir: 1 | -1; readonly meta: boolean };

/** Validates a sort document (`{ a: 1, score: { $meta: "textScore" } }`). */
export function parseSort(spec: unknown): SortKey[] {
  if (spec === undefined || spec === null) return [];
  if (!isPlainObject(spec)) throw new CommandError(Codes.BadValue, 'sort must be an object');
  const keys: SortKey[] = [];
  for (const [path, raw] of Object.entries(spec)) {
    if (isPlainObject(raw)) {
      if (raw.$meta === 'textScore') {
        keys.push({ path, dir: -1, meta: true });
        continue;
      }
      throw new CommandError(Codes.BadValue, `Invalid $sort key ordering for field ${path}`);
    }
    const n = Number(raw);
    if (n !== 1 && n !== -1) {
      throw new CommandError(
        Codes.BadValue,
        '$sort key ordering must be 1 (for ascending) or -1 (for descending)',
      );
    }
    keys.push({ path, dir: n, meta: false });
  }
  return keys;
}

/** The value a document sorts by for one key. */
function sortValue(doc: unknown, key: SortKey): unknown {
  // A top-level field holding a single value (the common case) sorts by that value.
  if (isPlainObject(doc) && Object.prototype.hasOwnProperty.call(doc, key.path) && !key.path.includes('.')) {
    const value = doc[key.path];
    if (!Array.isArray(value)) return value;
  }
  const found = valuesAtPath(doc, key.path, true);
  const flat: unknown[] = [];
  for (const v of found) {
    if (Array.isArray(v)) {
      if (v.length === 0) flat.push(undefined);
      else flat.push(...v);
    } else {
      flat.push(v);
    }
  }
  if (flat.length === 0) return undefined;
  let best = flat[0];
  for (let i = 1; i < flat.length; i++) {
    const c = compareValues(flat[i], best);
    if (key.dir === 1 ? c < 0 : c > 0) best = flat[i];
  }
  return best;
}

/**
 * Sorts `items` by `keys`, reading each item's document through `docOf` (query form) and text score
 * through `scoreOf`. Returns a new array.
 */
export function sortBy<T>(
  items: readonly T[],
  keys: readonly SortKey[],
  docOf: (item: T) => Doc,
  scoreOf: (item: T) => number = () => 0,
): T[] {
  if (keys.length === 0) return [...items];
  const decorated = items.map((item) => ({
    item,
    values: keys.map((key) => (key.meta ? scoreOf(item) : sortValue(docOf(item), key))),
  }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as SortKey;
      const c = compareValues(a.values[i], b.values[i]);
      if (c !== 0) return key.dir === 1 ? c : -c;
    }
    return 0;
  });
  return decorated.map((d) => d.item);
}
