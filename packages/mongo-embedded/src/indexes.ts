/**
 * In-memory secondary indexes: a hash from the encoded key to the ids of the documents holding it
 * (plus one on the leading field of compound indexes), used for equality / `$in` lookups and to
 * enforce unique, sparse and partial constraints exactly where MongoDB does.
 */
import { CommandError, Codes } from './errors.js';
import { earliestDate, ExpiryQueue } from './expiry-queue.js';
import { compileFilter, type Predicate } from './mingo.js';
import { TextIndex } from './text.js';
import { formatValue, isPlainObject, valueKey, valuesAtPath, type Doc } from './values.js';

export type IndexKind = 'btree' | 'text' | 'geo' | 'hashed';

/** The index document as `listIndexes` shows it. */
export type IndexSpec = Doc & { v: number; key: Doc; name: string };

const KNOWN_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'background',
  'v',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'hidden',
  'collation',
  'storageEngine',
  'wildcardProjection',
  'ns',
  'dropDups',
  'bucketSize',
  'coarsestIndexedLevel',
  'finestIndexedLevel',
]);

/** Options that make two specs with the same key different indexes (or conflicting ones). */
const COMPARED_OPTIONS = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'weights',
  'collation',
  'hidden',
];

const EMPTY_ARRAY_KEY = 'E';

export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([field, dir]) => `${field}_${typeof dir === 'string' ? dir : String(Number(dir))}`)
    .join('_');
}

function fail(message: string, code: number = Codes.CannotCreateIndex): never {
  throw new CommandError(code, message);
}

/** Validates a `createIndexes` entry and returns the spec as it will be stored and listed. */
export function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) fail('index specification must be an object', Codes.TypeMismatch);
  for (const field of Object.keys(raw)) {
    if (!KNOWN_OPTIONS.has(field)) {
      fail(
        `The field '${field}' is not valid for an index specification. Specification: ${formatValue(raw)}`,
        Codes.InvalidIndexSpecificationOption,
      );
    }
  }
  const key = raw.key;
  if (!isPlainObject(key))
    fail("The 'key' field is a required property of an index specification", Codes.FailedToParse);
  const entries = Object.entries(key);
  if (entries.length === 0) fail('Index keys cannot be empty.');
  if (typeof raw.name !== 'string') {
    fail("The 'name' field is a required property of an index specification", Codes.FailedToParse);
  }
  if (raw.name.length === 0) fail('index name cannot be empty', Codes.CannotCreateIndex);
  let textFields = 0;
  for (const [field, dir] of entries) {
    if (field.length === 0) fail('Index keys cannot be an empty field.');
    if (
      typeof dir === 'number' ||
      (dir !== null && typeof dir === 'object' && !isPlainObject(dir) && !Number.isNaN(Number(dir)))
    ) {
      if (Number(dir) === 0)
        fail(`Values in the index key pattern can't be 0. ${formatValue(key)}`, Codes.CannotCreateIndex);
    } else if (typeof dir === 'string') {
      if (!['text', '2dsphere', '2d', 'hashed', 'geoHaystack'].includes(dir))
        fail(`Unknown index plugin '${dir}'`);
      if (dir === 'text') textFields++;
    } else {
      fail(
        `Values in v:2 index key pattern cannot be of type ${typeof dir}. Only numbers > 0, numbers < 0, and strings are allowed.`,
      );
    }
  }
  const kinds = entries.map(([, dir]) => dir);
  const special = kinds.find((d) => typeof d === 'string');
  if (
    raw.unique === true &&
    (special === 'hashed' || special === '2dsphere' || special === '2d' || special === 'text')
  ) {
    if (special !== 'text') fail(`Index type '${String(special)}' does not support the unique option`);
  }
  if (raw.sparse !== undefined && raw.partialFilterExpression !== undefined) {
    fail('cannot mix "partialFilterExpression" and "sparse" options', Codes.CannotCreateIndex);
  }
  if (raw.partialFilterExpression !== undefined && !isPlainObject(raw.partialFilterExpression)) {
    fail('partialFilterExpression for an index must be a document', Codes.TypeMismatch);
  }
  if (raw.expireAfterSeconds !== undefined) {
    const ttl = Number(raw.expireAfterSeconds);
    if (!Number.isFinite(ttl) || ttl < 0)
      fail(
        "TTL index 'expireAfterSeconds' option must be within an acceptable range",
        Codes.CannotCreateIndex,
      );
    if (entries.length > 1)
      fail(
        'TTL indexes are single-field indexes, compound indexes do not support TTL.',
        Codes.CannotCreateIndex,
      );
    if (entries[0]?.[0] === '_id')
      fail(
        "The field 'expireAfterSeconds' is not valid for an _id index specification.",
        Codes.InvalidIndexSpecificationOption,
      );
  }

  const spec: IndexSpec = { v: 2, key: { ...key }, name: raw.name };
  if (textFields > 0) {
    const weights: Doc = isPlainObject(raw.weights) ? { ...raw.weights } : {};
    const storedKey: Doc = {};
    let placed = false;
    for (const [field, dir] of entries) {
      if (dir === 'text') {
        if (!(field in weights)) weights[field] = 1;
        if (!placed) {
          storedKey._fts = 'text';
          storedKey._ftsx = 1;
          placed = true;
        }
      } else {
        storedKey[field] = dir;
      }
    }
    spec.key = storedKey;
    if (raw.unique === true) spec.unique = true;
    spec.weights = weights;
    spec.default_language = typeof raw.default_language === 'string' ? raw.default_language : 'english';
    spec.language_override = typeof raw.language_override === 'string' ? raw.language_override : 'language';
    spec.textIndexVersion = 3;
  } else if (raw.unique === true) {
    spec.unique = true;
  }
  if (raw.sparse === true) spec.sparse = true;
  if (raw.partialFilterExpression !== undefined) spec.partialFilterExpression = raw.partialFilterExpression;
  if (raw.expireAfterSeconds !== undefined) spec.expireAfterSeconds = Number(raw.expireAfterSeconds);
  if (raw.hidden === true) spec.hidden = true;
  if (raw.collation !== undefined) spec.collation = raw.collation;
  if (special === '2dsphere') spec['2dsphereIndexVersion'] = 3;
  if (raw.wildcardProjection !== undefined) spec.wildcardProjection = raw.wildcardProjection;
  return spec;
}

