/**
 * The mingo engine as this server uses it: one operator context with MongoDB-faithful `$type`,
 * `$sort` and `$meta`, our `$jsonSchema` validator, no `$out`/`$merge`, no server-side scripts.
 */
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr } from 'mingo/core';
import { Lazy, type Iterator } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { resolve } from 'mingo/util';
import { CommandError, fromMingoError } from './errors.js';
import { validateSchema } from './json-schema.js';
import { storedTypeOf, toQueryForm } from './query-form.js';
import { parseSort, sortBy } from './sort.js';
import { bsonTag, isNumericType, isPlainObject, splitPath, type Doc } from './values.js';

/** Text scores of documents flowing through a pipeline, for `{ $meta: "textScore" }`. */
export const textScores = new WeakMap<object, number>();

const TYPE_CODES: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  12: 'dbPointer',
  13: 'javascript',
  14: 'symbol',
  15: 'javascriptWithScope',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

function typeAliases(spec: unknown): string[] {
  const list = Array.isArray(spec) ? spec : [spec];
  return list.map((t) => {
    if (typeof t === 'number') {
      const alias = TYPE_CODES[t];
      if (!alias) throw new CommandError(2, `Invalid numerical type code: ${t}`);
      return alias;
    }
    if (typeof t !== 'string') throw new CommandError(14, 'type must be represented as a number or a string');
    return t;
  });
}

function typeMatches(type: string, wanted: readonly string[]): boolean {
  return wanted.some((w) => w === type || (w === 'number' && isNumericType(type)));
}

/** `$type` that sees the types the client stored (int vs double vs long, binData, objectId). */
function $type(selector: string, value: unknown): (obj: AnyObject) => boolean {
  const wanted = typeAliases(value);
  const parts = splitPath(selector);
  const visit = (current: unknown, i: number, container: unknown, key: string | number): boolean => {
    if (i === parts.length) {
      if (current === undefined) return false;
      if (typeMatches(storedTypeOf(current, container, key), wanted)) return true;
      if (Array.isArray(current)) {
        return current.some(
          (el, idx) => el !== undefined && typeMatches(storedTypeOf(el, current, idx), wanted),
        );
      }
      return false;
    }
    const part = parts[i] as string;
    if (Array.isArray(current)) {
      if (/^\d+$/.test(part) && visit(current[Number(part)], i + 1, current, Number(part))) return true;
      return current.some((el) => isPlainObject(el) && visit(el, i, undefined, ''));
    }
    if (!isPlainObject(current) || !Object.prototype.hasOwnProperty.call(current, part)) return false;
    return visit(current[part], i + 1, current, part);
  };
  return (obj) => visit(obj, 0, undefined, '');
}

type QueryOperator = (selector: string, value: unknown, options: Options) => (obj: AnyObject) => boolean;

/**
 * A `$in` list as hash sets, when every value is a primitive other than null or an ObjectId:
 * mingo's own `$in` builds two hash maps of the document's values and the whole list for every
 * document it tests, which dominated a page of the home feed (`userId: { $in: authors }`).
 */
interface InSet {
  readonly primitives: Set<unknown>;
  /** ObjectIds by hex string, with their classes (mingo's equality compares constructors). */
  readonly objectIds: Map<string, unknown[]>;
}

function inSet(list: unknown): InSet | undefined {
  if (!Array.isArray(list)) return undefined;
  const primitives = new Set<unknown>();
  const objectIds = new Map<string, unknown[]>();
  for (const value of list) {
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'object') {
      if (bsonTag(value) !== 'ObjectId') return undefined;
      const hex = String(value);
      const classes = objectIds.get(hex) ?? [];
      classes.push((value as object).constructor);
      objectIds.set(hex, classes);
    } else if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    else primitives.add(value);
  }
  return { primitives, objectIds };
}

function inSetHas(set: InSet, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return set.primitives.has(value);
  if (set.objectIds.size === 0 || bsonTag(value) !== 'ObjectId') return false;
  return set.objectIds.get(String(value))?.includes(value.constructor) ?? false;
}

/**
 * mingo's `$in` (`$nin` negated) with the list hashed once: the same answers, since mingo
 * compares primitives by SameValueZero, ObjectIds by class and hex string, and a null or missing
 * field only matches a list holding null. Other lists (null, regexes, documents) keep mingo's.
 */
