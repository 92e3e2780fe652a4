/**
 * BSON value helpers shared by the storage, index and query layers: type names, MongoDB's
 * cross-type comparison order, canonical keys for hashing equal values, deep copies and the
 * shell-like formatting MongoDB uses in error messages.
 */
import { Long, type Binary, type ObjectId, type Timestamp } from 'bson';

export type Doc = Record<string, unknown>;

/** The `_bsontype` tag every bson class carries; cheaper and safer than `instanceof` across copies. */
export function bsonTag(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The MongoDB `$type` alias of a value as stored. JS numbers are what `bson` gives for int32 and
 * double; an integral number in the int32 range is reported as `int`, which is what the driver
 * sends for it.
 */
export function bsonTypeOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0)
        ? 'int'
        : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'long';
    default:
      break;
  }
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  switch (bsonTag(value)) {
    case 'ObjectId':
      return 'objectId';
    case 'Long':
      return 'long';
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'BSONRegExp':
      return 'regex';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
    case 'DBRef':
      return 'object';
    default:
      break;
  }
  if (value instanceof QLong) return 'long';
  if (value instanceof QBinary) return 'binData';
  return 'object';
}

/**
 * A 64-bit integer beyond 2^53 in the query form of a document. Mingo compares custom objects of
 * the same class by `toString`, so equality stays exact where a JS number would round.
 */
export class QLong {
  constructor(readonly digits: string) {}
  toString(): string {
    return this.digits;
  }
}

/** Binary data in the query form: mingo compares it by this string, subtype included. */
export class QBinary {
  constructor(
    readonly subType: number,
    readonly hex: string,
  ) {}
  toString(): string {
    return `${this.subType}:${this.hex}`;
  }
}

const NUMERIC = new Set(['int', 'long', 'double', 'decimal']);

export function isNumericType(type: string): boolean {
  return NUMERIC.has(type);
}

/** A numeric BSON value as a JS number (precision beyond 2^53 is lost; only used for ordering). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof QLong) return Number(value.digits);
  const tag = bsonTag(value);
  if (tag === 'Long') return (value as Long).toNumber();
  if (tag === 'Decimal128' || tag === 'Int32' || tag === 'Double') return Number(String(value));
  return Number.NaN;
}

/** MongoDB's canonical order of types when values of different types are compared or sorted. */
function typeRank(value: unknown): number {
  const type = bsonTypeOf(value);
  switch (type) {
    case 'minKey':
      return 1;
    case 'undefined':
    case 'null':
      return 2;
    case 'int':
    case 'long':
    case 'double':
    case 'decimal':
      return 3;
    case 'symbol':
    case 'string':
      return 4;
    case 'object':
      return 5;
    case 'array':
      return 6;
    case 'binData':
      return 7;
    case 'objectId':
      return 8;
    case 'bool':
      return 9;
    case 'date':
      return 10;
    case 'timestamp':
      return 11;
    case 'regex':
      return 12;
    case 'javascript':
      return 13;
    case 'maxKey':
      return 14;
    default:
      return 13;
  }
}

function binaryBytes(value: unknown): Uint8Array {
  if (value instanceof QBinary) return Buffer.from(value.hex, 'hex');
  return (value as Binary).buffer;
}

function binarySubtype(value: unknown): number {
  if (value instanceof QBinary) return value.subType;
  return (value as Binary).sub_type;
}

function cmp<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two BSON values in MongoDB's order (type first, then value). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 2:
    case 1:
    case 14:
      return 0;
    case 3: {
      const x = toNumber(a);
      const y = toNumber(b);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      if (x === y && (bigDigits(a) !== undefined || bigDigits(b) !== undefined)) {
        return compareBig(a, b);
      }
      return cmp(x, y);
    }
    case 4:
      return cmp(String(a), String(b));
    case 5:
      return compareObjects(a as Doc, b as Doc);
    case 6:
      return compareArrays(a as unknown[], b as unknown[]);
    case 7: {
      const x = binaryBytes(a);
      const y = binaryBytes(b);
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      const st = cmp(binarySubtype(a), binarySubtype(b));
      if (st !== 0) return st;
      return Buffer.compare(Buffer.from(x), Buffer.from(y));
    }
    case 8:
      return cmp((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case 9:
      return cmp(Number(a), Number(b));
    case 10:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12: {
      const x = a as RegExp;
      const y = b as RegExp;
      return cmp(x.source, y.source) || cmp(x.flags, y.flags);
    }
    default:
      return cmp(String(a), String(b));
  }
}

