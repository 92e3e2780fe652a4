import { isHiddenStatus, type Audience, type Relation, type ReplicaUser } from '@social/kit';
import type { Filter } from 'mongodb';
import type { PostDocument } from './data/collections.js';

/**
 * Who may see a post: the one rule every path applies (post(id), entity references, lists,
 * search, hashtags, comments, reactions, votes, shares). A signed-in viewer sees a post when it
 * is not deleted and either they wrote it, or:
 * - it is not archived, its author's account is not deleted or suspended, there is no block
 *   between them in either direction, and
 * - it is PUBLIC, or FRIENDS and they are friends, or CUSTOM and they are in its audience
 *   (PRIVATE: the author only).
 * Anonymous viewers see no post ("anyone signed in").
 */

export type VisibilityFields = Pick<
  PostDocument,
  'userId' | 'visibility' | 'audienceUserIds' | 'isDeleted' | 'isArchived' | 'authorHidden'
>;

export function canSeePost(
  post: VisibilityFields,
  viewerId: string | null,
  author: Pick<ReplicaUser, 'status'>,
  relation: Relation,
): boolean {
  if (viewerId === null || post.isDeleted) return false;
  if (post.userId === viewerId) return true;
  if (post.isArchived || post.authorHidden || isHiddenStatus(author.status) || relation.blocked) return false;
  switch (post.visibility) {
    case 'Public':
      return true;
    case 'Friends':
      return relation.friends;
    case 'Custom':
      return post.audienceUserIds.includes(viewerId);
    default:
      return false;
  }
}

/**
 * The same rule as a query filter, so lists over many authors (a tag, a search, explore, the home
 * feed) are filtered by the database and every page is full. `audience` is the viewer's side of
 * the graph (replica.audience). Author status is covered by `authorHidden`, which the consumers
 * keep on every post of a deleted or suspended account.
 */
export function visiblePostsFilter(
  viewerId: string,
  audience: Pick<Audience, 'friends' | 'blocked'>,
  options: { includeOwnArchived?: boolean } = {},
): Filter<PostDocument> {
  const others: Filter<PostDocument>[] = [
    { visibility: 'Public' },
    { visibility: 'Custom', audienceUserIds: viewerId },
  ];
  if (audience.friends.length > 0) others.push({ visibility: 'Friends', userId: { $in: audience.friends } });
  const theirs: Filter<PostDocument> = {
    userId: { $nin: [viewerId, ...audience.blocked] },
    isArchived: false,
    authorHidden: false,
    $or: others,
  };
  const own: Filter<PostDocument> =
    options.includeOwnArchived === false ? { userId: viewerId, isArchived: false } : { userId: viewerId };
  return { isDeleted: false, $or: [own, theirs] };
}
