/**
 * What commands read and write through: the committed collection directly, or, inside a
 * transaction, the committed collection seen through the transaction's private overlay of
 * written documents (so other sessions never see uncommitted writes).
 */
import { ID_INDEX_SPEC, type Collection, type Rec } from './collection.js';
import { writeConflict } from './errors.js';
import { duplicateKeyError, type Index } from './indexes.js';
import type { TextSearch } from './text.js';
import type { Doc } from './values.js';

export interface CollectionView {
  readonly db: string;
  readonly name: string;
  readonly ns: string;
  /** The committed collection, if it exists. */
  readonly coll: Collection | undefined;
  get(id: string): Rec | undefined;
  /** Every visible record in natural order. */
  all(): Iterable<Rec>;
  count(): number;
  /** Records whose key in `index` is one of `keys` (full keys, or leading-field keys). */
  lookup(index: Index, keys: readonly string[], full: boolean): Rec[];
  /** Records holding at least one of the search's terms. */
  textCandidates(index: Index, search: TextSearch): Rec[];
  insert(doc: Doc): Rec;
  replace(old: Rec, doc: Doc): Rec;
  remove(rec: Rec): void;
}

function bySeq(a: Rec, b: Rec): number {
  return a.seq - b.seq;
}

function idsToRecs(ids: Iterable<string>, get: (id: string) => Rec | undefined): Rec[] {
  const out: Rec[] = [];
  for (const id of ids) {
    const rec = get(id);
    if (rec) out.push(rec);
  }
  return out.sort(bySeq);
}

function lookupIds(index: Index, keys: readonly string[], full: boolean): Set<string> {
  const ids = new Set<string>();
  for (const key of keys) {
    const found = full ? index.lookupFull(key) : index.lookupLeading(key);
    if (found) for (const id of found) ids.add(id);
  }
  return ids;
}

