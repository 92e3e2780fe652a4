import { badUserInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;

/** Page size from `first`: default 20, at most 50 (DESIGN 5); anything else is BAD_USER_INPUT. */
export function pageSize(first: number | null | undefined, argName = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`${argName} must be between 1 and ${MAX_PAGE_SIZE}`, argName);
  }
  return first;
}

/**
 * Cursors are opaque to clients: base64url of a JSON array [sortKey, id]. Sorting by a stable key
 * plus the id as tiebreaker keeps pages gap- and duplicate-free while items are inserted.
 */
export type CursorKey = string | number | boolean | null;

export function encodeCursor(key: readonly CursorKey[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with `arity` parts; anything else is BAD_USER_INPUT. */
export function decodeCursor(cursor: string, arity: number, argName = 'after'): CursorKey[] {
  const invalid = () => badUserInput(`${argName} is not a valid cursor`, argName);
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(value) ||
    value.length !== arity ||
    !value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  ) {
    throw invalid();
  }
  return value as CursorKey[];
}

/**
 * The key of a cursor made by the list named `list` (a cursor [list, ...key]): a cursor of another
 * list is BAD_USER_INPUT rather than a silently wrong page, as is a malformed one.
 */
export function decodeListCursor(
  list: string,
  cursor: string,
  arity: number,
  argName = 'after',
): CursorKey[] {
  const [tag, ...key] = decodeCursor(cursor, arity + 1, argName);
  if (tag !== list) throw badUserInput(`${argName} is not a cursor of this list`, argName);
  return key;
}

/** The largest time a Date holds, in ms either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * A keyset cursor `[date, id]` (the date as epoch ms or an ISO string): BAD_USER_INPUT unless the
 * date is a real one (an impossible time would reach the query as an invalid date) and the id a
 * string; callers check the id's own format.
 */
export function decodeDateCursor(cursor: string, argName = 'after'): { date: Date; id: string } {
  const [time, id] = decodeCursor(cursor, 2, argName);
  const date =
    typeof time === 'number' && Number.isInteger(time) && Math.abs(time) <= MAX_DATE_MS
      ? new Date(time)
      : typeof time === 'string'
        ? new Date(time)
        : null;
  if (!date || Number.isNaN(date.getTime()) || typeof id !== 'string') {
    throw badUserInput(`${argName} is not a valid cursor`, argName);
  }
  return { date, id };
}

/** A keyset cursor `[number, id]` (a search score, a count): BAD_USER_INPUT unless it is one. */
export function decodeNumberCursor(cursor: string, argName = 'after'): { value: number; id: string } {
  const [value, id] = decodeCursor(cursor, 2, argName);
  if (typeof value !== 'number' || !Number.isFinite(value) || typeof id !== 'string') {
    throw badUserInput(`${argName} is not a valid cursor`, argName);
  }
  return { value, id };
}

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: Edge<T>[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
}

/**
 * Builds a connection from `rows` fetched with limit `size + 1`: the extra row only says whether
 * a next page exists, so one query serves the page and `hasNextPage`.
 */
export function connectionFromRows<T>(
  rows: readonly T[],
  size: number,
  cursorOf: (row: T) => readonly CursorKey[],
  options: { hasPreviousPage?: boolean } = {},
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: options.hasPreviousPage ?? false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
