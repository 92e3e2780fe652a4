/** Databases and collections: list, create, modify, drop, rename, stats. */
import { Long } from 'bson';
import type { Collection } from '../collection.js';
import { checkCollectionName, checkDbName, splitNamespace } from '../engine.js';
import { CommandError, Codes } from '../errors.js';
import { compileFilter } from '../mingo.js';
import { toQueryForm } from '../query-form.js';
import { checkValidatorOptions } from '../validation.js';
import { isPlainObject, valueKey, type Doc } from '../values.js';
import { docArg, type CommandContext, type Handler } from './context.js';

/** Fields of a command document that are not arguments of the command itself. */
export const GENERIC_FIELDS = new Set([
  '$db',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  '$clusterTime',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$audit',
  '$client',
  'databaseVersion',
  'shardVersion',
]);

const COLLECTION_OPTIONS = new Set([
  'capped',
  'size',
  'max',
  'validator',
  'validationLevel',
  'validationAction',
  'collation',
  'timeseries',
  'expireAfterSeconds',
  'clusteredIndex',
  'changeStreamPreAndPostImages',
  'storageEngine',
  'indexOptionDefaults',
  'encryptedFields',
  'autoIndexId',
  'flags',
  'temp',
]);

/** The options a collection keeps from its `create` command, as listCollections shows them. */
function collectionOptions(cmd: Doc): Doc {
  const options: Doc = {};
  for (const [key, value] of Object.entries(cmd)) {
    if (key === 'create' || GENERIC_FIELDS.has(key)) continue;
    if (key === 'viewOn' || key === 'pipeline') {
      throw new CommandError(Codes.NotImplemented, 'views are not supported by mongo-embedded');
    }
    if (!COLLECTION_OPTIONS.has(key)) {
      throw new CommandError(40415, `BSON field 'create.${key}' is an unknown field.`);
    }
    options[key] = value;
  }
  if (options.validator !== undefined) {
    options.validationLevel ??= 'strict';
    options.validationAction ??= 'error';
  }
  checkValidatorOptions(options);
  return options;
}

function collectionInfo(coll: Collection, nameOnly: boolean): Doc {
  if (nameOnly) return { name: coll.name, type: 'collection' };
  return {
    name: coll.name,
    type: 'collection',
    options: coll.options,
    info: { readOnly: false, uuid: coll.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

const listCollections: Handler = (ctx) => {
  checkDbName(ctx.db);
  const filter = docArg(ctx.cmd, 'filter') ?? {};
  const nameOnly = ctx.cmd.nameOnly === true;
  const predicate = compileFilter(filter);
  const infos = ctx.engine
    .collectionsOf(ctx.db)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => collectionInfo(c, false))
    .filter((info) => predicate(toQueryForm(info)))
    .map((info) => (nameOnly ? { name: info.name, type: info.type } : info));
  return { cursor: { id: Long.ZERO, ns: `${ctx.db}.$cmd.listCollections`, firstBatch: infos }, ok: 1 };
};

const listDatabases: Handler = (ctx) => {
  const filter = docArg(ctx.cmd, 'filter') ?? {};
  const predicate = compileFilter(filter);
  let total = 0;
  const databases: Doc[] = [];
  for (const name of ctx.engine.databaseNames().sort()) {
    const size = ctx.engine.collectionsOf(name).reduce((n, c) => n + c.dataSize(), 0) + 4096;
    const entry = { name, sizeOnDisk: size, empty: false };
    if (!predicate(entry)) continue;
    total += size;
    databases.push(ctx.cmd.nameOnly === true ? { name } : entry);
  }
  return ctx.cmd.nameOnly === true
    ? { databases, ok: 1 }
    : { databases, totalSize: total, totalSizeMb: Math.floor(total / 1024 / 1024), ok: 1 };
};

const create: Handler = (ctx) => {
  const name = ctx.collectionName();
  const options = collectionOptions(ctx.cmd);
  const existing = ctx.engine.collection(ctx.db, name);
  if (existing) {
    if (valueKey(existing.options) === valueKey(options)) return { ok: 1 };
    throw new CommandError(
      Codes.NamespaceExists,
      `namespace ${ctx.db}.${name} already exists, but with different options: ${JSON.stringify(existing.options)}`,
    );
  }
  ctx.engine.createCollection(ctx.db, name, options);
  return { ok: 1 };
};

const collMod: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll) throw new CommandError(Codes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  const options: Doc = { ...coll.options };
  const reply: Doc = {};
  for (const [key, value] of Object.entries(ctx.cmd)) {
    if (key === 'collMod' || GENERIC_FIELDS.has(key)) continue;
    if (key === 'validator' || key === 'validationLevel' || key === 'validationAction') {
      options[key] = value;
    } else if (key === 'index') {
      Object.assign(reply, modifyIndex(ctx, coll, value));
    } else if (
      key === 'expireAfterSeconds' ||
      key === 'changeStreamPreAndPostImages' ||
      key === 'collation'
    ) {
      options[key] = value;
    } else {
      throw new CommandError(40415, `BSON field 'collMod.${key}' is an unknown field.`);
    }
  }
  if (options.validator !== undefined) {
    options.validationLevel ??= 'strict';
    options.validationAction ??= 'error';
  }
  checkValidatorOptions(options);
  coll.setOptions(options);
  ctx.engine.record({ op: 'collMod', ns: coll.ns, options });
  return { ...reply, ok: 1 };
};

function modifyIndex(ctx: CommandContext, coll: Collection, spec: unknown): Doc {
  if (!isPlainObject(spec)) throw new CommandError(Codes.TypeMismatch, 'index must be an object');
  const index = [...coll.indexes.values()].find((i) =>
    typeof spec.name === 'string' ? i.name === spec.name : valueKey(i.spec.key) === valueKey(spec.keyPattern),
  );
  if (!index)
    throw new CommandError(
      Codes.IndexNotFound,
      `cannot find index ${JSON.stringify(spec.name ?? spec.keyPattern)} for ns ${coll.ns}`,
    );
  const newSpec = { ...index.spec };
  const reply: Doc = {};
  if (spec.expireAfterSeconds !== undefined) {
    reply.expireAfterSeconds_old = index.spec.expireAfterSeconds;
    reply.expireAfterSeconds_new = spec.expireAfterSeconds;
    newSpec.expireAfterSeconds = Number(spec.expireAfterSeconds);
  }
  if (spec.hidden !== undefined) {
    reply.hidden_old = index.spec.hidden === true;
    reply.hidden_new = spec.hidden === true;
    if (spec.hidden === true) newSpec.hidden = true;
    else delete newSpec.hidden;
  }
  coll.indexes.delete(index.name);
  coll.buildIndex(newSpec);
  ctx.engine.record({ op: 'dropIndex', ns: coll.ns, name: index.name });
  ctx.engine.record({ op: 'createIndex', ns: coll.ns, spec: newSpec });
  return reply;
}

const drop: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.dropCollection(ctx.db, name);
  if (!coll) return { ok: 1 };
  return { nIndexesWas: coll.indexes.size + 1, ns: coll.ns, ok: 1 };
};

