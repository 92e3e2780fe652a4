/**
 * aggregate: leading `$match` stages run through the query engine (indexes, `$text`), the rest of
 * the pipeline through mingo on copies of the query form; `$lookup`/`$unionWith`/`$graphLookup`
 * read collections of the same database. `$out` and `$merge` are refused.
 */
import { Long } from 'bson';
import { resolve } from 'mingo/util';
import type { Rec } from '../collection.js';
import { CommandError, Codes } from '../errors.js';
import { compileFilter, runPipeline, textScores, type MingoOptions } from '../mingo.js';
import { copyQueryForm, fromQueryForm } from '../query-form.js';
import { runQuery, type QueryResult } from '../query.js';
import { bsonTag, isPlainObject, valueKey, valuesAtPath, type Doc } from '../values.js';
import { arrayArg, docArg, nonNegative, type CommandContext, type Handler } from './context.js';

/** Stages known not to mutate their input documents (so inputs need not be copied). */
const NON_MUTATING = new Set([
  '$match',
  '$sort',
  '$limit',
  '$skip',
  '$count',
  '$group',
  '$sortByCount',
  '$project',
  '$bucket',
  '$bucketAuto',
]);

const UNSUPPORTED = new Set([
  '$out',
  '$merge',
  '$geoNear',
  '$search',
  '$searchMeta',
  '$vectorSearch',
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
]);

export function parsePipeline(cmd: Doc): Doc[] {
  const pipeline = arrayArg(cmd, 'pipeline', true);
  pipeline.forEach((stage, i) => {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
    }
    const name = Object.keys(stage)[0] as string;
    if (UNSUPPORTED.has(name)) {
      throw new CommandError(
        Codes.NotImplemented,
        `${name} is not supported by mongo-embedded (an in-memory development server)`,
      );
    }
    if ((name === '$collStats' || name === '$indexStats' || name === '$documents') && i !== 0) {
      throw new CommandError(40602, `${name} is only valid as the first stage in a pipeline.`);
    }
  });
  return pipeline as Doc[];
}

function needsCopy(pipeline: Doc[]): boolean {
  return pipeline.some((stage) => {
    const name = Object.keys(stage)[0] as string;
    if (name === '$facet' && isPlainObject(stage.$facet)) {
      return Object.values(stage.$facet).some((sub) => !Array.isArray(sub) || needsCopy(sub as Doc[]));
    }
    return !NON_MUTATING.has(name);
  });
}

export interface PipelineRun {
  readonly docs: Doc[];
  /** The leading `$match` execution, when the pipeline read a collection. */
  readonly query: QueryResult | undefined;
  readonly filter: Doc;
  readonly rest: Doc[];
}

function firstStage(ctx: CommandContext, name: string, stage: Doc): Doc[] | undefined {
  if ('$collStats' in stage) {
    const spec = isPlainObject(stage.$collStats) ? stage.$collStats : {};
    const coll = ctx.engine.collection(ctx.db, name);
    const out: Doc = { ns: `${ctx.db}.${name}`, host: ctx.services.server.hostPort, localTime: new Date() };
    const count = coll?.records.size ?? 0;
    if (spec.count !== undefined) out.count = count;
    if (spec.storageStats !== undefined) {
      const size = coll?.dataSize() ?? 0;
      out.storageStats = {
        size,
        count,
        avgObjSize: count ? Math.round(size / count) : 0,
        storageSize: size,
        nindexes: coll ? coll.indexes.size + 1 : 0,
      };
    }
    return [out];
  }
  if ('$indexStats' in stage) {
    const coll = ctx.engine.collection(ctx.db, name);
    return (coll?.indexSpecs() ?? []).map((spec) => ({
      name: spec.name,
      key: spec.key,
      host: ctx.services.server.hostPort,
      accesses: { ops: Long.ZERO, since: ctx.services.server.startedAt },
      spec,
    }));
  }
  return undefined;
}

/** An equality `$lookup` (localField / foreignField, optionally with a `pipeline`, no `let`). */
interface EqualityLookup {
  readonly from: string;
  readonly localField: string;
  readonly foreignField: string;
  readonly as: string;
  readonly pipeline: Doc[] | undefined;
}

const EQUALITY_LOOKUP_FIELDS = new Set(['from', 'localField', 'foreignField', 'as', 'pipeline']);

