/**
 * One collection's committed state: documents in natural (insertion) order keyed by their encoded
 * `_id`, secondary indexes kept in step, and per-document write versions used by transactions to
 * detect write conflicts. Stored documents are never mutated: every write installs a new record.
 */
import type { UUID } from 'bson';
import { writeConflict, type CommandError } from './errors.js';
import { duplicateKeyError, Index, type IndexKeys, type IndexSpec } from './indexes.js';
import { toQueryForm } from './query-form.js';
import { Validator } from './validation.js';
import { valueKey, type Doc } from './values.js';

export interface Rec {
  /** Encoded `_id`. */
  readonly id: string;
  readonly doc: Doc;
  /** Query form of `doc` (the same object when no conversion was needed). */
  readonly q: Doc;
  /** Engine clock value of the write that produced this record. */
  readonly v: number;
  /** Insertion sequence: natural order. */
  readonly seq: number;
}

/** A committed change, as persisted. */
export type Change =
  | { readonly op: 'put'; readonly ns: string; readonly doc: Doc }
  | { readonly op: 'del'; readonly ns: string; readonly id: unknown };

export interface StorageHooks {
  tick(): number;
  nextSeq(): number;
  committed(change: Change): void;
}

/** One document change of a committing transaction. */
export interface BatchChange {
  readonly id: string;
  /** Version of the committed record the transaction started from (`null`: it did not exist). */
  readonly baseV: number | null;
  /** The new document, or `null` to delete. */
  readonly doc: Doc | null;
}

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

export class Collection {
  readonly db: string;
  name: string;
  readonly uuid: UUID;
  options: Doc;
  validator: Validator;
  readonly records = new Map<string, Rec>();
  readonly indexes = new Map<string, Index>();
  private readonly hooks: StorageHooks;