/** Whether two specs describe the same index (key and behaviour-changing options). */
export function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return COMPARED_OPTIONS.every((opt) => valueKey(a[opt] ?? null) === valueKey(b[opt] ?? null));
}

export function sameKey(a: IndexSpec, b: IndexSpec): boolean {
  return valueKey(a.key) === valueKey(b.key);
}

/** One document's entries in an index. */
export interface IndexKeys {
  /** Encoded full keys (one per array element for multikey indexes). */
  readonly keys: string[];
  /** The key values for each entry of `keys`, in key-pattern order. */
  readonly values: unknown[][];
  /** Encoded leading-field keys (compound indexes only). */
  readonly lead: string[];
}

export class Index {
  readonly spec: IndexSpec;
  readonly name: string;
  readonly kind: IndexKind;
  /** Indexed paths in key order (text fields excluded for text indexes). */
  readonly fields: readonly string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly ttlSeconds: number | undefined;
  readonly text: TextIndex | undefined;
  private readonly partial: Predicate | undefined;
  private readonly entries = new Map<string, Set<string>>();
  private readonly leading = new Map<string, Set<string>>();
  private readonly byDoc = new Map<string, IndexKeys>();
  /** TTL indexes: the indexed documents by their earliest date at the field. */
  private readonly expiries: ExpiryQueue | undefined;
  multikey = false;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.name = spec.name;
    const key = spec.key;
    const dirs = Object.values(key);
    if ('_fts' in key) this.kind = 'text';
    else if (dirs.some((d) => d === '2dsphere' || d === '2d' || d === 'geoHaystack')) this.kind = 'geo';
    else if (dirs.some((d) => d === 'hashed')) this.kind = 'hashed';
    else this.kind = 'btree';
    this.fields = Object.keys(key).filter((f) => f !== '_fts' && f !== '_ftsx');
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
    this.ttlSeconds = typeof spec.expireAfterSeconds === 'number' ? spec.expireAfterSeconds : undefined;
    this.expiries = this.ttlSeconds === undefined ? undefined : new ExpiryQueue();
    this.partial = isPlainObject(spec.partialFilterExpression)
      ? compileFilter(spec.partialFilterExpression)
      : undefined;
    this.text =
      this.kind === 'text' ? new TextIndex(spec.weights as Doc, spec.language_override as string) : undefined;
  }

  get isPartial(): boolean {
    return this.partial !== undefined;
  }

  /** Whether equality lookups on the leading field may use this index. */
  get usableForEquality(): boolean {
    return (
      (this.kind === 'btree' || this.kind === 'hashed') &&
      !this.sparse &&
      !this.partial &&
      this.spec.hidden !== true
    );
  }

  get size(): number {
    return this.byDoc.size;
  }

  /** The entries `doc` has in this index, or `undefined` when it is not indexed at all. */
  keysFor(doc: Doc, queryForm: Doc): IndexKeys | undefined {
    if (this.partial && !this.partial(queryForm)) return undefined;
    if (this.kind === 'text' || this.kind === 'geo') return { keys: [], values: [], lead: [] };
    const perField: unknown[][] = [];
    let anyPresent = false;
    const arrayFields: string[] = [];
    for (const path of this.fields) {
      const field = expandValues(valuesAtPath(doc, path, true));
      if (field.present) anyPresent = true;
      if (field.isArray) arrayFields.push(path);
      perField.push(field.values);
    }
    if (this.sparse && !anyPresent) return undefined;
    // Fields inside one array (`a.x`, `a.y`) are allowed, as in MongoDB; arrays on separate paths
    // ("parallel arrays") are not. Their keys are every combination of the fields' values (a
    // superset of MongoDB's per-element keys), so a lookup never misses a document that matches.
    if (arrayFields.length > 1 && sharedArrayPrefix(doc, arrayFields) === undefined) {
      throw new CommandError(
        Codes.CannotIndexParallelArrays,
        `cannot index parallel arrays [${arrayFields[1] ?? ''}] [${arrayFields[0] ?? ''}]`,
      );
    }
    if (arrayFields.length > 0) this.multikey = true;
    const tuples = cartesian(perField);
    const keys = tuples.map((t) => t.map(encodeKeyPart).join('|'));
    const lead = this.fields.length > 1 ? [...new Set(tuples.map((t) => encodeKeyPart(t[0])))] : keys;
    return { keys, values: tuples.map((t) => t.map((v) => (v === EMPTY_ARRAY ? [] : (v ?? null)))), lead };
  }

  add(id: string, doc: Doc, queryForm: Doc, keys = this.keysFor(doc, queryForm)): void {
    if (this.text) {
      if (keys) this.text.add(id, doc);
      return;
    }
    if (!keys) return;
    this.byDoc.set(id, keys);
    for (const k of keys.keys) addTo(this.entries, k, id);
    if (this.fields.length > 1) for (const k of keys.lead) addTo(this.leading, k, id);
    if (this.expiries) {
      const at = earliestDate(valuesAtPath(doc, this.fields[0]!, false));
      if (at !== undefined) this.expiries.set(id, at);
    }
  }

  remove(id: string): void {
    if (this.text) {
      this.text.remove(id);
      return;
    }
    const keys = this.byDoc.get(id);
    if (!keys) return;
    this.byDoc.delete(id);
    this.expiries?.delete(id);
    for (const k of keys.keys) removeFrom(this.entries, k, id);
    if (this.fields.length > 1) for (const k of keys.lead) removeFrom(this.leading, k, id);
  }

  clear(): void {
    this.entries.clear();
    this.leading.clear();
    this.byDoc.clear();
    this.expiries?.clear();
    this.text?.clear();
  }

  /**
   * TTL indexes: the documents it holds (a partial index only those matching its filter, as in
   * MongoDB) whose earliest date at the field is at or before `limitMs`, taken off the schedule;
   * {@link keepDue} puts back one that stays.
   */
  takeDue(limitMs: number): { id: string; at: number }[] {
    return this.expiries?.takeDue(limitMs) ?? [];
  }

  keepDue(entry: { id: string; at: number }): void {
    this.expiries?.set(entry.id, entry.at);
  }

  /** Ids whose full key (all fields) equals `key`. */
  lookupFull(key: string): ReadonlySet<string> | undefined {
    return this.entries.get(key);
  }

  /** Ids whose leading field equals the encoded value. */
  lookupLeading(encoded: string): ReadonlySet<string> | undefined {
    return this.fields.length > 1 ? this.leading.get(encoded) : this.entries.get(encoded);
  }

  /** The first entry of `keys` already held by a document other than `id`. */
  findDuplicate(
    keys: IndexKeys,
    id: string,
    skip?: (otherId: string) => boolean,
  ): { otherId: string; values: unknown[] } | undefined {
    if (!this.unique) return undefined;
    for (let i = 0; i < keys.keys.length; i++) {
      const holders = this.entries.get(keys.keys[i] as string);
      if (!holders) continue;
      for (const other of holders) {
        if (other !== id && !(skip && skip(other)))
          return { otherId: other, values: keys.values[i] as unknown[] };
      }
    }
    return undefined;
  }
}

