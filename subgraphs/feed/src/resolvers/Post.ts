import { badUserInput, type Connection, pageSize } from '@social/kit';
import type { CommentDocument, PostDocument, StoredReaction } from '../data/collections.js';
import { datePosition } from '../data/pages.js';
import { visiblePost } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { commentConnection, liveUsers, type PageArgs } from './connections.js';
import { reactionsConnection, reactionsSummary } from './reactions.js';

/**
 * A post the viewer may see: every path to a PostDocument (queries, lists, entity references,
 * originalPost) checked visibility before handing it here, so the fields only shape it.
 */

const userRef = (id: string) => ({ id });

export const Post = {
  /** Entity references load through the per-request loader: a page of N posts is one query. */
  __resolveReference: (reference: { id: string }, context: FeedContext): Promise<PostDocument | null> =>
    visiblePost(context.loaders, context.viewer, reference.id),

  id: (post: PostDocument) => post._id.toHexString(),
  author: (post: PostDocument) => userRef(post.userId),

  /** The audience list is the author's business only. */
  audience: (post: PostDocument, _args: unknown, context: FeedContext) =>
    post.visibility === 'Custom' && context.viewer?.id === post.userId
      ? liveUsers(context, post.audienceUserIds)
      : null,

  /**
   * The attachments in order, minus files media deleted since (MediaDeleted): media no longer
   * resolves them, and MediaFile is non-null in the list. One media_refs query per page.
   */
  async media(post: PostDocument, _args: unknown, context: FeedContext) {
    if (post.mediaIds.length === 0) return [];
    const refs = await context.loaders.mediaRef.loadMany(post.mediaIds);
    return post.mediaIds
      .filter((_id, index) => {
        const ref = refs[index];
        return !(ref instanceof Error) && ref?.status !== 'DELETED';
      })
      .map((id) => ({ id }));
  },
  mentions: (post: PostDocument, _args: unknown, context: FeedContext) =>
    liveUsers(
      context,
      post.mentions.map((mention) => mention.userId),
    ),

  location: (post: PostDocument) =>
    post.location && {
      name: post.location.name,
      address: post.location.address,
      coordinates: post.location.coordinates && {
        longitude: post.location.coordinates.coordinates[0],
        latitude: post.location.coordinates.coordinates[1],
      },
    },

  async poll(post: PostDocument, _args: unknown, context: FeedContext) {
    const { poll } = post;
    if (!poll) return null;
    const voted = await context.loaders.viewerVote.load(post._id.toHexString());
    return {
      question: poll.question,
      allowMultipleAnswers: poll.allowMultipleAnswers,
      expiresAt: poll.expiresAt,
      isClosed: poll.expiresAt !== null && poll.expiresAt.getTime() <= Date.now(),
      votersCount: poll.votersCount,
      viewerVoteOptionIds: voted,
      options: poll.options.map((option) => ({
        id: option.id,
        text: option.text,
        votesCount: option.votes,
        viewerHasVoted: voted.includes(option.id),
      })),
    };
  },

  viewerReaction: (post: PostDocument, _args: unknown, context: FeedContext) =>
    context.loaders.viewerReaction.load(post._id.toHexString()),
  reactionsSummary: (post: PostDocument) => reactionsSummary(post.reactionCounts),
  reactions: (
    post: PostDocument,
    args: PageArgs & { reaction?: StoredReaction | null },
    context: FeedContext,
  ) => reactionsConnection(context, post, 'Post', args),

  /** Top-level comments; deleted ones only while they have visible replies. */
  async comments(
    post: PostDocument,
    args: PageArgs & { order?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null },
    context: FeedContext,
  ): Promise<Connection<CommentDocument>> {
    const size = pageSize(args.first);
    const newestFirst = args.order !== 'OLDEST_FIRST';
    const kind = newestFirst ? 'comments' : 'comments-oldest';
    const position = datePosition(kind, args.after);
    const rows = await context.loaders.commentPage({
      postId: post._id,
      parentId: null,
      newestFirst,
      position,
      limit: size + 1,
    });
    return commentConnection(context, rows, size, args.after, kind);
  },

  /** The page's top comments come from one aggregation for all its posts. */
  async topComments(post: PostDocument, args: { first?: number | null }, context: FeedContext) {
    const first = args.first ?? 2;
    if (!Number.isInteger(first) || first < 1 || first > 10) {
      throw badUserInput('first must be between 1 and 10', 'first');
    }
    const comments = await context.loaders.topComments(first).load(post._id.toHexString());
    for (const comment of comments) context.loaders.comment.prime(comment._id.toHexString(), comment);
    return comments;
  },

  originalPost: (post: PostDocument, _args: unknown, context: FeedContext) =>
    post.originalPostId
      ? visiblePost(context.loaders, context.viewer, post.originalPostId.toHexString())
      : null,
  isShare: (post: PostDocument) => post.originalPostId !== null,
};
