import {
  UUID_PATTERN,
  badUserInput,
  parseInput,
  requireViewer,
  type Connection,
  pageSize,
} from '@social/kit';
import type { Filter } from 'mongodb';
import type { PostDocument } from '../data/collections.js';
import {
  datePosition,
  postsByDate,
  postsByEngagement,
  scorePosition,
  searchPostsPage,
} from '../data/pages.js';
import type { FeedContext } from '../subgraph.js';
import { normalizeTag } from '../text.js';
import { searchText } from '../validation.js';
import { visiblePostsFilter } from '../visibility.js';
import { emptyConnection, postConnection, type PageArgs } from './connections.js';

/**
 * The post lists of the API. Each is one indexed query with the visibility rule (visibility.ts)
 * in the filter, so pages are full and cursors stable; the replica's audience of the viewer is
 * one more command per request.
 */

const DAY_MS = 24 * 3600 * 1000;

/**
 * The home feed: the viewer's own posts and those of friends and followed users the viewer may
 * see, minus blocks either way, newest first.
 */
export async function homeFeed(context: FeedContext, args: PageArgs): Promise<Connection<PostDocument>> {
  const viewer = requireViewer(context);
  const size = pageSize(args.first);
  const position = datePosition('feed', args.after);
  const audience = await context.loaders.audience();
  const blocked = new Set(audience.blocked);
  const authors = [...new Set([viewer.id, ...audience.friends, ...audience.following])].filter(
    (id) => !blocked.has(id),
  );
  const filter: Filter<PostDocument> = {
    userId: { $in: authors },
    ...visiblePostsFilter(viewer.id, audience, { includeOwnArchived: false }),
  };
  const rows = await postsByDate(context.feed.store, filter, position, size + 1);
  return postConnection(context, rows, size, args.after, 'feed');
}

/** A user's posts the viewer may see, newest first (archived ones for the author only). */
export async function userPosts(
  context: FeedContext,
  userId: string,
  args: PageArgs,
): Promise<Connection<PostDocument>> {
  if (!UUID_PATTERN.test(userId)) throw badUserInput('userId must be a user id', 'userId');
  const size = pageSize(args.first);
  const position = datePosition('user', args.after);
  const viewer = context.viewer;
  if (!viewer) return emptyConnection();
  const authorId = userId.toLowerCase();
  let filter: Filter<PostDocument>;
  if (authorId === viewer.id) {
    filter = { userId: authorId, isDeleted: false };
  } else {
    const [author, relation] = await Promise.all([
      context.loaders.social.user.load(authorId),
      context.loaders.social.relation.load(authorId),
    ]);
    if (relation.blocked || context.feed.store.replica.isHidden(author)) return emptyConnection();
    const shown: Filter<PostDocument>[] = [
      { visibility: 'Public' },
      { visibility: 'Custom', audienceUserIds: viewer.id },
    ];
    if (relation.friends) shown.push({ visibility: 'Friends' });
    filter = { userId: authorId, isDeleted: false, isArchived: false, authorHidden: false, $or: shown };
  }
  const rows = await postsByDate(context.feed.store, filter, position, size + 1);
  return postConnection(context, rows, size, args.after, 'user');
}

/** The viewer's archived posts, newest first. */
export async function archivedPosts(context: FeedContext, args: PageArgs): Promise<Connection<PostDocument>> {
  const viewer = requireViewer(context);
  const size = pageSize(args.first);
  const position = datePosition('archived', args.after);
  const filter: Filter<PostDocument> = { userId: viewer.id, isDeleted: false, isArchived: true };
  const rows = await postsByDate(context.feed.store, filter, position, size + 1);
  return postConnection(context, rows, size, args.after, 'archived');
}

/** A tag argument ("#Tag" or "tag"), lowercased; BAD_USER_INPUT when it cannot be a tag. */
export function tagArgument(tag: string): string {
  const normalized = normalizeTag(tag);
  if (!normalized) throw badUserInput('tag must be letters, digits or underscores, at most 50', 'tag');
  return normalized;
}

/** Posts carrying `tag` that the viewer may see, newest first. */
export async function hashtagPosts(
  context: FeedContext,
  tag: string,
  args: PageArgs,
): Promise<Connection<PostDocument>> {
  const size = pageSize(args.first);
  const position = datePosition('tag', args.after);
  const viewer = context.viewer;
  if (!viewer) return emptyConnection();
  const audience = await context.loaders.audience();
  const filter: Filter<PostDocument> = { hashtags: tag, ...visiblePostsFilter(viewer.id, audience) };
  const rows = await postsByDate(context.feed.store, filter, position, size + 1);
  return postConnection(context, rows, size, args.after, 'tag');
}

/** Full-text search among the posts the viewer may see, best match first. */
export async function searchPosts(
  context: FeedContext,
  query: string,
  args: PageArgs,
): Promise<Connection<PostDocument>> {
  const text = parseInput(searchText, query, 'query');
  const size = pageSize(args.first);
  const position = scorePosition('search', args.after);
  const viewer = context.viewer;
  if (!viewer) return emptyConnection();
  const audience = await context.loaders.audience();
  const rows = await searchPostsPage(
    context.feed.store,
    text,
    visiblePostsFilter(viewer.id, audience),
    position,
    size + 1,
  );
  return postConnection(context, rows, size, args.after, 'search', (row) => row.searchScore);
}

/**
 * Explore: recent public posts (FEED_EXPLORE_WINDOW_DAYS) ranked by engagement (reactions +
 * 2 × comments + 3 × shares), ties newest first; authors the viewer blocked or who blocked the
 * viewer, and hidden accounts, left out.
 */
export async function explore(context: FeedContext, args: PageArgs): Promise<Connection<PostDocument>> {
  const size = pageSize(args.first);
  const position = scorePosition('explore', args.after);
  const viewer = context.viewer;
  if (!viewer) return emptyConnection();
  const audience = await context.loaders.audience();
  const since = new Date(Date.now() - context.feed.config.FEED_EXPLORE_WINDOW_DAYS * DAY_MS);
  const filter: Filter<PostDocument> = {
    visibility: 'Public',
    isDeleted: false,
    isArchived: false,
    authorHidden: false,
    createdAt: { $gte: since },
    ...(audience.blocked.length > 0 ? { userId: { $nin: audience.blocked } } : {}),
  };
  const rows = await postsByEngagement(context.feed.store, filter, position, size + 1);
  return postConnection(context, rows, size, args.after, 'explore', (row) => row.engagementScore);
}
