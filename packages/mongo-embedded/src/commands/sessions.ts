/** Session and transaction commands. */
import { CommandError, Codes } from '../errors.js';
import { SessionManager } from '../sessions.js';
import type { Handler } from './context.js';

const endSessions: Handler = (ctx) => {
  const ids = ctx.cmd.endSessions;
  if (!Array.isArray(ids))
    throw new CommandError(
      Codes.TypeMismatch,
      "BSON field 'endSessions' is the wrong type, expected type 'array'",
    );
  for (const lsid of ids) {
    try {
      ctx.services.cursors.killSession(SessionManager.keyOf(lsid));
    } catch {
      // Malformed ids are ignored, as the server does for sessions it does not know.
    }
  }
  ctx.services.sessions.end(ids);
  return { ok: 1 };
};

const killAll: Handler = (ctx) => {
  ctx.services.sessions.killAll();
  return { ok: 1 };
};

const killSessions: Handler = (ctx) => {
  const ids = Array.isArray(ctx.cmd.killSessions) ? ctx.cmd.killSessions : [];
  ctx.services.sessions.end(ids);
  return { ok: 1 };
};

const commitTransaction: Handler = (ctx) => {
  if (!ctx.txn)
    throw new CommandError(Codes.InvalidOptions, 'commitTransaction must be run within a transaction');
  ctx.services.sessions.commit(ctx.txn);
  return { ok: 1 };
};

const abortTransaction: Handler = (ctx) => {
  if (!ctx.txn)
    throw new CommandError(Codes.InvalidOptions, 'abortTransaction must be run within a transaction');
  ctx.services.sessions.abort(ctx.txn);
  return { ok: 1 };
};

export const sessionCommands: Record<string, Handler> = {
  endSessions,
  killSessions,
  killAllSessions: killAll,
  killAllSessionsByPattern: killAll,
  commitTransaction,
  abortTransaction,
};
