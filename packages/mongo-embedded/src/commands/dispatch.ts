/**
 * Command dispatch: finds the handler, attaches the session / transaction, replays retried
 * writes, turns failures into MongoDB error replies and adds `$clusterTime` / `operationTime`.
 */
import { Binary, Long } from 'bson';
import { CommandError, Codes } from '../errors.js';
import { txnNumberOf, type Session, type Transaction } from '../sessions.js';
import type { Doc } from '../values.js';
import { aggregateCommands } from './aggregate.js';
import { catalogCommands } from './catalog.js';
import { CommandContext, type ConnectionInfo, type Handler, type Services } from './context.js';
import { explainCommand, explainCommands } from './explain.js';
import { indexCommands } from './indexes.js';
import { readCommands } from './read.js';
import { serverInfoCommands, setCommandNames } from './server-info.js';
import { sessionCommands } from './sessions.js';
import { writeCommands } from './write.js';

const HANDLERS: Record<string, Handler> = {
  ...serverInfoCommands,
  ...catalogCommands,
  ...readCommands,
  ...writeCommands,
  ...aggregateCommands,
  ...indexCommands,
  ...sessionCommands,
  ...explainCommands,
};
setCommandNames(Object.keys(HANDLERS));

/** Canonical names, so aliases (`findandmodify`) behave like the real command. */
const CANONICAL: Record<string, string> = {
  ismaster: 'isMaster',
  findandmodify: 'findAndModify',
  buildinfo: 'buildInfo',
  createindexes: 'createIndexes',
  listindexes: 'listIndexes',
  dropindexes: 'dropIndexes',
  deleteIndexes: 'dropIndexes',
  dbstats: 'dbStats',
  collstats: 'collStats',
};

const IN_TRANSACTION = new Set([
  'find',
  'getMore',
  'killCursors',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'aggregate',
  'distinct',
  'create',
  'createIndexes',
  'commitTransaction',
  'abortTransaction',
  'explain',
]);

const RETRYABLE = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'commitTransaction',
  'abortTransaction',
]);

const EMPTY_SIGNATURE = { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.ZERO };

function resolveName(raw: string): string | undefined {
  if (HANDLERS[raw]) return CANONICAL[raw] ?? raw;
  const lower = raw.toLowerCase();
  const match = Object.keys(HANDLERS).find((k) => k.toLowerCase() === lower);
  return match ? (CANONICAL[match] ?? match) : undefined;
}

function run(services: Services, conn: ConnectionInfo, db: string, cmd: Doc): Doc {
  const raw = Object.keys(cmd)[0];
  if (raw === undefined) throw new CommandError(Codes.FailedToParse, 'empty command document');
  const name = resolveName(raw);
  if (!name) throw new CommandError(Codes.CommandNotFound, `no such command: '${raw}'`);
  const handler = HANDLERS[name] ?? HANDLERS[raw];
  if (!handler) throw new CommandError(Codes.CommandNotFound, `no such command: '${raw}'`);

  const session: Session | undefined =
    cmd.lsid !== undefined ? services.sessions.session(cmd.lsid) : undefined;
  let txn: Transaction | undefined;
  if (cmd.autocommit !== undefined || cmd.startTransaction !== undefined) {
    if (!session)
      throw new CommandError(Codes.InvalidOptions, 'Transaction options require a session (lsid)');
    if (!IN_TRANSACTION.has(name)) {
      throw new CommandError(
        Codes.OperationNotSupportedInTransaction,
        `Cannot run '${name}' in a multi-document transaction.`,
      );
    }
    txn = services.sessions.transactionFor(session, cmd, name);
  }
  const ctx = new CommandContext(services, conn, db, cmd, name, session, txn);

  const txnNumber = !txn && session && RETRYABLE.has(name) ? txnNumberOf(cmd.txnNumber) : undefined;
  if (txnNumber && session) {
    const cached = services.sessions.retriedReply(session, txnNumber);
    if (cached) return { ...cached };
  }
  try {
    const reply =
      name === 'aggregate' && cmd.explain === true ? explainCommand(ctx, 'queryPlanner') : handler(ctx);
    if (txn && Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0) services.sessions.abort(txn);
    if (txnNumber && session) services.sessions.rememberReply(session, txnNumber, reply);
    return reply;
  } catch (error) {
    if (txn && name !== 'commitTransaction' && name !== 'abortTransaction') services.sessions.abort(txn);
    throw error;
  }
}

/** Executes one command and returns the reply document (never throws). */
export function dispatch(services: Services, conn: ConnectionInfo, db: string, cmd: Doc): Doc {
  let reply: Doc;
  try {
    reply = run(services, conn, db, cmd);
  } catch (error) {
    if (error instanceof CommandError) {
      reply = error.toReply();
    } else {
      services.logger.error({ err: error, command: Object.keys(cmd)[0] }, 'command failed unexpectedly');
      reply = new CommandError(
        Codes.InternalError,
        error instanceof Error ? error.message : String(error),
      ).toReply();
    }
  }
  const clusterTime = services.engine.clusterTime();
  reply.$clusterTime = { clusterTime, signature: EMPTY_SIGNATURE };
  reply.operationTime = clusterTime;
  return reply;
}
