/**
 * Applying update documents: replacements, update operators (mingo's updater, with MongoDB's
 * type checks and exact int64 arithmetic for `$inc`/`$mul`), and aggregation-pipeline updates.
 * Also builds the document an upsert inserts from the query's equality conditions.
 */
import { Decimal128, Long, ObjectId, Timestamp } from 'bson';
import { update as mingoUpdate } from 'mingo/updater';
import { CommandError, Codes } from './errors.js';
import { guard, mingoOptions, runPipeline } from './mingo.js';
import { findPositional } from './projection.js';
import { copyQueryForm, fromQueryForm, toQueryForm } from './query-form.js';
import {
  bsonTag,
  bsonTypeOf,
  deepCopy,
  formatValue,
  getPath,
  isNumericType,
  isPlainObject,
  setPath,
  valueKey,
  valuesEqual,
  withIdFirst,
  type Doc,
} from './values.js';

export type UpdateKind = 'replacement' | 'operators' | 'pipeline';

const OPERATORS = new Set([
  '$currentDate',
  '$inc',
  '$min',
  '$max',
  '$mul',
  '$rename',
  '$set',
  '$setOnInsert',
  '$unset',
  '$addToSet',
  '$pop',
  '$pull',
  '$push',
  '$pullAll',
  '$bit',
]);

const PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Classifies and validates an update (`u` of an update statement, `update` of findAndModify). */
export function classifyUpdate(u: unknown): UpdateKind {
  if (Array.isArray(u)) {
    for (const stage of u) {
      if (!isPlainObject(stage))
        throw new CommandError(Codes.FailedToParse, 'Each element of the update pipeline must be an object');
      const name = Object.keys(stage)[0] ?? '';
      if (!PIPELINE_STAGES.has(name)) {
        throw new CommandError(Codes.InvalidOptions, `${name} is not allowed to be used within an update`);
      }
    }
    return 'pipeline';
  }
  if (!isPlainObject(u))
    throw new CommandError(Codes.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length === 0 || !(keys[0] as string).startsWith('$')) {
    for (const key of keys) {
      if (key.startsWith('$')) {
        throw new CommandError(
          Codes.DollarPrefixedFieldName,
          `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
    }
    return 'replacement';
  }
  for (const key of keys) {
    if (!OPERATORS.has(key)) {
      throw new CommandError(
        Codes.FailedToParse,
        `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    const arg = u[key];
    if (!isPlainObject(arg)) {
      throw new CommandError(
        Codes.FailedToParse,
        `Modifiers operate on fields but we found type ${bsonTypeOf(arg)} instead. For example: {$mod: {<field>: ...}} not {${key}: ${formatValue(arg)}}`,
      );
    }
    for (const path of Object.keys(arg)) {
      if (path === '') throw new CommandError(Codes.FailedToParse, 'An empty update path is not valid.');
    }
  }
  return 'operators';
}

export interface ApplyOptions {
  readonly arrayFilters?: Doc[] | undefined;
  /** The query, for the positional `$` operator. */
  readonly filter?: Doc | undefined;
  /** True when building the document an upsert inserts (`$setOnInsert` applies). */
  readonly inserting?: boolean;
  readonly variables?: Doc | undefined;
}

export interface Applied {
  readonly doc: Doc;
  readonly modified: boolean;
}

function immutableId(): CommandError {
  return new CommandError(
    Codes.ImmutableField,
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

/** Applies `u` (already classified as `kind`) to a stored document, returning a new document. */
export function applyUpdate(doc: Doc, u: unknown, kind: UpdateKind, options: ApplyOptions = {}): Applied {
  let next: Doc;
  if (kind === 'replacement') {
    const replacement = u as Doc;
    if ('_id' in replacement && '_id' in doc && !valuesEqual(replacement._id, doc._id)) {
      throw new CommandError(
        Codes.ImmutableField,
        `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(replacement._id)}`,
      );
    }
    next = '_id' in doc ? { _id: doc._id } : {};
    for (const [key, value] of Object.entries(replacement))
      if (key !== '_id' || !('_id' in doc)) next[key] = deepCopy(value);
    next = withIdFirst(next);
  } else if (kind === 'pipeline') {
    const out = runPipeline([copyQueryForm(toQueryForm(doc))], u as Doc[], { variables: options.variables });
    if (out.length !== 1 || !isPlainObject(out[0]))
      throw new CommandError(Codes.BadValue, 'update pipeline must produce one document');
    next = fromQueryForm(out[0]);
    if ('_id' in doc) {
      if ('_id' in next && !valuesEqual(next._id, doc._id)) throw immutableId();
      if (!('_id' in next)) next = { _id: doc._id, ...next };
    }
    next = withIdFirst(next);
  } else {
    next = applyOperators(doc, u as Doc, options);
  }
  return { doc: next, modified: valueKey(next) !== valueKey(doc) };
}

function applyOperators(doc: Doc, update: Doc, options: ApplyOptions): Doc {
  const copy = deepCopy(doc);
  const modifier: Doc = {};
  for (const [op, arg] of Object.entries(update)) {
    if (op === '$setOnInsert') {
      if (options.inserting) modifier.$set = { ...(modifier.$set as Doc | undefined), ...(arg as Doc) };
      continue;
    }
    if (op === '$set' && modifier.$set) {
      modifier.$set = { ...(arg as Doc), ...(modifier.$set as Doc) };
      continue;
    }
    modifier[op] = arg;
  }
  checkConflicts(modifier);
  checkIdChange(doc, modifier, options.inserting === true);
  currentDate(modifier);
  checkPaths(doc, modifier);
  // mingo refuses any `$set` of `_id`; an upsert may set it, and setting it to itself is a no-op.
  if (isPlainObject(modifier.$set) && '_id' in modifier.$set) {
    const { _id: id, ...rest } = modifier.$set;
    if (!('_id' in copy)) copy._id = deepCopy(id);
    modifier.$set = rest;
  }
  numericOperator(copy, modifier, '$inc');
  numericOperator(copy, modifier, '$mul');
  for (const [op, arg] of Object.entries(modifier))
    if (isPlainObject(arg) && Object.keys(arg).length === 0) delete modifier[op];
  rewritePositional(modifier, doc, options);
  if (Object.keys(modifier).length > 0) {
    guard(() =>
      mingoUpdate(
        copy,
        modifier as never,
        options.arrayFilters?.map((f) => toQueryForm(f)),
        {},
        {
          cloneMode: 'deep',
          queryOptions: mingoOptions({ variables: options.variables }),
        },
      ),
    );
  }
  if ('_id' in doc && !valuesEqual(copy._id, doc._id)) throw immutableId();
  return withIdFirst(copy);
}

/** Replaces the positional `$` of update paths by the index of the array element the query matched. */
function rewritePositional(modifier: Doc, doc: Doc, options: ApplyOptions): void {
  for (const [op, arg] of Object.entries(modifier)) {
    if (!isPlainObject(arg)) continue;
    if (!Object.keys(arg).some((p) => p.split('.').includes('$'))) continue;
    const rewritten: Doc = {};
    for (const [path, value] of Object.entries(arg)) {
      const parts = path.split('.');
      const at = parts.indexOf('$');
      if (at < 0) {
        rewritten[path] = value;
        continue;
      }
      if (options.inserting) {
        throw new CommandError(
          Codes.BadValue,
          `The positional operator did not find the match needed from the query.`,
        );
      }
      const index = findPositional(doc, parts.slice(0, at).join('.'), options.filter, options.variables);
      if (index === undefined) {
        throw new CommandError(
          Codes.BadValue,
          'The positional operator did not find the match needed from the query.',
        );
      }
      parts[at] = String(index);
      rewritten[parts.join('.')] = value;
    }
    modifier[op] = rewritten;
  }
}

const CREATING = new Set(['$set', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$bit']);
const ARRAY_ONLY: Record<string, (path: string, type: string, id: unknown) => CommandError> = {
  $push: (path, type, id) =>
    new CommandError(
      Codes.BadValue,
      `The field '${path}' must be an array but is of type ${type} in document {_id: ${formatValue(id)}}`,
    ),
  $addToSet: (path, type) =>
    new CommandError(
      Codes.BadValue,
      `Cannot apply $addToSet to non-array field. Field named '${path.split('.').pop() ?? path}' has non-array type ${type}`,
    ),
  $pull: () => new CommandError(Codes.BadValue, 'Cannot apply $pull to a non-array value'),
  $pullAll: () => new CommandError(Codes.BadValue, 'Cannot apply $pullAll to a non-array value'),
  $pop: (path, type) =>
    new CommandError(Codes.TypeMismatch, `Path '${path}' contains an element of non-array type '${type}'`),
};

/**
 * MongoDB refuses updates that would have to create a field inside a scalar or an array
 * (PathNotViable) and array operators on non-arrays; mingo silently skips them.
 */
function checkPaths(doc: Doc, modifier: Doc): void {
  for (const [op, arg] of Object.entries(modifier)) {
    if (!isPlainObject(arg)) continue;
    const paths =
      op === '$rename'
        ? Object.values(arg).filter((p): p is string => typeof p === 'string')
        : Object.keys(arg);
    for (const path of paths) {
      if (path.split('.').some((part) => part.startsWith('$'))) continue;
      if (CREATING.has(op) || op === '$rename') checkViable(doc, path);
      const arrayCheck = ARRAY_ONLY[op];
      const current = getPath(doc, path);
      if (arrayCheck && current !== undefined && !Array.isArray(current))
        throw arrayCheck(path, bsonTypeOf(current), doc._id);
    }
  }
}

function checkViable(doc: Doc, path: string): void {
  const parts = path.split('.');
  let current: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    let next: unknown;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(part)) {
        throw new CommandError(
          Codes.PathNotViable,
          `Cannot create field '${part}' in element {${parts[i - 1] ?? ''}: ${formatValue(current)}}`,
        );
      }
      next = current[Number(part)];
    } else {
      next = (current as Doc)[part];
    }
    if (next === undefined) return;
    if (next === null || typeof next !== 'object' || (!Array.isArray(next) && !isPlainObject(next))) {
      throw new CommandError(
        Codes.PathNotViable,
        `Cannot create field '${parts[i + 1] ?? ''}' in element {${part}: ${formatValue(next)}}`,
      );
    }
    current = next;
  }
  if (Array.isArray(current) && !/^\d+$/.test(parts[parts.length - 1] as string)) {
    throw new CommandError(
      Codes.PathNotViable,
      `Cannot create field '${parts[parts.length - 1] ?? ''}' in element {${parts[parts.length - 2] ?? ''}: ${formatValue(current)}}`,
    );
  }
}

/** Rejects two operators touching the same path or a path and its prefix, as MongoDB does. */
function checkConflicts(modifier: Doc): void {
  const seen: string[] = [];
  for (const [op, arg] of Object.entries(modifier)) {
    if (!isPlainObject(arg)) continue;
    const paths = Object.keys(arg);
    if (op === '$rename') for (const to of Object.values(arg)) if (typeof to === 'string') paths.push(to);
    for (const path of paths) {
      for (const other of seen) {
        if (path === other || path.startsWith(`${other}.`) || other.startsWith(`${path}.`)) {
          const shorter = path.length <= other.length ? path : other;
          throw new CommandError(
            Codes.ConflictingUpdateOperators,
            `Updating the path '${path}' would create a conflict at '${shorter}'`,
          );
        }
      }
      seen.push(path);
    }
  }
}

let lastTimestampSeconds = 0;
let lastTimestampIncrement = 0;

/** `$currentDate` as `$set` of a Date or, with `{ $type: "timestamp" }`, a bson Timestamp. */
function currentDate(modifier: Doc): void {
  const arg = modifier.$currentDate;
  if (!isPlainObject(arg)) return;
  const set: Doc = isPlainObject(modifier.$set) ? { ...modifier.$set } : {};
  for (const [path, spec] of Object.entries(arg)) {
    if (isPlainObject(spec) && spec.$type === 'timestamp') {
      const seconds = Math.floor(Date.now() / 1000);
      lastTimestampIncrement = seconds === lastTimestampSeconds ? lastTimestampIncrement + 1 : 1;
      lastTimestampSeconds = seconds;
      set[path] = new Timestamp({ t: seconds, i: lastTimestampIncrement });
    } else if (spec === true || (isPlainObject(spec) && spec.$type === 'date')) {
      set[path] = new Date();
    } else {
      throw new CommandError(
        Codes.BadValue,
        `The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}`,
      );
    }
  }
  delete modifier.$currentDate;
  modifier.$set = set;
}

function checkIdChange(doc: Doc, modifier: Doc, inserting: boolean): void {
  for (const [op, arg] of Object.entries(modifier)) {
    if (!isPlainObject(arg)) continue;
    for (const path of Object.keys(arg)) {
      const touchesId = path === '_id' || path.startsWith('_id.');
      if (!touchesId) continue;
      if (op === '$set' && inserting) continue;
      if (op === '$set' && path === '_id' && valuesEqual(arg[path], doc._id)) continue;
      throw immutableId();
    }
    if (op === '$rename') for (const to of Object.values(arg)) if (to === '_id') throw immutableId();
  }
}

function numericKind(value: unknown): 'number' | 'long' | 'decimal' | undefined {
  const type = bsonTypeOf(value);
  if (!isNumericType(type)) return undefined;
  if (type === 'long') return 'long';
  if (type === 'decimal') return 'decimal';
  return 'number';
}

function toLong(value: unknown): Long {
  if (bsonTag(value) === 'Long') return value as Long;
  return Long.fromNumber(Number(value));
}

/**
 * Handles `$inc` / `$mul` paths whose current value or operand is int64 or decimal (mingo would
 * treat those as opaque objects), and rejects non-numeric values the way MongoDB does.
 */
function numericOperator(doc: Doc, modifier: Doc, op: '$inc' | '$mul'): void {
  const arg = modifier[op];
  if (!isPlainObject(arg)) return;
  const rest: Doc = {};
  for (const [path, operand] of Object.entries(arg)) {
    const operandKind = numericKind(operand);
    if (!operandKind) {
      throw new CommandError(
        Codes.TypeMismatch,
        `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatValue(operand)}}`,
      );
    }
    if (path.includes('$')) {
      rest[path] = operand;
      continue;
    }
    const current = getPath(doc, path);
    const currentKind = current === undefined ? 'absent' : numericKind(current);
    if (!currentKind) {
      throw new CommandError(
        Codes.TypeMismatch,
        `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${path.split('.').pop() ?? path}' of non-numeric type ${bsonTypeOf(current)}`,
      );
    }
    const kinds = [currentKind, operandKind];
    if (kinds.includes('decimal')) {
      const a = currentKind === 'absent' ? (op === '$inc' ? 0 : 0) : Number(String(current));
      const b = Number(String(operand));
      setPath(doc, path, Decimal128.fromString(String(op === '$inc' ? a + b : a * b)));
    } else if (kinds.includes('long')) {
      const a = currentKind === 'absent' ? Long.ZERO : toLong(current);
      const b = toLong(operand);
      setPath(doc, path, op === '$inc' ? a.add(b) : a.multiply(b));
    } else {
      const a = currentKind === 'absent' ? 0 : Number(current);
      const b = Number(operand);
      setPath(doc, path, op === '$inc' ? a + b : a * b);
    }
  }
  if (Object.keys(rest).length > 0) modifier[op] = rest;
  else delete modifier[op];
}

/** The document an upsert starts from: the query's equality conditions (`_id` only for replacements). */
export function upsertSeed(filter: Doc, kind: UpdateKind): Doc {
  const seed: Doc = {};
  collectSeed(filter, seed, kind === 'replacement');
  return seed;
}

function collectSeed(filter: Doc, seed: Doc, idOnly: boolean): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const clause of cond) if (isPlainObject(clause)) collectSeed(clause, seed, idOnly);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (idOnly && key !== '_id') continue;
    let value: unknown;
    if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
      if (!('$eq' in cond)) continue;
      value = cond.$eq;
    } else if (cond instanceof RegExp) {
      continue;
    } else {
      value = cond;
    }
    if (getPath(seed, key) !== undefined && !valuesEqual(getPath(seed, key), value)) {
      throw new CommandError(
        Codes.NotSingleValueField,
        `cannot infer query fields to set, path '${key}' is matched twice`,
      );
    }
    setPath(seed, key, deepCopy(value));
  }
}

/** Gives a document an ObjectId `_id` (first) when it has none. */
export function ensureId(doc: Doc): Doc {
  if ('_id' in doc && doc._id !== undefined) return withIdFirst(doc);
  return { _id: new ObjectId(), ...doc };
}
