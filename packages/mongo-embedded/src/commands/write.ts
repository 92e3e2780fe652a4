/** insert, update, delete and findAndModify, with MongoDB's reply shapes and write errors. */
import { CommandError, Codes, isTopLevelOnly } from '../errors.js';
import { compileProjection } from '../projection.js';
import { toQueryForm } from '../query-form.js';
import { runQuery } from '../query.js';
import { applyUpdate, classifyUpdate, ensureId, upsertSeed, type UpdateKind } from '../update.js';
import { isPlainObject, type Doc } from '../values.js';
import type { CollectionView } from '../view.js';
import { arrayArg, docArg, type CommandContext, type Handler } from './context.js';

/** Enforces the collection validator on a new version of a document (warn-only validators log). */
function validate(
  ctx: CommandContext,
  view: CollectionView,
  doc: Doc,
  previous?: { doc: Doc; q: Doc },
): void {
  if (ctx.cmd.bypassDocumentValidation === true || !view.coll) return;
  const outcome = view.coll.validator.check(doc, toQueryForm(doc), previous);
  if (outcome.ok) return;
  if (outcome.warn) {
    ctx.services.logger.warn({ ns: view.ns, id: String(doc._id) }, 'Document would fail validation');
    return;
  }
  throw outcome.error;
}

function prepareInsert(raw: unknown): Doc {
  if (!isPlainObject(raw)) throw new CommandError(Codes.TypeMismatch, 'document to insert must be an object');
  const id = raw._id;
  if (Array.isArray(id))
    throw new CommandError(Codes.InvalidIdField, "The '_id' value cannot be of type array");
  if (id instanceof RegExp) throw new CommandError(Codes.InvalidIdField, "can't use a regex for _id");
  if ('_id' in raw && id === undefined) delete raw._id;
  return ensureId(raw);
}

