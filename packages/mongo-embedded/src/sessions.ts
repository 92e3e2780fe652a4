/**
 * Logical sessions, multi-document transactions and retryable writes.
 *
 * Isolation: a transaction writes into a private overlay (per collection: `_id` → new document or
 * deletion, plus the committed version it started from). Its reads see committed data merged
 * with its own overlay, so other sessions never see uncommitted writes; reads of documents it has
 * not written see the latest committed version (read committed, not a snapshot). Writes are
 * first-writer-wins per document: writing a document another open transaction has written, or one
 * committed after this transaction started, fails with WriteConflict (112,
 * TransientTransactionError). Commit re-checks every written document's version and unique
 * indexes for the final state, then applies all changes at once; abort drops the overlay.
 * Writes outside transactions do not wait for transactions: they win, and the transaction that
 * touched the same document fails at commit with WriteConflict.
 *
 * Retryable writes: the reply to the highest `txnNumber` of each session is kept, and a retry with
 * that number returns it instead of writing again.
 */
import { Long, type Binary } from 'bson';
import type { BatchChange } from './collection.js';
import type { Engine } from './engine.js';
import { CommandError, Codes } from './errors.js';
import type { Logger } from './logger.js';
import { isPlainObject, type Doc } from './values.js';
import { TxnView, type OverlayEntry, type TxnContext } from './view.js';

export type TxnState = 'active' | 'committed' | 'aborted';

export class Transaction implements TxnContext {
  readonly id: number;
  readonly txnNumber: Long;
  readonly snapshot: number;
  readonly locks: Map<string, number>;
  readonly overlays = new Map<string, Map<string, OverlayEntry>>();
  state: TxnState = 'active';
  lastUse = Date.now();
  private readonly engine: Engine;

  constructor(id: number, txnNumber: Long, engine: Engine) {
    this.id = id;
    this.txnNumber = txnNumber;
    this.engine = engine;
    this.snapshot = engine.now;
    this.locks = engine.locks;
  }

  nextSeq(): number {
    return this.engine.hooks.nextSeq();
  }

  view(db: string, name: string): TxnView {
    const ns = `${db}.${name}`;
    let overlay = this.overlays.get(ns);
    if (!overlay) {
      overlay = new Map();
      this.overlays.set(ns, overlay);
    }
    return new TxnView(db, name, this.engine.collection(db, name), overlay, this);
  }

  releaseLocks(): void {
    for (const [ns, overlay] of this.overlays) {
      for (const id of overlay.keys()) {
        const key = `${ns}\0${id}`;
        if (this.locks.get(key) === this.id) this.locks.delete(key);
      }
    }
  }
}

export class Session {
  readonly key: string;
  readonly lsid: Doc;
  lastUse = Date.now();
  /** Highest transaction number seen (retryable writes and transactions share it). */
  highest: Long | undefined;
  txn: Transaction | undefined;
  retryReply: { txnNumber: Long; reply: Doc } | undefined;

  constructor(key: string, lsid: Doc) {
    this.key = key;
    this.lsid = lsid;
  }
}

function noSuchTransaction(txnNumber: Long, why: string): CommandError {
  return new CommandError(
    Codes.NoSuchTransaction,
    `Transaction with { txnNumber: ${txnNumber.toString()} } ${why}`,
    {},
    ['TransientTransactionError'],
  );
}