function equalityLookup(stage: Doc): EqualityLookup | undefined {
  const spec = stage.$lookup;
  if (!isPlainObject(spec) || Object.keys(spec).some((key) => !EQUALITY_LOOKUP_FIELDS.has(key)))
    return undefined;
  const { from, localField, foreignField, as, pipeline } = spec;
  if (typeof from !== 'string' || typeof localField !== 'string') return undefined;
  if (typeof foreignField !== 'string' || typeof as !== 'string') return undefined;
  if (pipeline !== undefined && !(Array.isArray(pipeline) && pipeline.every(isPlainObject))) return undefined;
  return { from, localField, foreignField, as, pipeline: pipeline as Doc[] | undefined };
}

/** Values an index answers exactly by equality (what the planner looks up by hash). */
function simpleValue(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (value instanceof Date) return true;
  return typeof value === 'object' && bsonTag(value) === 'ObjectId';
}

/**
 * The values `$lookup` matches the foreign field against: the local field's value, each element
 * of an array, null for a missing field. Undefined when one of them is not a simple scalar (then
 * mingo's own `$lookup` decides).
 */
function localValues(doc: Doc, path: string): unknown[] | undefined {
  const out: unknown[] = [];
  for (const value of valuesAtPath(doc, path, true)) {
    if (Array.isArray(value)) {
      if (value.length === 0 || !value.every(simpleValue)) return undefined;
      out.push(...(value as unknown[]));
    } else if (value === undefined) out.push(null);
    else if (simpleValue(value)) out.push(value);
    else return undefined;
  }
  return out.length > 0 ? out : [null];
}

