/** find, getMore, killCursors, count and distinct. */
import { Long } from 'bson';
import { CommandError, Codes } from '../errors.js';
import { compileProjection } from '../projection.js';
import { runQuery } from '../query.js';
import { bsonTag, bsonTypeOf, compareValues, valueKey, valuesAtPath, type Doc } from '../values.js';
import { docArg, intArg, nonNegative, type CommandContext, type Handler } from './context.js';

/** The pieces of a find command, validated (shared with explain). */
export interface FindSpec {
  readonly name: string;
  readonly filter: Doc;
  readonly sort: Doc | undefined;
  readonly projection: Doc | undefined;
  readonly skip: number | undefined;
  readonly limit: number | undefined;
  readonly batchSize: number | undefined;
  readonly singleBatch: boolean;
}

export function parseFind(ctx: CommandContext, cmd: Doc = ctx.cmd): FindSpec {
  const name = ctx.collectionName();
  if (cmd.tailable === true) {
    throw new CommandError(
      Codes.BadValue,
      `error processing query: ns=${ctx.db}.${name} tailable cursor requested on non capped collection`,
    );
  }
  let limit = intArg(cmd, 'limit');
  let singleBatch = cmd.singleBatch === true;
  if (limit !== undefined && limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  return {
    name,
    filter: docArg(cmd, 'filter') ?? {},
    sort: docArg(cmd, 'sort'),
    projection: docArg(cmd, 'projection'),
    skip: nonNegative(cmd, 'skip', 'Skip '),
    limit: limit === 0 ? undefined : limit,
    batchSize: nonNegative(cmd, 'batchSize', 'BatchSize '),
    singleBatch,
  };
}

const find: Handler = (ctx) => {
  const spec = parseFind(ctx);
  const projection = compileProjection(spec.projection, ctx.variables);
  const view = ctx.view(ctx.db, spec.name);
  const result = runQuery(view, spec.filter, {
    sort: spec.sort,
    skip: spec.skip,
    limit: spec.limit,
    variables: ctx.variables,
  });
  const docs = projection
    ? result.recs.map((r) => projection.apply(r.doc, { score: result.scores?.get(r), filter: spec.filter }))
    : result.recs.map((r) => r.doc);
  const ns = `${ctx.db}.${spec.name}`;
  const batch = ctx.services.cursors.open(ns, docs, spec.batchSize, spec.singleBatch, ctx.session?.key);
  return { cursor: { firstBatch: batch.batch, id: batch.id, ns }, ok: 1 };
};

function cursorId(value: unknown): Long {
  if (typeof value === 'number' && Number.isInteger(value)) return Long.fromNumber(value);
  if (bsonTag(value) === 'Long') return value as Long;
  throw new CommandError(
    Codes.TypeMismatch,
    `BSON field 'getMore.getMore' is the wrong type '${bsonTypeOf(value)}', expected type 'long'`,
  );
}

const getMore: Handler = (ctx) => {
  const id = cursorId(ctx.cmd.getMore);
  const collection = ctx.cmd.collection;
  if (typeof collection !== 'string') {
    throw new CommandError(
      Codes.FailedToParse,
      "BSON field 'getMore.collection' is missing but a required field",
    );
  }
  const ns = `${ctx.db}.${collection}`;
  const batchSize = nonNegative(ctx.cmd, 'batchSize', 'BatchSize ');
  const batch = ctx.services.cursors.getMore(id, ns, batchSize);
  return { cursor: { nextBatch: batch.batch, id: batch.id, ns }, ok: 1 };
};

const killCursors: Handler = (ctx) => {
  const ids = ctx.cmd.cursors;
  if (!Array.isArray(ids))
    throw new CommandError(
      Codes.FailedToParse,
      "BSON field 'killCursors.cursors' is missing but a required field",
    );
  const { killed, notFound } = ctx.services.cursors.kill(ids.map(cursorId));
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const count: Handler = (ctx) => {
  const name = ctx.collectionName();
  const view = ctx.view(ctx.db, name);
  const query = docArg(ctx.cmd, 'query') ?? {};
  const skip = nonNegative(ctx.cmd, 'skip', 'skip ') ?? 0;
  let limit = intArg(ctx.cmd, 'limit') ?? 0;
  if (limit < 0) limit = -limit;
  if (Object.keys(query).length === 0) {
    const total = Math.max(0, view.count() - skip);
    return { n: limit > 0 ? Math.min(total, limit) : total, ok: 1 };
  }
  const result = runQuery(view, query, {
    skip,
    limit: limit > 0 ? limit : undefined,
    variables: ctx.variables,
  });
  return { n: result.recs.length, ok: 1 };
};

const distinct: Handler = (ctx) => {
  const name = ctx.collectionName();
  const key = ctx.cmd.key;
  if (typeof key !== 'string') {
    throw new CommandError(
      Codes.TypeMismatch,
      `BSON field 'distinct.key' is the wrong type '${bsonTypeOf(key)}', expected type 'string'`,
    );
  }
  if (key.length === 0)
    throw new CommandError(Codes.BadValue, 'FieldPath cannot be constructed with empty string');
  const view = ctx.view(ctx.db, name);
  const result = runQuery(view, docArg(ctx.cmd, 'query') ?? {}, { variables: ctx.variables });
  const seen = new Map<string, unknown>();
  for (const rec of result.recs) {
    for (const value of valuesAtPath(rec.doc, key, false)) {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        if (v === undefined) continue;
        const k = valueKey(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
  }
  return { values: [...seen.values()].sort(compareValues), ok: 1 };
};

export const readCommands: Record<string, Handler> = { find, getMore, killCursors, count, distinct };
