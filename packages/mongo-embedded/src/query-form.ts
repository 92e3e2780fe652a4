/**
 * The "query form" of a document: the same document with the numeric and binary bson classes
 * mingo cannot compare (Long, Decimal128, Int32/Double wrappers, Binary) replaced by values it can.
 * Stored documents keep their original types; queries, sorts and pipelines run on this form.
 * Each replaced value's original is remembered against its container, so `$type` and
 * `$jsonSchema` still see what the client stored and pipeline output gets its types back.
 */
import { Binary, Long, type Decimal128 } from 'bson';
import { bsonTag, bsonTypeOf, isPlainObject, QBinary, QLong, type Doc } from './values.js';

interface Replaced {
  readonly q: unknown;
  readonly original: unknown;
}

const originals = new WeakMap<object, Map<string, Replaced>>();

function replacedAt(container: unknown, key: string | number, value: unknown): Replaced | undefined {
  if (container === null || typeof container !== 'object') return undefined;
  const entry = originals.get(container)?.get(String(key));
  return entry && Object.is(entry.q, value) ? entry : undefined;
}

/** The bson type of `value`, found at `key` of `container` in a query-form document. */
export function storedTypeOf(value: unknown, container: unknown, key: string | number): string {
  const entry = replacedAt(container, key, value);
  return bsonTypeOf(entry ? entry.original : value);
}

function remember(container: object, key: string, q: unknown, original: unknown): void {
  let map = originals.get(container);
  if (!map) {
    map = new Map();
    originals.set(container, map);
  }
  map.set(key, { q, original });
}

/** Converts one scalar; returns `undefined` when it needs no conversion. */
function convertScalar(value: object): { value: unknown } | undefined {
  switch (bsonTag(value)) {
    case 'Long': {
      const long = value as Long;
      const n = long.toNumber();
      return { value: Number.isSafeInteger(n) ? n : new QLong(long.toString()) };
    }
    case 'Decimal128':
      return { value: Number((value as Decimal128).toString()) };
    case 'Int32':
    case 'Double':
      return { value: Number(String(value)) };
    case 'Binary': {
      const bin = value as Binary;
      return { value: new QBinary(bin.sub_type, Buffer.from(bin.buffer).toString('hex')) };
    }
    default:
      return undefined;
  }
}

function convertChild(field: unknown): { next: unknown; replaced: boolean } {
  if (field === null || typeof field !== 'object') return { next: field, replaced: false };
  const scalar = convertScalar(field);
  if (scalar) return { next: scalar.value, replaced: true };
  return { next: toQueryForm(field), replaced: false };
}

/**
 * Returns the query form of `value`, or `value` itself when nothing in it needs converting (the
 * common case costs one walk and no allocation).
 */
export function toQueryForm<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      const { next, replaced } = convertChild(element);
      if (next !== element && !out) out = value.slice(0, i);
      if (out) {
        out.push(next);
        if (replaced) remember(out, String(i), next, element);
      }
    }
    return (out ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let out: Doc | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const field = value[key];
    const { next, replaced } = convertChild(field);
    if (next !== field && !out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j] as string] = value[keys[j] as string];
    }
    if (out) {
      out[key] = next;
      if (replaced) remember(out, key, next, field);
    }
  }
  return (out ?? value) as T;
}

/** A deep copy of a query-form value that keeps the memory of replaced originals. */
export function copyQueryForm<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) {
    const out = value.map((v) => copyQueryForm(v));
    carry(value, out);
    return out as T;
  }
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const key of Object.keys(value)) out[key] = copyQueryForm(value[key]);
  carry(value, out);
  return out as T;
}

function carry(from: object, to: object): void {
  const map = originals.get(from);
  if (map) originals.set(to, new Map(map));
}

/**
 * Turns query-form output (pipeline results, computed projections) back into storable bson:
 * values still equal to what was converted get their original back; remaining query-form
 * wrappers become Long / Binary.
 */
export function fromQueryForm<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof QLong) return Long.fromString(value.digits) as T;
  if (value instanceof QBinary) return new Binary(Buffer.from(value.hex, 'hex'), value.subType) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      const entry = replacedAt(value, i, element);
      const next = entry ? entry.original : fromQueryForm(element);
      if (next !== element && !out) out = value.slice(0, i);
      if (out) out.push(next);
    }
    return (out ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let out: Doc | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const field = value[key];
    const entry = replacedAt(value, key, field);
    const next = entry ? entry.original : fromQueryForm(field);
    if (next !== field && !out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j] as string] = value[keys[j] as string];
    }
    if (out) out[key] = next;
  }
  return (out ?? value) as T;
}
