/** Server errors with MongoDB's numeric codes and code names, as the driver expects them. */
import type { Doc } from './values.js';

export const Codes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexAlreadyExists: 68,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  OperationFailed: 96,
  WriteConflict: 112,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  CannotIndexParallelArrays: 171,
  InvalidIndexSpecificationOption: 197,
  TransactionTooOld: 225,
  NotImplemented: 238,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  Location31253: 31253,
  Location31254: 31254,
  Location40324: 40324,
  Location40352: 40352,
  Location40414: 40414,
  DuplicateKey: 11000,
} as const;

const NAMES = new Map<number, string>(Object.entries(Codes).map(([name, code]) => [code, name]));

export function codeName(code: number): string {
  return NAMES.get(code) ?? `Location${code}`;
}

/** A command failure: becomes `{ ok: 0, errmsg, code, codeName, ...extra }` on the wire. */
export class CommandError extends Error {
  readonly code: number;
  readonly extra: Doc;
  readonly labels: string[];

  constructor(code: number, message: string, extra: Doc = {}, labels: string[] = []) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.extra = extra;
    this.labels = [...labels];
  }

  get codeName(): string {
    return codeName(this.code);
  }

  toReply(): Doc {
    const reply: Doc = {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.extra,
    };
    if (this.labels.length > 0) reply.errorLabels = this.labels;
    return reply;
  }

  /** The shape of one entry of `writeErrors`. */
  toWriteError(index: number): Doc {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

export function fail(code: number, message: string, extra?: Doc): never {
  throw new CommandError(code, message, extra);
}

/** Errors the write loop must not turn into `writeErrors` (they abort the whole command). */
export function isTopLevelOnly(error: CommandError): boolean {
  return error.code === Codes.WriteConflict || error.code === Codes.NoSuchTransaction;
}

export function writeConflict(): CommandError {
  return new CommandError(
    Codes.WriteConflict,
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );
}

/** Maps errors thrown by mingo (plain `Error`s with messages) to the closest server error. */
export function fromMingoError(error: Error): CommandError {
  const message = error.message;
  if (/unknown (top level )?(query )?operator/i.test(message)) {
    const op = /(\$\w+)/.exec(message)?.[1] ?? '';
    return new CommandError(
      Codes.BadValue,
      message.includes('top level') ? `unknown top level operator: ${op}` : `unknown operator: ${op}`,
    );
  }
  if (/immutable field/i.test(message))
    return new CommandError(Codes.ImmutableField, message.replace(/\.$/, ''));
  if (/would create a conflict/i.test(message)) {
    return new CommandError(Codes.ConflictingUpdateOperators, message.replace(/^updating/, 'Updating'));
  }
  if (/Unknown update operator/i.test(message)) {
    const op = /'(\$\w+)'/.exec(message)?.[1] ?? '';
    return new CommandError(
      Codes.FailedToParse,
      `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  if (
    /pipeline operator|unrecognized pipeline stage|not registered|Unknown pipeline operator/i.test(message)
  ) {
    const op = /(\$\w+)/.exec(message)?.[1] ?? '';
    return new CommandError(Codes.Location40324, `Unrecognized pipeline stage name: '${op}'`);
  }
  if (/exclusion and inclusion/i.test(message)) return new CommandError(Codes.Location31254, message);
  return new CommandError(Codes.BadValue, message);
}
