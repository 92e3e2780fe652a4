import { connectionFromRows, isHiddenStatus, type Connection } from '@social/kit';
import type { CommentDocument, PostDocument } from '../data/collections.js';
import { cursorKey, type ListKind } from '../data/pages.js';
import type { FeedContext } from '../subgraph.js';

/** `first` / `after` of every connection. */
export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

/** An empty page (anonymous viewers, users the viewer may not see). */
export function emptyConnection<T>(): Connection<T> {
  return connectionFromRows<T>([], 0, () => []);
}

/**
 * A page of posts of the `kind` list fetched with limit size + 1, primed into the post loader
 * (so entity and originalPost lookups of the same posts cost nothing more); cursors carry the
 * list and `keyOf` (the creation time by default).
 */
export function postConnection<T extends PostDocument>(
  context: FeedContext,
  rows: readonly T[],
  size: number,
  after: string | null | undefined,
  kind: ListKind,
  keyOf: (row: T) => number = (row) => row.createdAt.getTime(),
): Connection<T> {
  for (const row of rows) context.loaders.post.prime(row._id.toHexString(), row);
  return connectionFromRows(rows, size, (row) => cursorKey(kind, keyOf(row), row._id.toHexString()), {
    hasPreviousPage: Boolean(after),
  });
}

/** A page of comments of the `kind` list fetched with limit size + 1, primed into the comment loader. */
export function commentConnection(
  context: FeedContext,
  rows: readonly CommentDocument[],
  size: number,
  after: string | null | undefined,
  kind: ListKind,
): Connection<CommentDocument> {
  for (const row of rows) context.loaders.comment.prime(row._id.toHexString(), row);
  return connectionFromRows(
    rows,
    size,
    (row) => cursorKey(kind, row.createdAt.getTime(), row._id.toHexString()),
    { hasPreviousPage: Boolean(after) },
  );
}

/**
 * References to these users, minus deleted and suspended accounts (whose User entity no longer
 * resolves): mentions and audience lists. One replica command for the whole page.
 */
export async function liveUsers(context: FeedContext, ids: readonly string[]): Promise<{ id: string }[]> {
  if (ids.length === 0) return [];
  const users = await context.loaders.social.user.loadMany(ids);
  return ids
    .filter((_id, index) => {
      const user = users[index];
      return user !== undefined && !(user instanceof Error) && !isHiddenStatus(user.status);
    })
    .map((id) => ({ id }));
}