function bigDigits(value: unknown): string | undefined {
  if (value instanceof QLong) return value.digits;
  if (typeof value === 'bigint') return value.toString();
  if (bsonTag(value) === 'Long') return (value as Long).toString();
  return undefined;
}

function compareBig(a: unknown, b: unknown): number {
  const x = bigDigits(a);
  const y = bigDigits(b);
  if (x === undefined || y === undefined) return 0;
  const lx = Long.fromString(x);
  const ly = Long.fromString(y);
  return lx.compare(ly);
}

function compareObjects(a: Doc, b: Doc): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const fa = ka[i] as string;
    const fb = kb[i] as string;
    const va = a[fa];
    const vb = b[fb];
    const tr = cmp(typeRank(va), typeRank(vb));
    if (tr !== 0) return tr;
    const fn = cmp(fa, fb);
    if (fn !== 0) return fn;
    const vc = compareValues(va, vb);
    if (vc !== 0) return vc;
  }
  return cmp(ka.length, kb.length);
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return cmp(a.length, b.length);
}

/**
 * A string equal for exactly the values MongoDB considers equal in an index (numbers of every
 * type compare by value; documents by field order and values). Used as hash keys.
 */
export function valueKey(value: unknown): string {
  if (value === null || value === undefined) return 'N';
  switch (typeof value) {
    case 'number':
      return `n${Object.is(value, -0) ? '0' : String(value)}`;
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'boolean':
      return value ? 'b1' : 'b0';
    case 'bigint':
      return `n${numberDigits(value.toString())}`;
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r${JSON.stringify(value.source)}/${value.flags}`;
  if (value instanceof QLong) return `n${numberDigits(value.digits)}`;
  if (value instanceof QBinary) return `x${value.subType}:${value.hex}`;
  switch (bsonTag(value)) {
    case 'ObjectId':
      return `o${(value as ObjectId).toHexString()}`;
    case 'Long': {
      const long = value as Long;
      return `n${numberDigits(long.toString())}`;
    }
    case 'Int32':
    case 'Double':
      return `n${String(Number(String(value)))}`;
    case 'Decimal128': {
      const n = Number(String(value));
      return Number.isFinite(n) ? `n${String(n)}` : `n${String(value)}`;
    }
    case 'Binary': {
      const bin = value as Binary;
      return `x${bin.sub_type}:${Buffer.from(bin.buffer).toString('hex')}`;
    }
    case 'Timestamp':
      return `t${(value as Timestamp).toString()}`;
    case 'MinKey':
      return 'm-';
    case 'MaxKey':
      return 'm+';
    default:
      break;
  }
  if (typeof value === 'object') {
    const obj = value as Doc;
    return `{${Object.keys(obj)
      .map((k) => `${JSON.stringify(k)}:${valueKey(obj[k])}`)
      .join(',')}}`;
  }
  return `u${String(value)}`;
}

/** Integer digits normalised the way `String(number)` prints safe integers, so keys agree. */
function numberDigits(digits: string): string {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? String(n) : digits;
}

/** Copies plain objects, arrays and dates; bson value classes are immutable and shared. */
export function deepCopy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => deepCopy(v)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value)) out[key] = deepCopy(value[key]);
    return out as T;
  }
  return value;
}

/** Equality of two BSON values (numbers across types, documents by field order). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  return valueKey(a) === valueKey(b);
}

/** Renders a value the way the server's error messages do (`{ email: "x" }`, `ObjectId('…')`). */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.map(formatValue).join(', ')} ]`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof RegExp) return String(value);
  switch (bsonTag(value)) {
    case 'ObjectId':
      return `ObjectId('${(value as ObjectId).toHexString()}')`;
    case 'Long':
      return `${(value as Long).toString()}`;
    case 'Decimal128':
      return `Decimal128('${String(value)}')`;
    case 'Binary': {
      const bin = value as Binary;
      return `BinData(${bin.sub_type}, ${Buffer.from(bin.buffer).toString('hex').toUpperCase()})`;
    }
    case 'Timestamp':
      return `Timestamp(${(value as Timestamp).toString()})`;
    default:
      break;
  }
  if (typeof value === 'object') {
    const obj = value as Doc;
    const keys = Object.keys(obj);
    if (keys.length === 0) return '{}';
    return `{ ${keys.map((k) => `${k}: ${formatValue(obj[k])}`).join(', ')} }`;
  }
  return String(value);
}