export function txnNumberOf(value: unknown): Long | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Long.fromNumber(value);
  if (value instanceof Long) return value;
  throw new CommandError(
    Codes.TypeMismatch,
    "BSON field 'txnNumber' is the wrong type, expected type 'long'",
  );
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private nextTxnId = 1;
  private readonly engine: Engine;
  private readonly logger: Logger;
  private readonly txnIdleMs: number;
  private readonly sessionIdleMs: number;

  constructor(engine: Engine, logger: Logger, options: { txnIdleMs?: number; sessionIdleMs?: number } = {}) {
    this.engine = engine;
    this.logger = logger;
    this.txnIdleMs = options.txnIdleMs ?? 60_000;
    this.sessionIdleMs = options.sessionIdleMs ?? 30 * 60_000;
  }

  static keyOf(lsid: unknown): string {
    if (!isPlainObject(lsid)) throw new CommandError(Codes.TypeMismatch, 'lsid must be an object');
    const id = lsid.id as Binary | undefined;
    if (!id || typeof id !== 'object' || !('buffer' in id))
      throw new CommandError(Codes.BadValue, 'lsid.id must be a UUID');
    return Buffer.from(id.buffer).toString('hex');
  }

  session(lsid: unknown): Session {
    const key = SessionManager.keyOf(lsid);
    let session = this.sessions.get(key);
    if (!session) {
      session = new Session(key, lsid as Doc);
      this.sessions.set(key, session);
    }
    session.lastUse = Date.now();
    return session;
  }

  get openTransactions(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.txn?.state === 'active') n++;
    return n;
  }

  /** The transaction a command with `autocommit: false` belongs to (starting it if asked). */
  transactionFor(session: Session, cmd: Doc, commandName: string): Transaction {
    const txnNumber = txnNumberOf(cmd.txnNumber);
    if (!txnNumber)
      throw new CommandError(
        Codes.InvalidOptions,
        "'autocommit' field requires a transaction number to also be specified",
      );
    if (cmd.autocommit !== false)
      throw new CommandError(Codes.InvalidOptions, 'Specifying autocommit=true is not allowed.');
    if (session.highest && txnNumber.lessThan(session.highest)) {
      throw new CommandError(
        Codes.TransactionTooOld,
        `Cannot start transaction ${txnNumber.toString()} on session ${session.key} because a newer transaction ${session.highest.toString()} has already started.`,
      );
    }
    if (cmd.startTransaction === true) {
      if (session.txn && session.txn.txnNumber.equals(txnNumber)) {
        throw new CommandError(
          50911,
          `Cannot start a transaction at given transaction number ${txnNumber.toString()} a transaction with the same number is in state ${session.txn.state}`,
        );
      }
      if (session.txn?.state === 'active') this.abort(session.txn);
      const txn = new Transaction(this.nextTxnId++, txnNumber, this.engine);
      session.txn = txn;
      session.highest = txnNumber;
      return txn;
    }
    const txn = session.txn;
    if (!txn || !txn.txnNumber.equals(txnNumber)) throw noSuchTransaction(txnNumber, 'has been aborted.');
    if (txn.state === 'aborted') throw noSuchTransaction(txnNumber, 'has been aborted.');
    if (txn.state === 'committed' && commandName !== 'commitTransaction') {
      throw new CommandError(
        Codes.TransactionCommitted,
        `Transaction ${txnNumber.toString()} has been committed.`,
      );
    }
    txn.lastUse = Date.now();
    return txn;
  }

  /** Makes a transaction's writes durable, atomically across its collections. */
  commit(txn: Transaction): void {
    if (txn.state === 'committed') return;
    if (txn.state === 'aborted') throw noSuchTransaction(txn.txnNumber, 'has been aborted.');
    const batches: [string, BatchChange[]][] = [];
    for (const [ns, overlay] of txn.overlays) {
      if (overlay.size === 0) continue;
      batches.push([
        ns,
        [...overlay].map(([id, entry]) => ({
          id,
          baseV: entry.baseV,
          doc: entry.rec ? entry.rec.doc : null,
        })),
      ]);
    }
    try {
      // Check every collection before touching any, so a commit is all or nothing.
      for (const [ns, changes] of batches) this.collectionOf(ns)?.applyBatch(changes, true);
      for (const [ns, changes] of batches) this.collectionOf(ns)?.applyBatch(changes, false);
    } catch (error) {
      this.abort(txn);
      // A conflict with another commit (a changed version, a duplicate key) is transient: the
      // client retries the whole transaction. Anything else (a document that cannot be indexed)
      // would fail again on every retry, so it is reported as it is.
      if (
        error instanceof CommandError &&
        (error.code === Codes.WriteConflict || error.code === Codes.DuplicateKey) &&
        !error.labels.includes('TransientTransactionError')
      ) {
        error.labels.push('TransientTransactionError');
      }
      throw error;
    }
    txn.state = 'committed';
    txn.releaseLocks();
  }

  private collectionOf(ns: string) {
    const dot = ns.indexOf('.');
    const db = ns.slice(0, dot);
    const name = ns.slice(dot + 1);
    return this.engine.collection(db, name) ?? this.engine.createCollection(db, name);
  }

  abort(txn: Transaction): void {
    if (txn.state !== 'active') return;
    txn.state = 'aborted';
    txn.releaseLocks();
    txn.overlays.clear();
  }

  /** A cached reply when `cmd` retries the session's latest retryable write. */
  retriedReply(session: Session, txnNumber: Long): Doc | undefined {
    if (session.highest && txnNumber.lessThan(session.highest)) {
      throw new CommandError(
        Codes.TransactionTooOld,
        `Retryable write with txnNumber ${txnNumber.toString()} is prohibited on session ${session.key} because a newer retryable write with txnNumber ${session.highest.toString()} has already started on this session.`,
      );
    }
    if (session.retryReply && session.retryReply.txnNumber.equals(txnNumber)) return session.retryReply.reply;
    session.highest = txnNumber;
    session.retryReply = undefined;
    return undefined;
  }

  rememberReply(session: Session, txnNumber: Long, reply: Doc): void {
    session.retryReply = { txnNumber, reply };
  }

  end(lsids: unknown[]): void {
    for (const lsid of lsids) {
      let key: string;
      try {
        key = SessionManager.keyOf(lsid);
      } catch {
        continue;
      }
      const session = this.sessions.get(key);
      if (session?.txn) this.abort(session.txn);
      this.sessions.delete(key);
    }
  }

  killAll(): void {
    for (const session of this.sessions.values()) if (session.txn) this.abort(session.txn);
    this.sessions.clear();
  }

  /** Aborts abandoned transactions and forgets idle sessions. */
  sweep(now = Date.now()): void {
    for (const [key, session] of this.sessions) {
      const txn = session.txn;
      if (txn?.state === 'active' && now - txn.lastUse > this.txnIdleMs) {
        this.logger.warn(
          { session: key, txnNumber: txn.txnNumber.toString() },
          'aborting an idle transaction',
        );
        this.abort(txn);
      }
      if (now - session.lastUse > this.sessionIdleMs) {
        if (session.txn) this.abort(session.txn);
        this.sessions.delete(key);
      }
    }
  }
}