function fastIn(negate: boolean, mingoOperator: QueryOperator): QueryOperator {
  return (selector, value, options) => {
    const set = inSet(value);
    if (!set) return mingoOperator(selector, value, options);
    const resolveOptions = { unwrapArray: true };
    return (obj) => {
      const lhs: unknown = resolve(obj, selector, resolveOptions);
      let found = false;
      if (Array.isArray(lhs)) {
        for (const element of lhs as unknown[]) {
          if (inSetHas(set, element)) {
            found = true;
            break;
          }
        }
      } else if (lhs !== null && lhs !== undefined) found = inSetHas(set, lhs);
      return found !== negate;
    };
  };
}

/** `{ $meta: "textScore" }` inside pipelines. */
function $meta(obj: unknown, expr: unknown): unknown {
  if (expr === 'textScore' && obj !== null && typeof obj === 'object') return textScores.get(obj) ?? 0;
  return null;
}

/** `$sort` stage with BSON order (mingo orders unknown classes such as ObjectId last). */
function $sort(coll: Iterator, spec: unknown): Iterator {
  const keys = parseSort(spec);
  if (keys.length === 0) throw new CommandError(15976, '$sort stage must have at least one sort key');
  return coll.transform((docs: unknown[]) =>
    Lazy(
      sortBy(
        docs,
        keys,
        (d) => d as Doc,
        (d) => (d !== null && typeof d === 'object' ? (textScores.get(d) ?? 0) : 0),
      ),
    ),
  );
}

/** `$count` that, like MongoDB, produces no document at all for empty input. */
function $count(coll: Iterator, field: unknown): Iterator {
  if (typeof field !== 'string' || field.length === 0 || field.startsWith('$') || field.includes('.')) {
    throw new CommandError(
      40156,
      'the count field must be a non-empty string that does not start with $ or contain .',
    );
  }
  return coll.transform((docs: unknown[]) => Lazy(docs.length > 0 ? [{ [field]: docs.length }] : []));
}

/** Puts `_id` first and keeps the input's field order, as MongoDB's projection does. */
function reorderLike(input: unknown, output: unknown): unknown {
  if (!isPlainObject(input) || !isPlainObject(output)) return output;
  const out: Doc = {};
  if ('_id' in output) out._id = output._id;
  for (const key of Object.keys(input)) {
    if (key !== '_id' && key in output) out[key] = reorderLike(input[key], output[key]);
  }
  for (const key of Object.keys(output)) if (!(key in out)) out[key] = output[key];
  return out;
}

const mingoProject = pipelineOperators.$project;

/** `$project` with MongoDB's output field order (mingo puts `_id` last). */
function $project(coll: Iterator, expr: AnyObject, options: Options): Iterator {
  return coll.map((doc: unknown) => reorderLike(doc, mingoProject(Lazy([doc]), expr, options).next().value));
}

function unsupportedStage(name: string) {
  return () => {
    throw new CommandError(
      238,
      `${name} is not supported by mongo-embedded (an in-memory development server)`,
    );
  };
}

const pipelineOps: Record<string, unknown> = { ...pipelineOperators, $sort, $count, $project };
pipelineOps.$out = unsupportedStage('$out');
pipelineOps.$merge = unsupportedStage('$merge');

const CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators } as never,
  expression: { ...expressionOperators, $meta } as never,
  pipeline: pipelineOps as never,
  projection: { ...projectionOperators } as never,
  query: {
    ...queryOperators,
    $type,
    $in: fastIn(false, queryOperators.$in as QueryOperator),
    $nin: fastIn(true, queryOperators.$nin as QueryOperator),
  } as never,
  window: { ...windowOperators } as never,
});

function jsonSchemaValidator(schema: AnyObject): (doc: AnyObject) => boolean {
  return (doc) => validateSchema(schema as Doc, doc).length === 0;
}

export interface MingoOptions {
  readonly variables?: Doc | undefined;
  readonly collectionResolver?: ((name: string) => AnyObject[]) | undefined;
}

