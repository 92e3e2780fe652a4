/**
 * The storage engine: databases and their collections, namespace rules, the logical clock used
 * for write versions and cluster time, the TTL monitor, and the stream of committed changes that
 * persistence records.
 */
import { Timestamp, UUID } from 'bson';
import { Collection, type Change, type StorageHooks } from './collection.js';
import { CommandError, Codes } from './errors.js';
import type { IndexSpec } from './indexes.js';
import type { Doc } from './values.js';

/** A committed change to data or catalog, in the order it happened. */
export type EngineRecord =
  | Change
  | { readonly op: 'create'; readonly ns: string; readonly uuid: UUID; readonly options: Doc }
  | { readonly op: 'drop'; readonly ns: string }
  | { readonly op: 'dropDatabase'; readonly db: string }
  | { readonly op: 'createIndex'; readonly ns: string; readonly spec: IndexSpec }
  | { readonly op: 'dropIndex'; readonly ns: string; readonly name: string }
  | { readonly op: 'collMod'; readonly ns: string; readonly options: Doc }
  | { readonly op: 'rename'; readonly from: string; readonly to: string };

const INVALID_DB_CHARS = /[/\\. "$*<>:|?\0]/;

export function checkDbName(db: unknown): string {
  if (typeof db !== 'string' || db.length === 0 || INVALID_DB_CHARS.test(db)) {
    throw new CommandError(Codes.InvalidNamespace, `Invalid database name: '${String(db)}'`);
  }
  if (db.length >= 64) throw new CommandError(Codes.InvalidNamespace, `db name is too long: '${db}'`);
  return db;
}

export function checkCollectionName(db: string, name: unknown): string {
  if (typeof name !== 'string') {
    throw new CommandError(Codes.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  }
  if (
    name.length === 0 ||
    name.includes('$') ||
    name.includes('\0') ||
    name.startsWith('.') ||
    name.endsWith('.')
  ) {
    throw new CommandError(Codes.InvalidNamespace, `Invalid namespace specified '${db}.${name}'`);
  }
  if (db.length + 1 + name.length > 255) {
    throw new CommandError(
      Codes.InvalidNamespace,
      `Fully qualified namespace is too long. Namespace: ${db}.${name}`,
    );
  }
  return name;
}

export function splitNamespace(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  if (dot <= 0) throw new CommandError(Codes.InvalidNamespace, `Invalid namespace specified '${ns}'`);
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

export class Engine {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private clock = 0;
  private seq = 0;
  private lastSeconds = 0;
  private lastIncrement = 0;
  /** Documents written by open transactions: `ns \0 id` → transaction id. */
  readonly locks = new Map<string, number>();
  /** Receives every committed change (persistence). */
  sink: ((record: EngineRecord) => void) | undefined;
  readonly hooks: StorageHooks;

  constructor() {
    this.hooks = {
      tick: () => ++this.clock,
      nextSeq: () => ++this.seq,
      committed: (change) => this.sink?.(change),
    };
  }

  /** The current logical clock (write versions are below or equal to it). */
  get now(): number {
    return this.clock;
  }

  /** A cluster time that never goes backwards. */
  clusterTime(): Timestamp {
    const seconds = Math.floor(Date.now() / 1000);
    if (seconds > this.lastSeconds) {
      this.lastSeconds = seconds;
      this.lastIncrement = 1;
    } else {
      this.lastIncrement++;
    }
    return new Timestamp({ t: this.lastSeconds, i: this.lastIncrement });
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  collectionsOf(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()].filter((db) => (this.dbs.get(db)?.size ?? 0) > 0);
  }

  allCollections(): Collection[] {
    return [...this.dbs.values()].flatMap((m) => [...m.values()]);
  }

  /** Creates a collection (names must already be validated). */
  createCollection(db: string, name: string, options: Doc = {}, uuid: UUID = new UUID()): Collection {
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    const coll = new Collection(db, name, uuid, options, this.hooks);
    colls.set(name, coll);
    this.sink?.({ op: 'create', ns: coll.ns, uuid, options });
    return coll;
  }

  /** The collection, created implicitly (as inserts and upserts do) when missing. */
  ensureCollection(db: string, name: string): { coll: Collection; created: boolean } {
    const existing = this.collection(checkDbName(db), checkCollectionName(db, name));
    if (existing) return { coll: existing, created: false };
    return { coll: this.createCollection(db, name), created: true };
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const colls = this.dbs.get(db);
    const coll = colls?.get(name);
    if (!colls || !coll) return undefined;
    colls.delete(name);
    if (colls.size === 0) this.dbs.delete(db);
    this.sink?.({ op: 'drop', ns: coll.ns });
    return coll;
  }

  dropDatabase(db: string): void {
    if (!this.dbs.has(db)) return;
    this.dbs.delete(db);
    this.sink?.({ op: 'dropDatabase', db });
  }

  renameCollection(from: Collection, toDb: string, toName: string): Collection {
    const oldNs = from.ns;
    const source = this.dbs.get(from.db);
    source?.delete(from.name);
    if (source && source.size === 0) this.dbs.delete(from.db);
    let target = this.dbs.get(toDb);
    if (!target) {
      target = new Map();
      this.dbs.set(toDb, target);
    }
    let moved: Collection;
    if (toDb === from.db) {
      from.name = toName;
      moved = from;
    } else {
      moved = new Collection(toDb, toName, from.uuid, from.options, this.hooks);
      for (const index of from.indexes.values()) moved.buildIndex(index.spec);
      for (const rec of from.records.values()) moved.restore(rec.doc);
    }
    target.set(toName, moved);
    this.sink?.({ op: 'rename', from: oldNs, to: moved.ns });
    return moved;
  }

  /** Emits a catalog change (index creation, collMod) for persistence. */
  record(change: EngineRecord): void {
    this.sink?.(change);
  }

  /** Deletes documents whose TTL has passed; returns how many. */
  sweepTtl(nowMs: number): number {
    let removed = 0;
    for (const coll of this.allCollections()) {
      for (const index of coll.indexes.values()) {
        if (index.ttlSeconds === undefined) continue;
        for (const due of index.takeDue(nowMs - index.ttlSeconds * 1000)) {
          const rec = coll.records.get(due.id);
          if (!rec) continue;
          if (this.locks.has(`${coll.ns}\0${rec.id}`)) {
            index.keepDue(due);
            continue;
          }
          coll.remove(rec);
          removed++;
        }
      }
    }
    return removed;
  }
}
