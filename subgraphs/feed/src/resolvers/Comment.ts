import { pageSize } from '@social/kit';
import type { Connection } from '@social/kit';
import type { CommentDocument, PostDocument, StoredReaction } from '../data/collections.js';
import { datePosition } from '../data/pages.js';
import { visibleComment } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { commentConnection, liveUsers, type PageArgs } from './connections.js';
import { reactionsConnection, reactionsSummary } from './reactions.js';

/**
 * A comment of a post the viewer may see (every path checked that first). A deleted comment
 * shows without content or mentions (so does one of a deleted or suspended account, which only
 * its author still sees).
 */

const removed = (comment: CommentDocument) => comment.isDeleted || comment.authorHidden;

export const Comment = {
  __resolveReference: (reference: { id: string }, context: FeedContext): Promise<CommentDocument | null> =>
    visibleComment(context.loaders, context.viewer, reference.id),

  id: (comment: CommentDocument) => comment._id.toHexString(),

  async post(comment: CommentDocument, _args: unknown, context: FeedContext): Promise<PostDocument> {
    const post = await context.loaders.post.load(comment.postId.toHexString());
    if (!post) throw new Error(`comment ${comment._id.toHexString()} has no post`);
    return post;
  },

  author: (comment: CommentDocument) => ({ id: comment.userId }),
  content: (comment: CommentDocument) => (removed(comment) ? null : comment.content),
  mentions: (comment: CommentDocument, _args: unknown, context: FeedContext) =>
    removed(comment)
      ? []
      : liveUsers(
          context,
          comment.mentions.map((mention) => mention.userId),
        ),
  isDeleted: (comment: CommentDocument) => removed(comment),

  /** The parent, by the same rule as comment(id): null when the viewer may not see it. */
  parentComment: (comment: CommentDocument, _args: unknown, context: FeedContext) =>
    comment.parentCommentId
      ? visibleComment(context.loaders, context.viewer, comment.parentCommentId.toHexString())
      : null,

  /** Replies, oldest first (conversation order); a deleted comment still lists them. */
  async replies(
    comment: CommentDocument,
    args: PageArgs,
    context: FeedContext,
  ): Promise<Connection<CommentDocument>> {
    const size = pageSize(args.first);
    const position = datePosition('replies', args.after);
    const rows = await context.loaders.commentPage({
      postId: comment.postId,
      parentId: comment._id,
      newestFirst: false,
      position,
      limit: size + 1,
    });
    return commentConnection(context, rows, size, args.after, 'replies');
  },

  viewerReaction: (comment: CommentDocument, _args: unknown, context: FeedContext) =>
    context.loaders.viewerReaction.load(comment._id.toHexString()),
  reactionsSummary: (comment: CommentDocument) => reactionsSummary(comment.reactionCounts),
  reactions: (
    comment: CommentDocument,
    args: PageArgs & { reaction?: StoredReaction | null },
    context: FeedContext,
  ) => reactionsConnection(context, comment, 'Comment', args),
};