const EMPTY_ARRAY = Symbol('empty array');

function encodeKeyPart(value: unknown): string {
  return value === EMPTY_ARRAY ? EMPTY_ARRAY_KEY : valueKey(value);
}

/** The encoded key of a single equality value on one field (what `lookupLeading` expects). */
export function encodeEquality(value: unknown): string {
  return valueKey(value);
}

/** The values of one index field in a document, arrays expanded one level. */
function expandValues(found: unknown[]): { values: unknown[]; isArray: boolean; present: boolean } {
  const expanded: unknown[] = [];
  let isArray = found.length > 1;
  let present = false;
  for (const v of found) {
    if (v !== undefined) present = true;
    if (Array.isArray(v)) {
      isArray = true;
      if (v.length === 0) expanded.push(EMPTY_ARRAY);
      else expanded.push(...v);
    } else {
      expanded.push(v);
    }
  }
  return { values: dedupe(expanded.length > 0 ? expanded : [undefined]), isArray, present };
}

/** The path of the first array on `path` in `doc` (walking embedded documents), if any. */
function firstArrayPrefix(doc: Doc, path: string): string | undefined {
  const parts = path.split('.');
  let value: unknown = doc;
  for (let i = 0; i < parts.length; i += 1) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Doc)[parts[i] as string];
    if (Array.isArray(value)) return parts.slice(0, i + 1).join('.');
  }
  return undefined;
}