/** Committed data, written through directly. */
export class BaseView implements CollectionView {
  constructor(
    readonly db: string,
    readonly name: string,
    readonly coll: Collection | undefined,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get(id: string): Rec | undefined {
    return this.coll?.get(id);
  }

  all(): Iterable<Rec> {
    return this.coll ? this.coll.records.values() : [];
  }

  count(): number {
    return this.coll?.records.size ?? 0;
  }

  lookup(index: Index, keys: readonly string[], full: boolean): Rec[] {
    return idsToRecs(lookupIds(index, keys, full), (id) => this.get(id));
  }

  textCandidates(index: Index, search: TextSearch): Rec[] {
    return index.text ? idsToRecs(index.text.candidates(search), (id) => this.get(id)) : [];
  }

  private target(): Collection {
    if (!this.coll) throw new Error(`collection ${this.ns} does not exist`);
    return this.coll;
  }

  insert(doc: Doc): Rec {
    return this.target().insert(doc);
  }

  replace(old: Rec, doc: Doc): Rec {
    return this.target().replace(old, doc);
  }

  remove(rec: Rec): void {
    this.target().remove(rec);
  }
}

/** A document a transaction wrote: the committed version it started from and its new state. */
export interface OverlayEntry {
  readonly baseV: number | null;
  rec: Rec | null;
}

/** What a transaction needs from its owner to write. */
export interface TxnContext {
  readonly id: number;
  /** Engine clock when the transaction started. */
  readonly snapshot: number;
  readonly locks: Map<string, number>;
  nextSeq(): number;
}

/** The committed collection as seen by one transaction. */
export class TxnView implements CollectionView {
  constructor(
    readonly db: string,
    readonly name: string,
    readonly coll: Collection | undefined,
    readonly overlay: Map<string, OverlayEntry>,
    private readonly txn: TxnContext,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get(id: string): Rec | undefined {
    const entry = this.overlay.get(id);
    if (entry) return entry.rec ?? undefined;
    return this.coll?.get(id);
  }

  *all(): Iterable<Rec> {
    if (this.overlay.size === 0) {
      if (this.coll) yield* this.coll.records.values();
      return;
    }
    for (const rec of this.coll?.records.values() ?? []) {
      const entry = this.overlay.get(rec.id);
      if (!entry) yield rec;
      else if (entry.rec) yield entry.rec;
    }
    const inserted = [...this.overlay.values()]
      .map((e) => e.rec)
      .filter((r): r is Rec => r !== null && !this.coll?.records.has(r.id))
      .sort(bySeq);
    yield* inserted;
  }

  count(): number {
    let n = this.coll?.records.size ?? 0;
    for (const [id, entry] of this.overlay) {
      const inBase = this.coll?.records.has(id) ?? false;
      if (inBase && !entry.rec) n--;
      if (!inBase && entry.rec) n++;
    }
    return n;
  }

  private overlayRecs(): Rec[] {
    return [...this.overlay.values()].map((e) => e.rec).filter((r): r is Rec => r !== null);
  }

  lookup(index: Index, keys: readonly string[], full: boolean): Rec[] {
    const ids = lookupIds(index, keys, full);
    const out: Rec[] = [];
    for (const id of ids) {
      if (this.overlay.has(id)) continue;
      const rec = this.coll?.get(id);
      if (rec) out.push(rec);
    }
    const wanted = new Set(keys);
    for (const rec of this.overlayRecs()) {
      const k = index.keysFor(rec.doc, rec.q);
      if (k && (full ? k.keys : k.lead).some((key) => wanted.has(key))) out.push(rec);
    }
    return out.sort(bySeq);
  }

  textCandidates(index: Index, search: TextSearch): Rec[] {
    if (!index.text) return [];
    const out: Rec[] = [];
    for (const id of index.text.candidates(search)) {
      if (this.overlay.has(id)) continue;
      const rec = this.coll?.get(id);
      if (rec) out.push(rec);
    }
    out.push(...this.overlayRecs());
    return out.sort(bySeq);
  }

  /** Claims a document for this transaction, failing if another writer got there first. */
  private claim(id: string): number | null {
    const lockKey = `${this.ns}\0${id}`;
    const owner = this.txn.locks.get(lockKey);
    if (owner !== undefined && owner !== this.txn.id) throw writeConflict();
    const base = this.coll?.get(id);
    if (base && base.v > this.txn.snapshot && !this.overlay.has(id)) throw writeConflict();
    this.txn.locks.set(lockKey, this.txn.id);
    const existing = this.overlay.get(id);
    return existing ? existing.baseV : base ? base.v : null;
  }

  private checkUnique(rec: Rec): void {
    const coll = this.coll;
    if (!coll) return;
    for (const index of coll.indexes.values()) {
      if (!index.unique) continue;
      const keys = index.keysFor(rec.doc, rec.q);
      if (!keys) continue;
      const dup = index.findDuplicate(keys, rec.id, (other) => this.overlay.has(other));
      if (dup) throw duplicateKeyError(this.ns, index, dup.values);
      const wanted = new Map(keys.keys.map((k, i) => [k, keys.values[i] as unknown[]]));
      for (const other of this.overlayRecs()) {
        if (other.id === rec.id) continue;
        const otherKeys = index.keysFor(other.doc, other.q);
        const hit = otherKeys?.keys.find((k) => wanted.has(k));
        if (hit !== undefined) throw duplicateKeyError(this.ns, index, wanted.get(hit) ?? []);
      }
    }
  }

  private makeRec(doc: Doc, seq: number): Rec {
    const coll = this.coll;
    if (!coll) throw new Error(`collection ${this.ns} does not exist`);
    return coll.makeRec(doc, Number.MAX_SAFE_INTEGER, seq);
  }

  insert(doc: Doc): Rec {
    const rec = this.makeRec(doc, this.txn.nextSeq());
    if (this.get(rec.id)) {
      throw duplicateKeyError(this.ns, { name: '_id_', fields: ['_id'], spec: ID_INDEX_SPEC }, [doc._id]);
    }
    const baseV = this.claim(rec.id);
    this.checkUnique(rec);
    const entry = this.overlay.get(rec.id);
    const seq = entry ? rec.seq : this.coll?.get(rec.id)?.seq;
    const final = seq === undefined ? rec : { ...rec, seq };
    this.overlay.set(rec.id, { baseV, rec: final });
    return final;
  }

  replace(old: Rec, doc: Doc): Rec {
    const baseV = this.claim(old.id);
    const rec: Rec = { ...this.makeRec(doc, old.seq), id: old.id };
    this.checkUnique(rec);
    this.overlay.set(old.id, { baseV, rec });
    return rec;
  }

  remove(rec: Rec): void {
    const baseV = this.claim(rec.id);
    this.overlay.set(rec.id, { baseV, rec: null });
  }
}