  constructor(db: string, name: string, uuid: UUID, options: Doc, hooks: StorageHooks) {
    this.db = db;
    this.name = name;
    this.uuid = uuid;
    this.options = options;
    this.validator = new Validator(options);
    this.hooks = hooks;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  setOptions(options: Doc): void {
    this.options = options;
    this.validator = new Validator(options);
  }

  makeRec(doc: Doc, v: number, seq: number): Rec {
    return { id: valueKey(doc._id), doc, q: toQueryForm(doc), v, seq };
  }

  get(id: string): Rec | undefined {
    return this.records.get(id);
  }

  indexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  /** Keys of `rec` in every secondary index, failing on the first unique violation. */
  private keysChecked(rec: Rec, skip?: (otherId: string) => boolean): Map<Index, IndexKeys | undefined> {
    const all = new Map<Index, IndexKeys | undefined>();
    for (const index of this.indexes.values()) {
      const keys = index.keysFor(rec.doc, rec.q);
      if (keys) {
        const dup = index.findDuplicate(keys, rec.id, skip);
        if (dup) throw duplicateKeyError(this.ns, index, dup.values);
      }
      all.set(index, keys);
    }
    return all;
  }

  private idDuplicate(doc: Doc): CommandError {
    return duplicateKeyError(this.ns, { name: '_id_', fields: ['_id'], spec: ID_INDEX_SPEC }, [doc._id]);
  }

  insert(doc: Doc): Rec {
    const rec = this.makeRec(doc, 0, 0);
    if (this.records.has(rec.id)) throw this.idDuplicate(doc);
    const keys = this.keysChecked(rec);
    const final: Rec = { ...rec, v: this.hooks.tick(), seq: this.hooks.nextSeq() };
    for (const [index, k] of keys) index.add(final.id, final.doc, final.q, k);
    this.records.set(final.id, final);
    this.hooks.committed({ op: 'put', ns: this.ns, doc });
    return final;
  }

  replace(old: Rec, doc: Doc): Rec {
    const rec: Rec = { ...this.makeRec(doc, 0, old.seq), id: old.id };
    const keys = this.keysChecked(rec);
    const final: Rec = { ...rec, v: this.hooks.tick() };
    for (const [index, k] of keys) {
      index.remove(old.id);
      index.add(final.id, final.doc, final.q, k);
    }
    this.records.set(final.id, final);
    this.hooks.committed({ op: 'put', ns: this.ns, doc });
    return final;
  }

  remove(rec: Rec): void {
    for (const index of this.indexes.values()) index.remove(rec.id);
    this.records.delete(rec.id);
    this.hooks.committed({ op: 'del', ns: this.ns, id: rec.doc._id });
  }

  /** Loads a document during recovery: no checks, no logging; replaces any previous version. */
  restore(doc: Doc): void {
    const rec = this.makeRec(doc, 0, this.hooks.nextSeq());
    const old = this.records.get(rec.id);
    for (const index of this.indexes.values()) {
      if (old) index.remove(old.id);
      try {
        index.add(rec.id, rec.doc, rec.q);
      } catch {
        // A document that cannot be indexed any more is kept; its index entries are skipped.
      }
    }
    this.records.set(rec.id, old ? { ...rec, seq: old.seq } : rec);
  }

  /** Removes a document during recovery. */
  restoreDelete(id: unknown): void {
    const key = valueKey(id);
    const old = this.records.get(key);
    if (!old) return;
    for (const index of this.indexes.values()) index.remove(key);
    this.records.delete(key);
  }

  /**
   * Applies a committing transaction's changes atomically: every change must start from the
   * committed version it read (else WriteConflict), unique indexes must hold for the final state
   * (else DuplicateKey); on failure nothing is changed. `dryRun` only checks.
   */
  applyBatch(changes: readonly BatchChange[], dryRun = false): void {
    for (const change of changes) {
      const current = this.records.get(change.id);
      const currentV = current ? current.v : null;
      if (currentV !== change.baseV) throw writeConflict();
    }
    const olds = changes.map((c) => this.records.get(c.id));
    for (const old of olds) if (old) for (const index of this.indexes.values()) index.remove(old.id);
    const added: { rec: Rec; keys: Map<Index, IndexKeys | undefined> }[] = [];
    try {
      for (const change of changes) {
        if (!change.doc) continue;
        const old = this.records.get(change.id);
        const rec: Rec = this.makeRec(change.doc, 0, old ? old.seq : 0);
        const keys = new Map<Index, IndexKeys | undefined>();
        for (const index of this.indexes.values()) {
          const k = index.keysFor(rec.doc, rec.q);
          if (k) {
            const dup = index.findDuplicate(k, rec.id);
            if (dup) throw duplicateKeyError(this.ns, index, dup.values);
          }
          index.add(rec.id, rec.doc, rec.q, k);
          keys.set(index, k);
        }
        added.push({ rec, keys });
      }
    } catch (error) {
      this.undoBatch(
        added.map((a) => a.rec),
        olds,
      );
      throw error;
    }
    if (dryRun) {
      this.undoBatch(
        added.map((a) => a.rec),
        olds,
      );
      return;
    }
    const byId = new Map(added.map(({ rec }) => [rec.id, rec]));
    for (const change of changes) {
      const rec = byId.get(change.id);
      if (rec) {
        const old = this.records.get(change.id);
        const final: Rec = { ...rec, v: this.hooks.tick(), seq: old ? old.seq : this.hooks.nextSeq() };
        this.records.set(final.id, final);
        this.hooks.committed({ op: 'put', ns: this.ns, doc: final.doc });
      } else {
        const old = this.records.get(change.id);
        if (!old) continue;
        this.records.delete(change.id);
        this.hooks.committed({ op: 'del', ns: this.ns, id: old.doc._id });
      }
    }
  }

  private undoBatch(added: Rec[], olds: (Rec | undefined)[]): void {
    for (const rec of added) for (const index of this.indexes.values()) index.remove(rec.id);
    for (const old of olds)
      if (old) for (const index of this.indexes.values()) index.add(old.id, old.doc, old.q);
  }

  /** Builds a new index over the existing documents; fails without side effects on duplicates. */
  buildIndex(spec: IndexSpec): Index {
    const index = new Index(spec);
    try {
      for (const rec of this.records.values()) {
        const keys = index.keysFor(rec.doc, rec.q);
        if (keys) {
          const dup = index.findDuplicate(keys, rec.id);
          if (dup) {
            throw duplicateKeyError(
              this.ns,
              index,
              dup.values,
              `Index build failed: ${this.uuid.toHexString()}: Collection ${this.ns} ( ${this.uuid.toHexString()} ) :: caused by :: `,
            );
          }
        }
        index.add(rec.id, rec.doc, rec.q, keys);
      }
    } catch (error) {
      index.clear();
      throw error;
    }
    this.indexes.set(index.name, index);
    return index;
  }

  dropAllIndexes(): void {
    this.indexes.clear();
  }

  /** Rough size of the data, for stats. */
  dataSize(): number {
    let size = 0;
    for (const rec of this.records.values()) size += estimateSize(rec.doc);
    return size;
  }
}

function estimateSize(value: unknown): number {
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case 'string':
      return value.length + 5;
    case 'number':
      return 8;
    case 'boolean':
      return 1;
    default:
      break;
  }
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + estimateSize(v) + 3, 5);
  if (value instanceof Date) return 8;
  if (Object.getPrototypeOf(value) === Object.prototype) {
    let n = 5;
    for (const [k, v] of Object.entries(value as Doc)) n += k.length + 2 + estimateSize(v);
    return n;
  }
  return 16;
}