/**
 * The one array every array-valued field goes through (`a` for `a.x` and `a.y`), or undefined
 * when they go through different arrays or through nested arrays below it.
 */
function sharedArrayPrefix(doc: Doc, fields: readonly string[]): string | undefined {
  const prefixes = new Set(fields.map((path) => firstArrayPrefix(doc, path)));
  const [prefix] = prefixes;
  if (prefixes.size !== 1 || prefix === undefined) return undefined;
  const elements = valuesAtPath(doc, prefix, false)[0] as unknown[];
  // Below the shared array every field must hold at most one array level per element.
  for (const element of elements) {
    if (element === null || typeof element !== 'object' || Array.isArray(element)) continue;
    const arraysBelow = fields.filter((path) => {
      const rest = path.slice(prefix.length + 1);
      return expandValues(valuesAtPath(element, rest, true)).isArray;
    });
    if (arraysBelow.length > 1) return undefined;
  }
  return prefix;
}

function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = encodeKeyPart(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

function cartesian(lists: unknown[][]): unknown[][] {
  let out: unknown[][] = [[]];
  for (const list of lists) {
    const next: unknown[][] = [];
    for (const prefix of out) for (const v of list) next.push([...prefix, v]);
    out = next;
  }
  return out;
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(id);
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

/** MongoDB's E11000 error for a unique index violation. */
export function duplicateKeyError(
  ns: string,
  index: { name: string; fields: readonly string[]; spec: IndexSpec },
  values: unknown[],
  prefix = '',
): CommandError {
  const keyValue: Doc = {};
  index.fields.forEach((field, i) => {
    keyValue[field] = values[i] ?? null;
  });
  const rendered = index.fields.map((field, i) => `${field}: ${formatValue(values[i] ?? null)}`).join(', ');
  return new CommandError(
    Codes.DuplicateKey,
    `${prefix}E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: { ${rendered} }`,
    { keyPattern: index.spec.key, keyValue },
  );
}