const dropDatabase: Handler = (ctx) => {
  checkDbName(ctx.db);
  ctx.engine.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

const renameCollection: Handler = (ctx) => {
  if (ctx.db !== 'admin')
    throw new CommandError(
      Codes.Unauthorized,
      'renameCollection may only be run against the admin database.',
    );
  const from = ctx.cmd.renameCollection;
  const to = ctx.cmd.to;
  if (typeof from !== 'string' || typeof to !== 'string') {
    throw new CommandError(Codes.TypeMismatch, "'renameCollection' and 'to' must be namespace strings");
  }
  const [fromDb, fromName] = splitNamespace(from);
  const [toDb, toName] = splitNamespace(to);
  checkDbName(toDb);
  checkCollectionName(toDb, toName);
  if (from === to) throw new CommandError(Codes.IllegalOperation, "Can't rename a collection to itself");
  const source = ctx.engine.collection(fromDb, fromName);
  if (!source) throw new CommandError(Codes.NamespaceNotFound, `Source collection ${from} does not exist`);
  if (ctx.engine.collection(toDb, toName)) {
    if (ctx.cmd.dropTarget !== true) throw new CommandError(Codes.NamespaceExists, 'target namespace exists');
    ctx.engine.dropCollection(toDb, toName);
  }
  ctx.engine.renameCollection(source, toDb, toName);
  return { ok: 1 };
};

function scaleOf(ctx: CommandContext): number {
  const scale = Number(ctx.cmd.scale ?? 1);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

const dbStats: Handler = (ctx) => {
  checkDbName(ctx.db);
  const colls = ctx.engine.collectionsOf(ctx.db);
  const scale = scaleOf(ctx);
  const objects = colls.reduce((n, c) => n + c.records.size, 0);
  const dataSize = colls.reduce((n, c) => n + c.dataSize(), 0);
  const indexes = colls.reduce((n, c) => n + c.indexes.size + 1, 0);
  const indexSize = colls.reduce((n, c) => n + (c.indexes.size + 1) * c.records.size * 16, 0);
  return {
    db: ctx.db,
    collections: colls.length,
    views: 0,
    objects,
    avgObjSize: objects > 0 ? dataSize / objects : 0,
    dataSize: dataSize / scale,
    storageSize: dataSize / scale,
    indexes,
    indexSize: indexSize / scale,
    totalSize: (dataSize + indexSize) / scale,
    scaleFactor: scale,
    fsUsedSize: 0,
    fsTotalSize: 0,
    ok: 1,
  };
};

const collStats: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.collection(ctx.db, name);
  const scale = scaleOf(ctx);
  const count = coll?.records.size ?? 0;
  const size = coll?.dataSize() ?? 0;
  const indexSizes: Doc = {};
  for (const spec of coll?.indexSpecs() ?? []) indexSizes[spec.name] = (count * 16) / scale;
  return {
    ns: `${ctx.db}.${name}`,
    size: size / scale,
    count,
    avgObjSize: count > 0 ? Math.round(size / count) : 0,
    storageSize: size / scale,
    capped: coll?.options.capped === true,
    nindexes: coll ? coll.indexes.size + 1 : 0,
    totalIndexSize: Object.values(indexSizes).reduce<number>((n, v) => n + (v as number), 0),
    indexSizes,
    scaleFactor: scale,
    ok: 1,
  };
};

const validate: Handler = (ctx) => {
  const name = ctx.collectionName();
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll)
    throw new CommandError(
      Codes.NamespaceNotFound,
      `Collection '${ctx.db}.${name}' does not exist to validate.`,
    );
  return {
    ns: coll.ns,
    nrecords: coll.records.size,
    nIndexes: coll.indexes.size + 1,
    valid: true,
    warnings: [],
    errors: [],
    ok: 1,
  };
};

export const catalogCommands: Record<string, Handler> = {
  listCollections,
  listDatabases,
  create,
  collMod,
  drop,
  dropDatabase,
  renameCollection,
  dbStats,
  dbstats: dbStats,
  collStats,
  collstats: collStats,
  validate,
};
