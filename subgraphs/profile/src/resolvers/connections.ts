import { connectionFromRows, decodeDateCursor, pageSize } from '@social/kit';

/** `first` / `after` of the graph's connections (newest first, keyset over createdAt + id). */
export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

/**
 * Page size and keyset position from the arguments; a malformed cursor is BAD_USER_INPUT (its
 * time must be whole milliseconds a Date can hold, as every cursor this service makes is).
 */
export function keysetPage(args: PageArgs): { size: number; after: [number, string] | null } {
  const size = pageSize(args.first);
  if (!args.after) return { size, after: null };
  const { date, id } = decodeDateCursor(args.after);
  return { size, after: [date.getTime(), id] };
}

/**
 * A connection whose edges carry extra fields: `rows` fetched with limit `size + 1`, each turned
 * into an edge by `edgeOf` (node and extras), with its cursor from (sort date, id). `after` is the
 * page's keyset position: a page after a cursor has items before it (hasPreviousPage).
 */
export function edgeConnection<Row extends { _id: string }, Edge extends object>(
  rows: readonly Row[],
  size: number,
  dateOf: (row: Row) => Date,
  edgeOf: (row: Row) => Edge,
  after: unknown = null,
) {
  const connection = connectionFromRows(rows, size, (row) => [dateOf(row).getTime(), row._id], {
    hasPreviousPage: after !== null && after !== undefined,
  });
  return {
    pageInfo: connection.pageInfo,
    edges: connection.edges.map(({ cursor, node }) => ({ cursor, ...edgeOf(node) })),
  };
}