/** Splits a dotted path once; cached because the same few paths are resolved millions of times. */
const pathCache = new Map<string, readonly string[]>();
export function splitPath(path: string): readonly string[] {
  let parts = pathCache.get(path);
  if (!parts) {
    parts = path.split('.');
    if (pathCache.size > 10_000) pathCache.clear();
    pathCache.set(path, parts);
  }
  return parts;
}

function isIndexPart(part: string): boolean {
  return part.length > 0 && part.length < 10 && /^\d+$/.test(part);
}

/**
 * Every value a dotted path reaches, descending through arrays the way MongoDB does for index keys
 * and sorting: `a.b` over `{a: [{b: 1}, {b: 2}]}` gives `[1, 2]`. An array at the end of the path
 * is returned as is (the caller decides whether to expand it). Missing values are reported as
 * `undefined` only when `withMissing` is set.
 */
export function valuesAtPath(doc: unknown, path: string, withMissing: boolean): unknown[] {
  const out: unknown[] = [];
  collect(doc, splitPath(path), 0, out, withMissing);
  return out;
}

function collect(
  value: unknown,
  parts: readonly string[],
  i: number,
  out: unknown[],
  withMissing: boolean,
): void {
  if (i === parts.length) {
    out.push(value);
    return;
  }
  const part = parts[i] as string;
  if (Array.isArray(value)) {
    if (isIndexPart(part)) {
      const idx = Number(part);
      if (idx < value.length) collect(value[idx], parts, i + 1, out, withMissing);
      else if (withMissing) out.push(undefined);
      // A numeric part indexes the array; elements with a field literally named "0" are not considered.
      return;
    }
    let any = false;
    for (const element of value) {
      if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
        any = true;
        collect(element, parts, i, out, withMissing);
      } else if (Array.isArray(element)) {
        continue;
      } else if (withMissing) {
        any = true;
        out.push(undefined);
      }
    }
    if (!any && withMissing) out.push(undefined);
    return;
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    bsonTag(value) === undefined
  ) {
    const obj = value as Doc;
    if (Object.prototype.hasOwnProperty.call(obj, part)) {
      collect(obj[part], parts, i + 1, out, withMissing);
      return;
    }
  }
  if (withMissing) out.push(undefined);
}

/** The value at a dotted path without array traversal (numeric parts index arrays). */
export function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const part of splitPath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!isIndexPart(part)) return undefined;
      current = current[Number(part)];
    } else {
      const obj = current as Doc;
      if (!Object.prototype.hasOwnProperty.call(obj, part)) return undefined;
      current = obj[part];
    }
  }
  return current;
}

/** Sets a dotted path, creating intermediate documents. */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = splitPath(path);
  let current: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const next = current[part];
    if (next === null || typeof next !== 'object') {
      const created: Doc = {};
      current[part] = created;
      current = created;
    } else {
      current = next as Doc;
    }
  }
  current[parts[parts.length - 1] as string] = value;
}

/** Puts `_id` first, as the server stores it. */
export function withIdFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !('_id' in doc)) return doc;
  const out: Doc = { _id: doc._id };
  for (const key of keys) if (key !== '_id') out[key] = doc[key];
  return out;
}
