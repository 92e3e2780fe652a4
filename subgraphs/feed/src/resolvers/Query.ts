import { badUserInput, type Connection } from '@social/kit';
import type { CommentDocument, HashtagDocument, PostDocument } from '../data/collections.js';
import { findHashtag, trendingHashtags } from '../data/hashtags.js';
import { visibleComment, visiblePost } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { normalizeTag } from '../text.js';
import type { PageArgs } from './connections.js';
import {
  archivedPosts,
  explore,
  hashtagPosts,
  homeFeed,
  searchPosts,
  tagArgument,
  userPosts,
} from './post-lists.js';

export const Query = {
  feed: (_root: unknown, args: PageArgs, context: FeedContext): Promise<Connection<PostDocument>> =>
    homeFeed(context, args),

  explore: (_root: unknown, args: PageArgs, context: FeedContext): Promise<Connection<PostDocument>> =>
    explore(context, args),

  post: (_root: unknown, args: { id: string }, context: FeedContext): Promise<PostDocument | null> =>
    visiblePost(context.loaders, context.viewer, args.id),

  comment: (_root: unknown, args: { id: string }, context: FeedContext): Promise<CommentDocument | null> =>
    visibleComment(context.loaders, context.viewer, args.id),

  userPosts: (
    _root: unknown,
    args: PageArgs & { userId: string },
    context: FeedContext,
  ): Promise<Connection<PostDocument>> => userPosts(context, args.userId, args),

  archivedPosts: (_root: unknown, args: PageArgs, context: FeedContext): Promise<Connection<PostDocument>> =>
    archivedPosts(context, args),

  postsByHashtag: (
    _root: unknown,
    args: PageArgs & { tag: string },
    context: FeedContext,
  ): Promise<Connection<PostDocument>> => hashtagPosts(context, tagArgument(args.tag), args),

  searchPosts: (
    _root: unknown,
    args: PageArgs & { query: string },
    context: FeedContext,
  ): Promise<Connection<PostDocument>> => searchPosts(context, args.query, args),

  /** A tag that cannot exist (bad characters, too long) is simply never used: null. */
  async hashtag(
    _root: unknown,
    args: { tag: string },
    context: FeedContext,
  ): Promise<HashtagDocument | null> {
    const tag = normalizeTag(args.tag);
    return tag ? findHashtag(context.feed.store, tag) : null;
  },

  trendingHashtags(
    _root: unknown,
    args: { first?: number | null },
    context: FeedContext,
  ): Promise<HashtagDocument[]> {
    const first = args.first ?? 10;
    if (!Number.isInteger(first) || first < 1 || first > 50) {
      throw badUserInput('first must be between 1 and 50', 'first');
    }
    return trendingHashtags(context.feed.store, first);
  },
};
