/** What every command handler receives, and helpers for reading command arguments. */
import type { Long, ObjectId } from 'bson';
import type { CursorManager } from '../cursors.js';
import { checkCollectionName, checkDbName, type Engine } from '../engine.js';
import { CommandError, Codes } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Session, SessionManager, Transaction } from '../sessions.js';
import { bsonTag, bsonTypeOf, isPlainObject, type Doc } from '../values.js';
import { BaseView, type CollectionView } from '../view.js';

export interface ServerInfo {
  readonly host: string;
  readonly port: number;
  /** `host:port` as clients reach it (what `hello` reports in `hosts`/`me`/`primary`). */
  readonly hostPort: string;
  readonly setName: string;
  readonly processId: ObjectId;
  readonly electionId: ObjectId;
  readonly startedAt: Date;
}

export interface Services {
  readonly engine: Engine;
  readonly sessions: SessionManager;
  readonly cursors: CursorManager;
  readonly logger: Logger;
  readonly server: ServerInfo;
  connectionCount(): number;
  totalConnections(): number;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
}

export class CommandContext {
  constructor(
    readonly services: Services,
    readonly conn: ConnectionInfo,
    readonly db: string,
    readonly cmd: Doc,
    readonly name: string,
    readonly session: Session | undefined,
    readonly txn: Transaction | undefined,
  ) {}

  get engine(): Engine {
    return this.services.engine;
  }

  /** The collection named by the command's first field, validated. */
  collectionName(): string {
    checkDbName(this.db);
    return checkCollectionName(this.db, this.cmd[this.name]);
  }

  /** A read view of a collection (through the transaction when there is one). */
  view(db: string, name: string): CollectionView {
    if (this.txn) return this.txn.view(db, name);
    return new BaseView(db, name, this.engine.collection(db, name));
  }

  /** A write view; creates the collection when it does not exist yet. */
  writeView(db: string, name: string): { view: CollectionView; created: boolean } {
    const { created } = this.engine.ensureCollection(db, name);
    return { view: this.view(db, name), created };
  }

  get variables(): Doc | undefined {
    return isPlainObject(this.cmd.let) ? this.cmd.let : undefined;
  }
}

export type Handler = (ctx: CommandContext) => Doc;

/** Reads an optional non-negative integer argument. */
export function intArg(cmd: Doc, field: string): number | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  const tag = bsonTag(value);
  const n = typeof value === 'number' ? value : tag === 'Long' ? (value as Long).toNumber() : Number.NaN;
  if (!Number.isFinite(n)) {
    throw new CommandError(
      Codes.TypeMismatch,
      `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected types '[long, int, decimal, double]'`,
    );
  }
  return Math.trunc(n);
}

export function nonNegative(cmd: Doc, field: string, context = ''): number | undefined {
  const n = intArg(cmd, field);
  if (n !== undefined && n < 0) {
    throw new CommandError(
      Codes.BadValue,
      `${context}${field} value must be non-negative, but received: ${n}`,
    );
  }
  return n;
}

export function docArg(cmd: Doc, field: string): Doc | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw new CommandError(
      Codes.TypeMismatch,
      `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected type 'object'`,
    );
  }
  return value;
}

export function arrayArg(cmd: Doc, field: string, required = false): unknown[] {
  const value = cmd[field];
  if (value === undefined || value === null) {
    if (required)
      throw new CommandError(Codes.FailedToParse, `BSON field '${field}' is missing but a required field`);
    return [];
  }
  if (!Array.isArray(value)) {
    throw new CommandError(
      Codes.TypeMismatch,
      `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected type 'array'`,
    );
  }
  return value;
}