/** Runs `fn` for each statement, collecting write errors (ordered stops at the first). */
function eachStatement(
  items: unknown[],
  ordered: boolean,
  fn: (item: unknown, index: number) => void,
): Doc[] {
  const writeErrors: Doc[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      fn(items[i], i);
    } catch (error) {
      if (!(error instanceof CommandError) || isTopLevelOnly(error)) throw error;
      writeErrors.push(error.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeErrors;
}

function withWriteErrors(reply: Doc, writeErrors: Doc[]): Doc {
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  reply.ok = 1;
  return reply;
}

const insert: Handler = (ctx) => {
  const name = ctx.collectionName();
  const docs = arrayArg(ctx.cmd, 'documents', true);
  const { view } = ctx.writeView(ctx.db, name);
  let n = 0;
  const writeErrors = eachStatement(docs, ctx.cmd.ordered !== false, (raw) => {
    const doc = prepareInsert(raw);
    validate(ctx, view, doc);
    view.insert(doc);
    n++;
  });
  return withWriteErrors({ n }, writeErrors);
};

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  before?: Doc | undefined;
  after?: Doc | undefined;
}

/** One update statement (also findAndModify's update). */
function updateOne(
  ctx: CommandContext,
  name: string,
  filter: Doc,
  u: unknown,
  kind: UpdateKind,
  options: { multi: boolean; upsert: boolean; arrayFilters?: Doc[] | undefined; sort?: unknown },
): UpdateOutcome {
  let view = ctx.view(ctx.db, name);
  const variables = ctx.variables;
  const found = runQuery(view, filter, {
    variables,
    limit: options.multi ? undefined : 1,
    sort: options.sort,
  });
  if (found.recs.length === 0) {
    if (!options.upsert) return { matched: 0, modified: 0 };
    const seed = upsertSeed(filter, kind);
    const applied = applyUpdate(seed, u, kind, {
      inserting: true,
      arrayFilters: options.arrayFilters,
      filter,
      variables,
    });
    const doc = ensureId(applied.doc);
    view = ctx.writeView(ctx.db, name).view;
    validate(ctx, view, doc);
    view.insert(doc);
    return { matched: 0, modified: 0, upsertedId: doc._id, after: doc };
  }
  let modified = 0;
  let before: Doc | undefined;
  let after: Doc | undefined;
  for (const rec of found.recs) {
    const applied = applyUpdate(rec.doc, u, kind, { arrayFilters: options.arrayFilters, filter, variables });
    before ??= rec.doc;
    after ??= applied.doc;
    if (!applied.modified) continue;
    validate(ctx, view, applied.doc, rec);
    view.replace(rec, applied.doc);
    modified++;
  }
  return { matched: found.recs.length, modified, before, after };
}

function arrayFiltersOf(stmt: Doc): Doc[] | undefined {
  if (stmt.arrayFilters === undefined) return undefined;
  const filters = arrayArg(stmt, 'arrayFilters');
  for (const f of filters)
    if (!isPlainObject(f)) throw new CommandError(Codes.TypeMismatch, 'arrayFilters entries must be objects');
  return filters as Doc[];
}

const update: Handler = (ctx) => {
  const name = ctx.collectionName();
  const updates = arrayArg(ctx.cmd, 'updates', true);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const writeErrors = eachStatement(updates, ctx.cmd.ordered !== false, (raw, index) => {
    if (!isPlainObject(raw)) throw new CommandError(Codes.TypeMismatch, 'update statement must be an object');
    const filter = docArg(raw, 'q') ?? {};
    const kind = classifyUpdate(raw.u);
    const multi = raw.multi === true;
    if (multi && kind === 'replacement') {
      throw new CommandError(
        Codes.FailedToParse,
        'multi update is not supported for replacement-style update',
      );
    }
    const outcome = updateOne(ctx, name, filter, raw.u, kind, {
      multi,
      upsert: raw.upsert === true,
      arrayFilters: arrayFiltersOf(raw),
      sort: raw.sort,
    });
    n += outcome.matched;
    nModified += outcome.modified;
    if (outcome.upsertedId !== undefined) {
      n++;
      upserted.push({ index, _id: outcome.upsertedId });
    }
  });
  const reply: Doc = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  return withWriteErrors(reply, writeErrors);
};

const del: Handler = (ctx) => {
  const name = ctx.collectionName();
  const deletes = arrayArg(ctx.cmd, 'deletes', true);
  const view = ctx.view(ctx.db, name);
  let n = 0;
  const writeErrors = eachStatement(deletes, ctx.cmd.ordered !== false, (raw) => {
    if (!isPlainObject(raw)) throw new CommandError(Codes.TypeMismatch, 'delete statement must be an object');
    const limit = Number(raw.limit ?? 0);
    if (limit !== 0 && limit !== 1) {
      throw new CommandError(
        Codes.FailedToParse,
        `The limit field in delete objects must be 0 or 1. Got ${String(raw.limit)}`,
      );
    }
    const found = runQuery(view, docArg(raw, 'q') ?? {}, {
      variables: ctx.variables,
      limit: limit === 1 ? 1 : undefined,
    });
    for (const rec of found.recs) {
      view.remove(rec);
      n++;
    }
  });
  return withWriteErrors({ n }, writeErrors);
};

const findAndModify: Handler = (ctx) => {
  const name = ctx.collectionName();
  const cmd = ctx.cmd;
  const filter = docArg(cmd, 'query') ?? {};
  const remove = cmd.remove === true;
  const upsert = cmd.upsert === true;
  const returnNew = cmd.new === true;
  if (remove && cmd.update !== undefined)
    throw new CommandError(Codes.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && cmd.update === undefined)
    throw new CommandError(Codes.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && upsert)
    throw new CommandError(Codes.FailedToParse, 'Cannot specify both upsert=true and remove=true ');
  if (remove && returnNew) {
    throw new CommandError(
      Codes.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  }
  const fields = cmd.fields !== undefined ? docArg(cmd, 'fields') : undefined;
  const projection = compileProjection(fields, ctx.variables);
  const project = (doc: Doc | undefined): Doc | null =>
    doc ? (projection ? projection.apply(doc, { filter }) : doc) : null;

  if (remove) {
    const view = ctx.view(ctx.db, name);
    const found = runQuery(view, filter, { sort: cmd.sort, limit: 1, variables: ctx.variables });
    const rec = found.recs[0];
    if (rec) view.remove(rec);
    return { lastErrorObject: { n: rec ? 1 : 0 }, value: project(rec?.doc), ok: 1 };
  }
  const kind = classifyUpdate(cmd.update);
  const outcome = updateOne(ctx, name, filter, cmd.update, kind, {
    multi: false,
    upsert,
    arrayFilters: cmd.arrayFilters !== undefined ? arrayFiltersOf(cmd) : undefined,
    sort: cmd.sort,
  });
  if (outcome.upsertedId !== undefined) {
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: outcome.upsertedId },
      value: returnNew ? project(outcome.after) : null,
      ok: 1,
    };
  }
  if (outcome.matched === 0) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  return {
    lastErrorObject: { n: 1, updatedExisting: true },
    value: project(returnNew ? outcome.after : outcome.before),
    ok: 1,
  };
};

export const writeCommands: Record<string, Handler> = {
  insert,
  update,
  delete: del,
  findAndModify,
  findandmodify: findAndModify,
};