function distinct(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = valueKey(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Records by the key (values.ts valueKey) of each value their `path` holds, as `$in` reads it
 * (the value, or each element of an array; null when missing), in natural order. Values `$in`
 * finds equal have the same key, so a record's groups hold every value it can match.
 */
function groupByValue(recs: readonly Rec[], path: string): Map<string, Rec[]> {
  const groups = new Map<string, Rec[]>();
  for (const rec of recs) {
    const found: unknown = resolve(rec.q, path, { unwrapArray: true });
    const keys = new Set((Array.isArray(found) ? (found as unknown[]) : [found]).map(valueKey));
    for (const key of keys) {
      const group = groups.get(key);
      if (group) group.push(rec);
      else groups.set(key, [rec]);
    }
  }
  return groups;
}

/** The records of the groups of `values`, each once, in natural order. */
function candidatesOf(groups: Map<string, Rec[]>, values: readonly unknown[]): Rec[] {
  if (groups.size === 0) return [];
  if (values.length === 1) return groups.get(valueKey(values[0])) ?? [];
  const out = new Set<Rec>();
  for (const value of values) for (const rec of groups.get(valueKey(value)) ?? []) out.add(rec);
  return [...out].sort((a, b) => a.seq - b.seq);
}

/** Whether a filter uses `$text` (not allowed in a `$lookup` pipeline: left to mingo to reject). */
function usesText(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(usesText);
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(([key, value]) => key === '$text' || usesText(value));
}

/**
 * The leading `$match` stages of a `$lookup` pipeline, which join the foreign query (so the
 * planner can use a compound index, e.g. a pair index for `{ userId: x, friendId: viewer }`),
 * and the stages left to run over its results (undefined without a pipeline).
 */
function leadingMatches(pipeline: Doc[] | undefined): { matches: Doc[]; rest: Doc[] | undefined } {
  if (!pipeline) return { matches: [], rest: undefined };
  let n = 0;
  while (n < pipeline.length) {
    const stage = pipeline[n] as Doc;
    if (Object.keys(stage).length !== 1 || !isPlainObject(stage.$match) || usesText(stage.$match)) break;
    n += 1;
  }
  return { matches: pipeline.slice(0, n).map((stage) => stage.$match as Doc), rest: pipeline.slice(n) };
}

/**
 * Runs `stages` over query-form `docs`: mingo for everything except equality `$lookup`s, which
 * look the foreign documents up through the foreign collection's indexes (`{ foreignField: { $in:
 * localValues } }`, the same matches as MongoDB's) instead of mingo's scan of a copy of the whole
 * foreign collection per input document: one query for all input documents, the leading `$match`
 * stages of the `pipeline` joining it; the rest of the pipeline runs over each document's matches.
 */
function runStages(ctx: CommandContext, docs: Doc[], stages: Doc[], options: MingoOptions): Doc[] {
  let current = docs;
  let start = 0;
  for (let i = 0; i < stages.length; i += 1) {
    const lookup = equalityLookup(stages[i] as Doc);
    if (!lookup) continue;
    current = runPipeline(current, stages.slice(start, i), options);
    const view = ctx.view(ctx.db, lookup.from);
    const { matches: pushed, rest: subPipeline } = leadingMatches(lookup.pipeline);
    const valuesOf = current.map((doc) => localValues(doc, lookup.localField));
    const byField = (values: unknown[]) => ({ [lookup.foreignField]: { $in: values } });
    const all = distinct(valuesOf.flatMap((values) => values ?? []));
    const found =
      all.length === 0
        ? []
        : runQuery(view, pushed.length > 0 ? { $and: [byField(all), ...pushed] } : byField(all), {
            variables: options.variables,
          }).recs;
    const groups = groupByValue(found, lookup.foreignField);
    current = current.map((doc, d) => {
      const values = valuesOf[d];
      if (!values) return runPipeline([doc], [stages[i] as Doc], options)[0] as Doc;
      const own = candidatesOf(groups, values);
      const matchesDoc = own.length > 0 ? compileFilter(byField(values), options.variables) : undefined;
      const matches = own.filter((rec) => matchesDoc?.(rec.q)).map((rec) => copyQueryForm(rec.q));
      doc[lookup.as] = subPipeline ? runStages(ctx, matches, subPipeline, options) : matches;
      return doc;
    });
    start = i + 1;
  }
  return runPipeline(current, stages.slice(start), options);
}

/** Runs a pipeline against a collection (or, with `aggregate: 1`, against no input). */
export function executePipeline(ctx: CommandContext, name: string | undefined, pipeline: Doc[]): PipelineRun {
  const variables = ctx.variables;
  const collectionResolver = (other: string): Doc[] => {
    const docs: Doc[] = [];
    for (const rec of ctx.view(ctx.db, other).all()) docs.push(copyQueryForm(rec.q));
    return docs;
  };
  const head = pipeline[0];
  if (
    name === undefined ||
    (head && ('$documents' in head || '$collStats' in head || '$indexStats' in head))
  ) {
    const seeded = head && name !== undefined ? firstStage(ctx, name, head) : undefined;
    const input = seeded ?? [];
    const rest = seeded ? pipeline.slice(1) : pipeline;
    const out = runStages(ctx, input, rest, { variables, collectionResolver });
    return { docs: out.map((d) => fromQueryForm(d)), query: undefined, filter: {}, rest };
  }
  const filters: Doc[] = [];
  let i = 0;
  while (i < pipeline.length && '$match' in (pipeline[i] as Doc)) {
    const match = (pipeline[i] as Doc).$match;
    if (!isPlainObject(match))
      throw new CommandError(15959, 'the match filter must be an expression in an object');
    filters.push(match);
    i++;
  }
  const filter = filters.length === 0 ? {} : filters.length === 1 ? (filters[0] as Doc) : { $and: filters };
  const rest = pipeline.slice(i);
  const query = runQuery(ctx.view(ctx.db, name), filter, { variables });
  const copy = needsCopy(rest);
  const input = query.recs.map((rec) => {
    const doc = copy ? copyQueryForm(rec.q) : rec.q;
    const score = query.scores?.get(rec);
    if (score !== undefined) textScores.set(doc, score);
    return doc;
  });
  if (rest.length === 0) return { docs: query.recs.map((r) => r.doc), query, filter, rest };
  const out = runStages(ctx, input, rest, { variables, collectionResolver });
  return { docs: out.map((d) => fromQueryForm(d)), query, filter, rest };
}

export function aggregateTarget(ctx: CommandContext): string | undefined {
  const target = ctx.cmd.aggregate;
  if (target === 1 || (typeof target === 'number' && target === 1)) return undefined;
  return ctx.collectionName();
}

const aggregate: Handler = (ctx) => {
  const name = aggregateTarget(ctx);
  const pipeline = parsePipeline(ctx.cmd);
  const cursor = docArg(ctx.cmd, 'cursor');
  if (!cursor) {
    throw new CommandError(
      Codes.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const batchSize = nonNegative(cursor, 'batchSize', 'BatchSize ');
  const run = executePipeline(ctx, name, pipeline);
  const ns = name === undefined ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${name}`;
  const batch = ctx.services.cursors.open(ns, run.docs, batchSize, false, ctx.session?.key);
  return { cursor: { firstBatch: batch.batch, id: batch.id, ns }, ok: 1 };
};

export const aggregateCommands: Record<string, Handler> = { aggregate };