export function mingoOptions(options: MingoOptions = {}): Partial<Options> {
  return {
    context: CONTEXT,
    scriptEnabled: false,
    jsonSchemaValidator,
    ...(options.variables ? { variables: toQueryForm(options.variables) } : {}),
    ...(options.collectionResolver ? { collectionResolver: options.collectionResolver } : {}),
  };
}

/** mingo's internal options class (not exported); what `new Query` and `evalExpr` build per call. */
interface ComputeOptionsClass {
  new (options: Partial<Options>): Options;
  /** Copies plain options' context; copies only the locals of an instance. */
  init(options: Partial<Options>): Options;
}

/**
 * Finds mingo's options class through its public API: a throwaway context's query operator
 * receives the options instance the `Query` built.
 */
function computeOptionsClass(): ComputeOptionsClass {
  let found: ComputeOptionsClass | undefined;
  const capture = (_field: string, _value: unknown, options: Options) => {
    found = options.constructor as ComputeOptionsClass;
    return () => true;
  };
  new Query({ x: { $capture: 1 } }, { context: Context.init({ query: { $capture: capture } as never }) });
  if (!found) throw new Error('mingo did not pass its options to the query operator');
  return found;
}

const ComputeOptions = computeOptionsClass();

/**
 * Options for `Query` and `evalExpr`, which copy the whole operator context (hundreds of
 * operators) whenever they get plain options; given a ready options instance they only copy its
 * per-call locals. Query and expression operators never modify the context (only `$fill` and
 * `$setWindowFields` pipeline stages do), so one context copy is shared by every filter and
 * expression; pipelines keep building their own.
 */
const SHARED = ComputeOptions.init(mingoOptions());

function sharedOptions(variables: Doc | undefined): Options {
  if (!variables) return SHARED;
  const settings = (SHARED as Options & { readonly options: Partial<Options> }).options;
  return new ComputeOptions({ ...settings, variables: toQueryForm(variables) });
}

/** Runs `fn`, translating mingo's plain errors into server errors. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    if (error instanceof Error) throw fromMingoError(error);
    throw error;
  }
}

export type Predicate = (queryFormDoc: Doc) => boolean;

const MATCH_ALL: Predicate = () => true;

/** Compiles a filter (given as the client sent it) into a predicate over query-form documents. */
export function compileFilter(filter: unknown, variables?: Doc): Predicate {
  if (filter === undefined || filter === null) return MATCH_ALL;
  if (!isPlainObject(filter)) throw new CommandError(14, 'filter must be an object');
  if (Object.keys(filter).length === 0) return MATCH_ALL;
  const query = guard(() => new Query(toQueryForm(filter), sharedOptions(variables)));
  return (doc) => guard(() => query.test(doc));
}

/** The pipeline stages that add operators to the context they run with. */
const CONTEXT_WRITERS = new Set(['$fill', '$setWindowFields']);

function writesContext(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(writesContext);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, inner]) => CONTEXT_WRITERS.has(key) || writesContext(inner));
}

/**
 * Options for a pipeline: the shared operator context (as filters use) unless a stage anywhere in
 * it adds operators to its context, which then gets its own copy. A `$lookup` runs a small
 * pipeline per input document, and copying the whole context for each was most of their cost.
 */
function pipelineOptions(pipeline: readonly Doc[], options: MingoOptions): Partial<Options> {
  if (writesContext(pipeline)) return mingoOptions(options);
  const settings = (SHARED as Options & { readonly options: Partial<Options> }).options;
  return new ComputeOptions({
    ...settings,
    ...(options.variables ? { variables: toQueryForm(options.variables) } : {}),
    ...(options.collectionResolver ? { collectionResolver: options.collectionResolver } : {}),
  });
}

/** Runs an aggregation pipeline over query-form documents. */
export function runPipeline(docs: Doc[], pipeline: Doc[], options: MingoOptions = {}): Doc[] {
  if (pipeline.length === 0) return docs;
  const converted = pipeline.map((stage) => toQueryForm(stage));
  return guard(() => new Aggregator(converted, pipelineOptions(converted, options)).run(docs) as Doc[]);
}

/** Evaluates an aggregation expression against a document (projections, `$expr`-style values). */
export function evaluate(doc: Doc, expr: unknown, variables?: Doc): unknown {
  return guard(() => evalExpr(doc, toQueryForm(expr), sharedOptions(variables)));
}
