/** createIndexes, listIndexes, dropIndexes. */
import { Long } from 'bson';
import { ID_INDEX_SPEC, type Collection } from '../collection.js';
import { CommandError, Codes } from '../errors.js';
import { normalizeIndexSpec, sameKey, sameOptions, type IndexSpec } from '../indexes.js';
import { formatValue, isPlainObject, valueKey, type Doc } from '../values.js';
import { arrayArg, type CommandContext, type Handler } from './context.js';

function render(spec: IndexSpec): string {
  return formatValue(spec);
}

/** Decides what creating `spec` means next to the existing indexes: nothing, conflict, or a build. */
function conflictOf(coll: Collection, spec: IndexSpec): 'exists' | undefined {
  const existing = coll.indexSpecs();
  for (const other of existing) {
    if (other.name === spec.name) {
      if (!sameKey(other, spec)) {
        throw new CommandError(
          Codes.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${render(spec)}, existing index: ${render(other)}`,
        );
      }
      if (!sameOptions(other, spec)) {
        throw new CommandError(
          Codes.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${render(spec)}, existing index: ${render(other)}`,
        );
      }
      return 'exists';
    }
  }
  for (const other of existing) {
    if (!sameKey(other, spec)) continue;
    // Same key, different name: an error when the indexes would be equivalent.
    const differentFilter =
      valueKey(other.partialFilterExpression ?? null) !== valueKey(spec.partialFilterExpression ?? null);
    const differentCollation = valueKey(other.collation ?? null) !== valueKey(spec.collation ?? null);
    if (!differentFilter && !differentCollation) {
      if (sameOptions(other, spec)) {
        throw new CommandError(
          Codes.IndexOptionsConflict,
          `Index already exists with a different name: ${other.name}`,
        );
      }
      throw new CommandError(
        Codes.IndexOptionsConflict,
        `An equivalent index already exists with a different name and options. Requested index: ${render(spec)}, existing index: ${render(other)}`,
      );
    }
  }
  if ('_fts' in spec.key) {
    const text = [...coll.indexes.values()].find((i) => i.kind === 'text');
    if (text) {
      throw new CommandError(
        Codes.IndexOptionsConflict,
        `An equivalent index already exists with a different name and options. Requested index: ${render(spec)}, existing index: ${render(text.spec)}`,
      );
    }
  }
  return undefined;
}

const createIndexes: Handler = (ctx) => {
  const name = ctx.collectionName();
  const raw = arrayArg(ctx.cmd, 'indexes', true);
  if (raw.length === 0) throw new CommandError(Codes.BadValue, 'Must specify at least one index to create');
  const specs = raw.map((r) => {
    if (isPlainObject(r) && isPlainObject(r.key) && valueKey(r.key) === valueKey({ _id: 1 })) {
      if (r.name === '_id_' || r.name === undefined) return undefined;
    }
    return normalizeIndexSpec(r);
  });
  const { coll, created } = ctx.engine.ensureCollection(ctx.db, name);
  const before = coll.indexes.size + 1;
  const toBuild: IndexSpec[] = [];
  for (const spec of specs) {
    if (!spec) continue;
    if (toBuild.some((s) => s.name === spec.name || (sameKey(s, spec) && sameOptions(s, spec)))) {
      if (toBuild.some((s) => s.name === spec.name && !(sameKey(s, spec) && sameOptions(s, spec)))) {
        throw new CommandError(
          Codes.IndexKeySpecsConflict,
          `Index with name: ${spec.name} already requested with different options`,
        );
      }
      continue;
    }
    if (conflictOf(coll, spec) === 'exists') continue;
    toBuild.push(spec);
  }
  const built: string[] = [];
  try {
    for (const spec of toBuild) {
      coll.buildIndex(spec);
      built.push(spec.name);
    }
  } catch (error) {
    for (const n of built) coll.indexes.delete(n);
    throw error;
  }
  for (const spec of toBuild) ctx.engine.record({ op: 'createIndex', ns: coll.ns, spec });
  const reply: Doc = {
    numIndexesBefore: before,
    numIndexesAfter: coll.indexes.size + 1,
    createdCollectionAutomatically: created,
  };
  if (toBuild.length === 0) reply.note = 'all indexes already exist';
  reply.ok = 1;
  return reply;
};

const listIndexes: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll) throw new CommandError(Codes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  return { cursor: { id: Long.ZERO, ns: `${ctx.db}.${name}`, firstBatch: coll.indexSpecs() }, ok: 1 };
};

function dropByName(ctx: CommandContext, coll: Collection, target: unknown): void {
  if (target === '_id_' || (isPlainObject(target) && valueKey(target) === valueKey(ID_INDEX_SPEC.key))) {
    throw new CommandError(Codes.InvalidOptions, 'cannot drop _id index');
  }
  let name: string | undefined;
  if (typeof target === 'string') {
    if (!coll.indexes.has(target))
      throw new CommandError(Codes.IndexNotFound, `index not found with name [${target}]`);
    name = target;
  } else if (isPlainObject(target)) {
    const matches = [...coll.indexes.values()].filter(
      (i) => valueKey(i.spec.key) === valueKey(target) || valueKey(keyOfRequest(i.spec)) === valueKey(target),
    );
    if (matches.length === 0)
      throw new CommandError(Codes.IndexNotFound, `can't find index with key: ${formatValue(target)}`);
    if (matches.length > 1) {
      throw new CommandError(
        Codes.BadValue,
        `${matches.length} indexes found for key: ${formatValue(target)}, identify by name instead. Conflicting indexes: ${matches.map((m) => render(m.spec)).join(', ')}`,
      );
    }
    name = matches[0]?.name;
  } else {
    throw new CommandError(Codes.TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type");
  }
  if (name) {
    coll.indexes.delete(name);
    ctx.engine.record({ op: 'dropIndex', ns: coll.ns, name });
  }
}

/** The key a text index was requested with (`{ title: "text" }`), to match drop requests. */
function keyOfRequest(spec: IndexSpec): Doc {
  if (!('_fts' in spec.key) || !isPlainObject(spec.weights)) return spec.key;
  const key: Doc = {};
  for (const field of Object.keys(spec.weights)) key[field] = 'text';
  return key;
}

const dropIndexes: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll) throw new CommandError(Codes.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  const before = coll.indexes.size + 1;
  const target = ctx.cmd.index;
  if (target === '*') {
    for (const index of [...coll.indexes.keys()])
      ctx.engine.record({ op: 'dropIndex', ns: coll.ns, name: index });
    coll.dropAllIndexes();
  } else if (Array.isArray(target)) {
    for (const t of target) if (typeof t !== 'string' || !coll.indexes.has(t)) dropByName(ctx, coll, t);
    for (const t of target) dropByName(ctx, coll, t);
  } else {
    dropByName(ctx, coll, target);
  }
  return { nIndexesWas: before, ok: 1 };
};

export const indexCommands: Record<string, Handler> = {
  createIndexes,
  createindexes: createIndexes,
  listIndexes,
  listindexes: listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  dropindexes: dropIndexes,
};
